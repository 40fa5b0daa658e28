"""`make up` supervises the job worker (issue 13, item 10): scripts/stack.py's supervisor starts a
child that dies again, with growing waits (no tight loop), `status` lists it with its pid and
state, and `stop` ends the supervisor and its child. Fake short-lived children stand in for
`flask cosign worker`, so the whole stack is not needed."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time

import pytest

from cosign.config import ROOT
from tests.waiting import wait_until


def _load_stack_module():
    name = "cosign_stack_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "stack.py")
    assert spec is not None and spec.loader is not None, "scripts/stack.py is missing"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


stack = _load_stack_module()


def alive(pid: int | None) -> bool:
    return bool(pid) and stack._exists(pid)


@pytest.fixture
def st(tmp_path):
    state = stack.Stack(state_dir=tmp_path / "stack", ports=())
    state.state_dir.mkdir()
    (state.state_dir / "stack.json").write_text(json.dumps({"urls": [], "worker": True}))
    yield state
    stack.stop(state, quiet=True, timeout=10)


def test_a_worker_that_keeps_dying_is_restarted_with_growing_waits(st, capsys):
    """The child exits at once, every time: the supervisor starts it again after 0.1, 0.2,
    0.4 s ... (capped), not in a tight loop; `status` says it is restarting."""
    cmd = stack.supervisor_command(st, "worker", [sys.executable, "-c", "raise SystemExit(3)"],
                                   first=0.1, cap=0.4)
    started = time.monotonic()
    supervisor = stack._spawn(st, "worker", cmd, dict(os.environ))
    assert wait_until(lambda: stack.supervised(st, "worker").get("restarts", 0) >= 4, 60)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.1 + 0.2 + 0.4 + 0.4 - 0.05  # the waits before restarts 1..4
    state = stack.supervised(st, "worker")
    assert state["last_exit"] == 3 and state["supervisor"] == supervisor.pid
    assert wait_until(lambda: stack.supervised(st, "worker").get("state") == "waiting", 30)
    assert stack.status(st) == 1  # a worker that is not running is not OK
    out = capsys.readouterr().out
    assert "worker    not running: restarting in" in out and "last exit 3" in out, out
    log = (st.state_dir / "worker.log").read_text()
    assert "exited with 3; starting it again in 0.2 s" in log, log


def test_a_killed_worker_is_started_again_and_stop_ends_both(st, capsys):
    cmd = stack.supervisor_command(
        st, "worker", [sys.executable, "-c", "import time; time.sleep(600)"], first=0.2, cap=1.0)
    supervisor = stack._spawn(st, "worker", cmd, dict(os.environ))
    assert wait_until(lambda: alive(stack.supervised(st, "worker").get("pid")), 30)
    first = stack.supervised(st, "worker")["pid"]
    assert first != supervisor.pid
    assert stack.running(st) == {"worker": supervisor.pid}
    assert stack.status(st) == 0
    assert f"worker    pid {first}  running (restarts 0; supervisor pid {supervisor.pid})" \
        in capsys.readouterr().out

    os.kill(first, signal.SIGKILL)  # the worker dies (Redis took it down, the OOM killer ...)
    assert wait_until(lambda: stack.supervised(st, "worker").get("pid") not in (None, first)
                      and alive(stack.supervised(st, "worker").get("pid")), 30)
    second = stack.supervised(st, "worker")
    assert second["restarts"] == 1 and second["last_exit"] == -signal.SIGKILL
    assert stack.status(st) == 0
    assert f"worker    pid {second['pid']}  running (restarts 1, last exit -9" \
        in capsys.readouterr().out

    stack.stop(st, quiet=True, timeout=10)
    assert wait_until(lambda: not alive(second["pid"]) and not alive(supervisor.pid), 30)
    assert supervisor.wait(timeout=10) == 0  # the supervisor ended on SIGTERM, cleanly
    assert stack.running(st) == {}
    assert stack.status(st) == 1 and "not running" in capsys.readouterr().out


def test_stop_passes_sigterm_to_the_worker_and_waits_for_it(st, tmp_path):
    """The worker gets SIGTERM and finishes its job (warm shutdown) before the supervisor ends."""
    done, ready = tmp_path / "done", tmp_path / "ready"
    child = ("import signal, sys, time, pathlib\n"
             "def bye(*_):\n"
             "    time.sleep(0.5); pathlib.Path(sys.argv[1]).touch(); sys.exit(0)\n"
             "signal.signal(signal.SIGTERM, bye)\n"
             "pathlib.Path(sys.argv[2]).touch()\n"
             "time.sleep(600)\n")
    cmd = stack.supervisor_command(
        st, "worker", [sys.executable, "-c", child, str(done), str(ready)]
    )
    supervisor = stack._spawn(st, "worker", cmd, dict(os.environ))
    assert wait_until(ready.exists, 30)
    stack.stop(st, quiet=True, timeout=20)
    assert supervisor.wait(timeout=10) == 0
    assert done.exists()  # it finished before the supervisor ended
    assert stack.supervised(st, "worker") == {}  # stop removed the state file with the pid file


def test_what_a_killed_worker_leaves_behind_is_ended(st, tmp_path):
    """A worker killed with SIGKILL leaves its RQ scheduler process running: the supervisor
    ends it before it starts the next worker (it would hold the scheduler's lock)."""
    grandchild = tmp_path / "grandchild.pid"
    child = ("import subprocess, sys, time\n"
             "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
             "open(sys.argv[1], 'w').write(str(p.pid))\n"
             "time.sleep(600)\n")
    cmd = stack.supervisor_command(st, "worker", [sys.executable, "-c", child, str(grandchild)],
                                   first=0.2, cap=1.0)
    stack._spawn(st, "worker", cmd, dict(os.environ))
    assert wait_until(lambda: grandchild.exists() and grandchild.read_text(), 30)
    left = int(grandchild.read_text())
    grandchild.unlink()
    os.kill(stack.supervised(st, "worker")["pid"], signal.SIGKILL)
    assert wait_until(lambda: not alive(left), 30)  # ended by the supervisor
    assert wait_until(lambda: grandchild.exists() and grandchild.read_text(), 30)  # and restarted
    assert stack.supervised(st, "worker")["restarts"] == 1
