"""The full local stack on one machine: PostgreSQL + Redis, two gunicorn servers, one worker.

    .venv/bin/python scripts/stack.py up [--fresh] [--mail HOST:PORT]   (make up)
    .venv/bin/python scripts/stack.py status
    .venv/bin/python scripts/stack.py stop                              (make down)

``up`` checks that PostgreSQL answers at 127.0.0.1:5432 and Redis at
127.0.0.1:6379 (when either does not and this runs as root on Debian, it
installs ``postgresql`` / ``redis-server`` with apt-get and starts them with
``service``; otherwise it says what to do), creates the database
``cosign_stack`` (``--fresh``: drops and re-creates it and empties the stack's
Redis database and storage directory), migrates it, and starts in the
background

* two gunicorn servers (``gunicorn -c gunicorn.conf.py wsgi:app``) on
  127.0.0.1:8101 and 127.0.0.1:8102, ``WEB_CONCURRENCY=2`` workers each;
* one job worker (``flask --app wsgi cosign worker``), if this version of
  cosign has that command, under a supervisor (``stack.py supervise``) that
  starts it again whenever it exits, after 1, 2, 4 ... 30 s (see
  :func:`supervise`); ``status`` shows its pid and state;

all with the same ``DATABASE_URL``, ``REDIS_URL`` (Redis database 14; the tests
use 15), ``SECRET_KEY`` (generated once, kept in ``instance/stack/secret_key``),
``COSIGN_STORAGE_DIR`` (``instance/stack/storage``) and ``COSIGN_SITE_URL``. It
waits until ``/healthz`` answers 200 on both ports and prints what runs where.
Process ids and logs are in ``instance/stack/``; ``stop`` ends exactly those
processes. Any other setting (``COSIGN_*``, ``MAIL_*``) is taken from the
environment ``up`` runs in, e.g. ``COSIGN_SIGN_LIMIT_IP="1000 per hour" make up``.

Other servers: ``COSIGN_STACK_PG_ADMIN_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, a role that may create
databases) and ``COSIGN_STACK_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``).

``benchmarks/load.py`` uses the functions here with its own state directory,
database, ports and Redis database, so it does not disturb a stack started by
``make up``.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
STARTUP_TIMEOUT = 60.0


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do."""


@dataclass
class Stack:
    """Where the stack's parts live. The defaults are the ones of ``make up``."""

    state_dir: Path = ROOT / "instance" / "stack"
    database: str = "cosign_stack"
    ports: tuple[int, ...] = (8101, 8102)
    web_concurrency: int = 2
    pg_admin_url: str = field(
        default_factory=lambda: os.environ.get("COSIGN_STACK_PG_ADMIN_URL") or DEFAULT_PG_ADMIN_URL)
    redis_url: str = field(
        default_factory=lambda: os.environ.get("COSIGN_STACK_REDIS_URL") or DEFAULT_REDIS_URL)
    mail: tuple[str, int] | None = None  # (host, port) of an SMTP server
    worker: bool = True
    env: dict[str, str] = field(default_factory=dict)  # more settings for every process
    gunicorn_args: str = ""  # GUNICORN_CMD_ARGS for both servers
    access_log: bool = True

    @property
    def storage_dir(self) -> Path:
        return self.state_dir / "storage"

    def database_url(self) -> str:
        return _with_database(self._admin_url(), self.database)

    def _admin_url(self) -> str:
        """The admin URL, or the password role made by :func:`_make_password_role`."""
        saved = self.state_dir / "pg-admin-url"
        if saved.exists():
            return saved.read_text().strip()
        return self.pg_admin_url


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def say(message: str = "") -> None:
    print(message, flush=True)


# --- PostgreSQL and Redis ---------------------------------------------------------------

def _listening(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def _pg_problem(url: str) -> str | None:
    try:
        _pg_connect(url).close()
    except Exception as exc:  # noqa: BLE001 - any driver error means "cannot use it"
        return " ".join(str(exc).split())[:300] or type(exc).__name__
    return None


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        return " ".join(str(exc).split())[:300] or type(exc).__name__
    return None


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install(packages: list[str]) -> None:
    say(f"Installing Debian packages: {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env, check=False)
    if result.returncode != 0:
        raise StackError(f"apt-get install {' '.join(packages)} failed (exit {result.returncode}).")


def _service_start(name: str) -> None:
    if shutil.which("service"):
        subprocess.run(["service", name, "start"], check=False)
    elif shutil.which("systemctl"):
        subprocess.run(["systemctl", "start", name], check=False)


def _wait_listening(host: str, port: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _listening(host, port):
            return True
        time.sleep(0.5)
    return False


def ensure_redis(stack: Stack) -> None:
    host, port = _host_port(stack.redis_url, 6379)
    if not _listening(host, port) and host in {"127.0.0.1", "localhost"}:
        if not _can_install():
            raise StackError(
                f"Redis does not answer at {host}:{port}. Start it (Debian: `sudo apt-get install "
                "redis-server && sudo service redis-server start`), or point "
                "COSIGN_STACK_REDIS_URL at a Redis server.")
        if not shutil.which("redis-server"):
            _apt_install(["redis-server"])
        say("Starting Redis (service redis-server start)")
        _service_start("redis-server")
        _wait_listening(host, port)
    problem = _redis_problem(stack.redis_url)
    if problem:
        raise StackError(f"Redis at {stack.redis_url} does not answer PING: {problem}")


def ensure_postgres(stack: Stack) -> None:
    host, port = _host_port(stack._admin_url(), 5432)
    if not _listening(host, port) and host in {"127.0.0.1", "localhost"}:
        if not _can_install():
            raise StackError(
                f"PostgreSQL does not answer at {host}:{port}. Start it (Debian: `sudo apt-get "
                "install postgresql && sudo service postgresql start`), or point "
                "COSIGN_STACK_PG_ADMIN_URL at a server and a role that may create databases.")
        if not Path("/usr/lib/postgresql").is_dir():
            _apt_install(["postgresql"])
        say("Starting PostgreSQL (service postgresql start)")
        _service_start("postgresql")
        _wait_listening(host, port)
    problem = _pg_problem(stack._admin_url())
    if problem and "password" in problem.lower() and stack._admin_url() == DEFAULT_PG_ADMIN_URL:
        # A fresh Debian server asks for a password on TCP: make a role that has one.
        _make_password_role(stack)
        problem = _pg_problem(stack._admin_url())
    if problem:
        raise StackError(
            f"Cannot connect to PostgreSQL as {_safe(stack._admin_url())}: {problem}. Set "
            "COSIGN_STACK_PG_ADMIN_URL to a role that may create databases, e.g. "
            "postgresql://user:password@127.0.0.1:5432/postgres.")


def _make_password_role(stack: Stack) -> None:
    """Create the role ``cosign_stack`` with a random password through the local socket."""
    if os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("psql"):
        return
    password = secrets.token_urlsafe(24)
    sql = ("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cosign_stack') "
           "THEN CREATE ROLE cosign_stack LOGIN CREATEDB; END IF; END $$; "
           f"ALTER ROLE cosign_stack PASSWORD '{password}';")
    result = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-qc", sql],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return
    say("PostgreSQL asks for a password on TCP: created the role cosign_stack for the stack")
    stack.state_dir.mkdir(parents=True, exist_ok=True)
    saved = stack.state_dir / "pg-admin-url"
    saved.write_text(f"postgresql://cosign_stack:{password}@127.0.0.1:5432/postgres\n")
    saved.chmod(0o600)


def _safe(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def prepare_database(stack: Stack, fresh: bool) -> None:
    with _pg_connect(stack._admin_url()) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (stack.database,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{stack.database}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{stack.database}"')
            say(f"Created the database {stack.database}")


def flush_redis(stack: Stack) -> None:
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- the processes ------------------------------------------------------------------------

def environment(stack: Stack) -> dict[str, str]:
    """The environment shared by every process of the stack."""
    stack.state_dir.mkdir(parents=True, exist_ok=True)
    key_file = stack.state_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48) + "\n")
        key_file.chmod(0o600)
    stack.storage_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": stack.database_url(),
        "REDIS_URL": stack.redis_url,
        "SECRET_KEY": key_file.read_text().strip(),
        "COSIGN_STORAGE_DIR": str(stack.storage_dir),
        "COSIGN_SITE_URL": os.environ.get("COSIGN_SITE_URL") or f"http://127.0.0.1:{stack.ports[0]}",
        "WEB_CONCURRENCY": str(stack.web_concurrency),
        "PYTHONUNBUFFERED": "1",
    }
    if stack.mail is not None:
        env["MAIL_SERVER"], env["MAIL_PORT"] = stack.mail[0], str(stack.mail[1])
    env.update(stack.env)
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(_flask("db", "upgrade"), cwd=ROOT, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"flask db upgrade failed:\n{result.stdout}{result.stderr}")


def has_worker_command(env: dict[str, str]) -> bool:
    """Whether this cosign has ``flask cosign worker`` (the RQ job worker)."""
    result = subprocess.run(_flask("cosign", "worker", "--help"), cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    return result.returncode == 0


def _pid_file(stack: Stack, name: str) -> Path:
    return stack.state_dir / f"{name}.pid"


def _spawn(stack: Stack, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    log = open(stack.state_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()
    _pid_file(stack, name).write_text(f"{proc.pid}\n")
    return proc


def start_web(stack: Stack, env: dict[str, str], port: int) -> subprocess.Popen:
    name = f"web-{port}"
    web_env = {**env, "BIND": f"127.0.0.1:{port}",
               "GUNICORN_ACCESSLOG": str(stack.state_dir / f"{name}.access.log")
               if stack.access_log else "off"}
    if stack.gunicorn_args:
        web_env["GUNICORN_CMD_ARGS"] = stack.gunicorn_args
    return _spawn(stack, name, [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                "wsgi:app"], web_env)


def start_worker(stack: Stack, env: dict[str, str]) -> subprocess.Popen:
    """The job worker under its supervisor; the pid file holds the supervisor's pid."""
    return _spawn(stack, "worker", supervisor_command(stack, "worker", _flask("cosign", "worker")),
                  env)


# --- supervision: a child that dies is started again --------------------------------------------

RESTART_FIRST = 1.0  # seconds before the first restart
RESTART_MAX = 30.0  # the longest wait between two restarts
STABLE_AFTER = 60.0  # a child that ran this long is restarted after RESTART_FIRST again
STOP_TIMEOUT = 25.0  # seconds the child has to stop after SIGTERM (then SIGKILL)


def _state_file(stack: Stack, name: str) -> Path:
    return stack.state_dir / f"{name}.state.json"


def supervisor_command(stack: Stack, name: str, cmd: list[str], *, first: float = RESTART_FIRST,
                       cap: float = RESTART_MAX, stable_after: float = STABLE_AFTER) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "supervise",
            "--state", str(_state_file(stack, name)), "--first", f"{first:g}", "--cap", f"{cap:g}",
            "--stable-after", f"{stable_after:g}", "--", *cmd]


def _write_state(path: Path, **state) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"supervisor": os.getpid(), "updated": time.time(), **state}))
    tmp.replace(path)


def supervise(cmd: list[str], state_file: Path, *, first: float = RESTART_FIRST,
              cap: float = RESTART_MAX, stable_after: float = STABLE_AFTER,
              cwd: Path = ROOT) -> int:
    """Run ``cmd`` and start it again whenever it exits, until SIGTERM or Ctrl+C.

    The wait before a restart doubles from ``first`` up to ``cap`` seconds (no
    tight loop when the child cannot start), and is ``first`` again once the
    child has run ``stable_after`` seconds. SIGTERM/SIGINT are passed on to the
    child, which gets :data:`STOP_TIMEOUT` seconds to finish its job. What runs
    is written to ``state_file`` (JSON: ``pid``, ``state`` running / waiting /
    stopped, ``restarts``, ``last_exit``, ``next_start``) for ``status``. The
    child shares this process's output (the log) and process group.
    """
    stopping: list[int] = []
    child: subprocess.Popen | None = None

    def on_signal(signum, _frame):
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    restarts, wait, last_exit = 0, first, None
    try:
        while not stopping:
            started = time.monotonic()
            child = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL)
            _write_state(state_file, pid=child.pid, state="running", restarts=restarts,
                         last_exit=last_exit, since=time.time())
            if stopping:  # a signal came while it was being started
                child.send_signal(signal.SIGTERM)
            try:
                last_exit = child.wait()
            except KeyboardInterrupt:
                last_exit = child.wait()
            _end_leftovers()
            if stopping:
                break
            if time.monotonic() - started >= stable_after:
                wait = first
            say(f"supervisor: {' '.join(cmd[-3:])} (pid {child.pid}) exited with {last_exit}; "
                f"starting it again in {wait:g} s")
            _write_state(state_file, pid=None, state="waiting", restarts=restarts,
                         last_exit=last_exit, next_start=time.time() + wait)
            deadline = time.monotonic() + wait
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, wait))
            wait = min(cap, wait * 2)
            restarts += 1
        if child is not None and child.poll() is None:
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _end_leftovers()
        _write_state(state_file, pid=None, state="stopped", restarts=restarts,
                     last_exit=last_exit if child is None else child.returncode)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _end_leftovers(timeout: float = 5.0) -> None:
    """End what the dead child left in this process group (the worker's RQ scheduler
    process outlives a worker killed with SIGKILL): SIGTERM, then SIGKILL."""
    me, group = os.getpid(), os.getpgrp()

    def others() -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
            except (OSError, ValueError):
                continue
            pid = int(stat.parent.name)
            if int(pgrp) == group and pid != me and state != "Z":
                pids.append(pid)
        return pids

    if group != me:  # not a group of our own (run by hand in a shell): leave it alone
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 0.0)):
        for pid in others():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while others() and time.monotonic() < deadline:
            time.sleep(0.1)


def supervised(stack: Stack, name: str) -> dict:
    """What the supervisor of ``name`` last wrote (empty if nothing)."""
    try:
        return json.loads(_state_file(stack, name).read_text())
    except (OSError, ValueError):
        return {}


def healthz(port: int, timeout: float = 2.0) -> tuple[int, dict]:
    """(HTTP status, JSON answer) of /healthz; (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError):
        return 0, {}


def wait_healthy(stack: Stack, procs: dict[str, subprocess.Popen],
                 timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(stack.ports)
    while waiting:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise StackError(f"{name} exited with {proc.returncode}; see "
                                 f"{stack.state_dir / (name + '.log')}")
        for port in sorted(waiting):
            if healthz(port)[0] == 200:
                waiting.discard(port)
        if waiting and time.monotonic() > deadline:
            raise StackError(f"/healthz did not answer 200 within {timeout:g} s on port(s) "
                             f"{sorted(waiting)}; see the logs in {stack.state_dir}")
        if waiting:
            time.sleep(0.2)


def _port_taken(port: int) -> bool:
    return _listening("127.0.0.1", port, timeout=0.5)


def up(stack: Stack, fresh: bool = False, quiet: bool = False) -> dict:
    """Start the stack (stopping a running one first); returns what runs where."""
    out = (lambda *_: None) if quiet else say
    stack.state_dir.mkdir(parents=True, exist_ok=True)
    if running(stack):
        out("The stack is running: stopping it first")
        stop(stack, quiet=quiet)
    for port in stack.ports:
        if _port_taken(port):
            raise StackError(f"Port {port} is taken by another program; free it or choose other "
                             "ports (--ports).")
    ensure_postgres(stack)
    ensure_redis(stack)
    prepare_database(stack, fresh)
    if fresh:
        flush_redis(stack)
        shutil.rmtree(stack.storage_dir, ignore_errors=True)
    env = environment(stack)
    migrate(env)
    procs: dict[str, subprocess.Popen] = {}
    try:
        for port in stack.ports:
            procs[f"web-{port}"] = start_web(stack, env, port)
        worker_note = "not started (--no-worker)"
        if stack.worker:
            if has_worker_command(env):
                procs["worker"] = start_worker(stack, env)
                worker_note = (f"supervised (supervisor pid {procs['worker'].pid}; restarted if it "
                               f"dies), log {stack.state_dir / 'worker.log'}")
            else:
                worker_note = ("not started: this cosign has no `flask cosign worker` command "
                               "yet (jobs run inline in the web servers)")
        wait_healthy(stack, procs)
    except BaseException:
        stop(stack, quiet=True)
        raise
    info = {
        "urls": [f"http://127.0.0.1:{port}" for port in stack.ports],
        "pids": {name: proc.pid for name, proc in procs.items()},
        "database_url": env["DATABASE_URL"],
        "redis_url": env["REDIS_URL"],
        "storage_dir": env["COSIGN_STORAGE_DIR"],
        "mail": f"{env['MAIL_SERVER']}:{env.get('MAIL_PORT', '25')}" if env.get("MAIL_SERVER")
        else None,
        "worker": "worker" in procs,
        "env": {k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                    "COSIGN_STORAGE_DIR", "COSIGN_SITE_URL")},
    }
    info_file = stack.state_dir / "stack.json"
    info_file.write_text(json.dumps({k: v for k, v in info.items() if k != "env"}, indent=2))
    out("")
    out("cosign stack is up:")
    for port in stack.ports:
        out(f"  web       http://127.0.0.1:{port}  gunicorn, {stack.web_concurrency} workers, "
            f"pid {procs[f'web-{port}'].pid}, log {stack.state_dir / f'web-{port}.log'}")
    out(f"  worker    {worker_note}")
    out(f"  database  {_safe(env['DATABASE_URL'])}")
    out(f"  redis     {env['REDIS_URL']}")
    out(f"  storage   {env['COSIGN_STORAGE_DIR']}")
    out(f"  mail      {info['mail'] or 'no MAIL_SERVER: mail stays in the outbox'}")
    out(f"Stop it with `make down` ({Path(sys.argv[0]).name} stop).")
    return info


def _alive_pid(stack: Stack, name: str) -> int | None:
    """The pid in ``name``.pid if that process still runs and is one of ours."""
    try:
        pid = int(_pid_file(stack, name).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    if "gunicorn" in cmdline or ("flask" in cmdline and "worker" in cmdline) \
            or ("stack.py" in cmdline and "supervise" in cmdline):
        return pid
    return None


def _names(stack: Stack) -> list[str]:
    return sorted(p.stem for p in stack.state_dir.glob("*.pid"))


def running(stack: Stack) -> dict[str, int]:
    return {name: pid for name in _names(stack) if (pid := _alive_pid(stack, name))}


def stop(stack: Stack, quiet: bool = False, timeout: float = 30.0) -> None:
    """End the processes named in the pid files (gunicorn masters stop their workers)."""
    out = (lambda *_: None) if quiet else say
    procs = running(stack)
    for name, pid in procs.items():
        out(f"Stopping {name} (pid {pid})")
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for name, pid in procs.items():
        while _exists(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        # the process group made for it at start: anything of it still there is killed
        if _group_exists(pid):
            out(f"  {name} did not stop within {timeout:g} s: killing its process group")
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    for name in _names(stack):
        _pid_file(stack, name).unlink(missing_ok=True)
        _state_file(stack, name).unlink(missing_ok=True)
    if not procs:
        out("The stack is not running.")


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (our own child that nobody waited for yet) counts as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def _group_exists(pgid: int) -> bool:
    """Whether a live (not zombie) process is still in the process group ``pgid``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == pgid and state != "Z":
            return True
    return False


def status(stack: Stack) -> int:
    procs = running(stack)
    if not procs:
        say("The stack is not running.")
        return 1
    ok = True
    for name, pid in procs.items():
        line = f"  {name:<9} pid {pid}"
        if name.startswith("web-"):
            code, answer = healthz(int(name[4:]))
            line += f"  /healthz {code or 'no answer'} {json.dumps(answer) if answer else ''}"
            ok &= code == 200
        else:
            line, running_ok = supervised_line(stack, name, pid)
            ok &= running_ok
        say(line)
    for port in stack.ports:
        if f"web-{port}" not in procs:
            say(f"  web-{port}  NOT running")
            ok = False
    if _worker_expected(stack) and "worker" not in procs:
        say("  worker    NOT running (nor its supervisor)")
        ok = False
    return 0 if ok else 1


def supervised_line(stack: Stack, name: str, supervisor_pid: int) -> tuple[str, bool]:
    """``status``'s line for a supervised process, and whether it runs."""
    state = supervised(stack, name)
    restarts = state.get("restarts", 0)
    exited = f", last exit {state['last_exit']}" if state.get("last_exit") is not None else ""
    tail = f"(restarts {restarts}{exited}; supervisor pid {supervisor_pid})"
    if state.get("state") == "running" and state.get("pid") and _exists(state["pid"]):
        return f"  {name:<9} pid {state['pid']}  running {tail}", True
    if state.get("state") == "waiting":
        left = max(0.0, float(state.get("next_start") or 0) - time.time())
        return f"  {name:<9} not running: restarting in {left:.1f} s {tail}", False
    return f"  {name:<9} {state.get('state') or 'starting'} {tail}", False


def _worker_expected(stack: Stack) -> bool:
    try:
        return bool(json.loads((stack.state_dir / "stack.json").read_text()).get("worker"))
    except (OSError, ValueError):
        return False


# --- command line ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start (or restart) the stack")
    p_up.add_argument("--fresh", action="store_true",
                      help="drop and re-create the database, empty the Redis database and storage")
    p_up.add_argument("--mail", metavar="HOST:PORT", help="SMTP server for the outbox")
    p_up.add_argument("--ports", default="8101,8102", help="ports of the web servers")
    p_up.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    p_up.add_argument("--no-worker", action="store_true", help="do not start the job worker")
    sub.add_parser("stop", help="stop the stack")
    sub.add_parser("down", help="the same as stop")
    sub.add_parser("status", help="what runs, and /healthz of each web server")
    p_sup = sub.add_parser("supervise", help="run a command, start it again when it exits "
                                             "(used by up for the worker)")
    p_sup.add_argument("--state", required=True, help="JSON file the state is written to")
    p_sup.add_argument("--first", type=float, default=RESTART_FIRST)
    p_sup.add_argument("--cap", type=float, default=RESTART_MAX)
    p_sup.add_argument("--stable-after", type=float, default=STABLE_AFTER)
    p_sup.add_argument("cmd", nargs="+", help="the command (after --)")
    args = parser.parse_args(argv)
    if args.command == "supervise":
        return supervise(args.cmd, Path(args.state), first=args.first, cap=args.cap,
                         stable_after=args.stable_after)

    stack = Stack()
    saved = stack.state_dir / "stack.json"
    if saved.exists():  # the ports of the last `up`
        try:
            stack.ports = tuple(
                int(u.rpartition(":")[2]) for u in json.loads(saved.read_text())["urls"]
            )
        except (ValueError, KeyError):
            pass
    try:
        if args.command == "up":
            stack.ports = tuple(int(p) for p in args.ports.split(",") if p.strip())
            stack.web_concurrency = args.workers
            stack.worker = not args.no_worker
            if args.mail:
                host, _, port = args.mail.rpartition(":")
                stack.mail = (host or "127.0.0.1", int(port))
            up(stack, fresh=args.fresh)
            return 0
        if args.command in {"stop", "down"}:
            stop(stack)
            return 0
        return status(stack)
    except StackError as exc:
        say(f"stack: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
