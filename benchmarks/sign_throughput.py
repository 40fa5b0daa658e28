"""Sign-on throughput under gunicorn, against a bare endpoint on the same server.

A temporary, migrated SQLite database holds one statement open for signature.
gunicorn (2 workers by default) serves the real cosign app built from the
environment, plus one bare view, ``/bench/bare``, registered on the same app
object: same server, same process model, same middleware (CSRF, limiter,
security headers). Client threads (split over client processes) use
``http.client``; CSRF is on, so every sign-on thread first GETs the form
once for its session cookie and token, then POSTs distinct organisations in a
loop. After a warm-up, each phase is measured for a fixed time:

* bare: POSTs of a same-sized form body to ``/bench/bare`` (the ceiling of this
  client + server + machine: what a request costs with no work in the view);
* sign: POSTs to ``/s/<slug>/sign``, each of which must get a 303.

With ``--signatories 10000`` a third phase signs on to a second statement that already has
that many approved signatories: every sign-on then compares itself with all of them
(look-alike key, near-duplicates by name, website and e-mail domain) before its write
transaction; its ratio to the sign-ons on the empty statement is that look-up's cost on
the whole path.

Prints requests per second, latency p50/p99 and errors of both, the ratio
sign/bare, CPU seconds used by server and clients, and checks that the number
of signature rows equals the number of 303 answers. Target: ratio >= 0.5 with
no errors; exits 1 if not met.

    .venv/bin/python -m benchmarks.sign_throughput [--duration 10] [--clients 16]

Note: server and clients share the machine's cores, so the bare figure is
bounded by the client processes as much as by the server.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
LIMIT = "1000000 per hour"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# --- the served app ---------------------------------------------------------------

def make_app():
    """The cosign app from the environment plus the bare endpoint (gunicorn factory)."""
    from cosign.app import create_app
    from cosign.extensions import csrf

    app = create_app()

    def bench_bare():
        return "ok"

    app.add_url_rule("/bench/bare", "bench_bare", bench_bare, methods=["GET", "POST"])
    csrf.exempt(bench_bare)
    return app


# --- set-up -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(env: dict[str, str], signatories: int = 0) -> tuple[str, str | None]:
    """Migrate the database named in ``env`` and open a statement; with ``signatories``, a
    second one with that many approved signatories (website and e-mail each, so that every
    sign-on's near-duplicate look-up does its whole work). Returns both slugs."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from cosign import accounts, drafting, signing
    from cosign.app import create_app
    from cosign.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        session = db.session()
        user = accounts.create_user(session, "bench@example.org", "Bench Coordinator",
                                    "bench-password-123")
        session.commit()
        statement = drafting.create_statement(
            session, user.id, drafting.Text(
                "Stop the killing of protesters",
                "We, the undersigned organisations, strongly condemn the killing of "
                "peaceful protesters.\n\nWe call for an independent investigation."))
        signing.open_for_signature(session, statement, user.id, signing.OpenOptions())
        slug, big_slug = statement.slug, None
        session.commit()
        if signatories:
            big_slug = _statement_with_signatories(session, user, signatories)
        db.session.remove()
        db.engine.dispose()
    return slug, big_slug


def _statement_with_signatories(session, user, count: int) -> str:
    from sqlalchemy import Table

    from cosign import drafting, signing
    from cosign.core.names import name_key
    from cosign.models import Signature

    statement = drafting.create_statement(session, user.id, drafting.Text(
        "Release the detained journalists", "We call for the release of every detained "
        "journalist.\n\nWe call for an independent investigation."))
    signing.open_for_signature(session, statement, user.id, signing.OpenOptions())
    session.commit()
    rows = []
    for i in range(count):
        name = f"Association {i} for Civil Rights and Free Media"
        rows.append(dict(statement_id=statement.id, name=name, public_name=name,
                         name_key=name_key(name),
                         country="IQ", status="approved", revision=1,
                         email=f"office@civil-rights-{i}.org",
                         website=f"https://civil-rights-{i}.org"))
    session.execute(cast(Table, Signature.__table__).insert(), rows)
    session.commit()
    return statement.slug


def start_server(env: dict[str, str], port: int, workers: int, threads: int, log: Path):
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--chdir", str(ROOT), "--error-logfile", str(log), "--log-level", "warning",
           "--backlog", "2048"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    cmd.append("benchmarks.sign_throughput:make_app()")
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # the master stops its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of the processes, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


# --- the load -------------------------------------------------------------------------

@dataclass
class ThreadResult:
    latencies: list[float] = field(default_factory=list)  # completed in the window, ok
    window_ok: int = 0
    window_errors: int = 0
    total_303: int = 0  # every 303 of the run, warm-up included (each is a row)
    errors: list[str] = field(default_factory=list)


def sign_body(org: str, n: int, token: str | None) -> bytes:
    data = {
        "kind": "organisation", "organisation": org, "country": "IQ", "city": "Nasiriya",
        "org_type": "ngo", "website": "https://example.org", "contact_name": f"Contact {n}",
        "contact_role": "Coordinator", "email": f"contact{n}@example.org", "display": "named",
        "authorised": "y", "message": "", "fax": "",
    }
    if token is not None:
        data["csrf_token"] = token
    return urllib.parse.urlencode(data).encode()


def client_thread(kind: str, port: int, slug: str, tag: str, start: float, measure_from: float,
                  stop: float, out: ThreadResult) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    token = None
    try:
        if kind == "sign":  # a real visitor: load the form once, keep the cookie and token
            conn.request("GET", f"/s/{slug}/sign")
            response = conn.getresponse()
            html = response.read().decode()
            cookie = next((c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ()
                           if c.startswith("session=")), "")
            match = CSRF_RE.search(html)
            if response.status != 200 or not cookie or not match:
                out.errors.append(f"GET form: {response.status}, cookie={bool(cookie)}")
                return
            headers["Cookie"] = cookie
            token = match.group(1)
        path = f"/s/{slug}/sign" if kind == "sign" else "/bench/bare"
        expected = 303 if kind == "sign" else 200
        while time.time() < start:
            time.sleep(0.001)
        n = 0
        while True:
            t0 = time.time()
            if t0 >= stop:
                break
            n += 1
            body = sign_body(f"Bench organisation {tag}-{n}", n, token)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                location = response.getheader("Location", "")
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, location = None, repr(exc)
            t1 = time.time()
            ok = status == expected and (
                kind != "sign" or location.endswith(f"/s/{slug}/sign/sent")
            )
            if kind == "sign" and status == 303:
                out.total_303 += 1
            in_window = t0 >= measure_from and t1 <= stop
            if ok and in_window:
                out.window_ok += 1
                out.latencies.append(t1 - t0)
            elif not ok:
                out.errors.append(f"{status} {location[:100]}")
                if in_window:
                    out.window_errors += 1
    finally:
        conn.close()


def client_process(args: tuple) -> list[ThreadResult]:
    kind, port, slug, proc_no, threads, start, measure_from, stop, run_id = args
    results = [ThreadResult() for _ in range(threads)]
    workers = [threading.Thread(target=client_thread, args=(
        kind, port, slug, f"{run_id}-{proc_no}-{i}", start, measure_from, stop, results[i]))
        for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


@dataclass
class Phase:
    kind: str
    rate: float
    ok: int
    window_errors: int
    errors: list[str]
    total_303: int
    p50_ms: float
    p99_ms: float
    server_cpu: float
    client_cpu: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_phase(kind: str, port: int, slug: str, server_pid: int, clients: int, procs: int,
              warmup: float, duration: float) -> Phase:
    ctx = multiprocessing.get_context("fork")
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    start = time.time() + 1.0  # time for the client processes to start and fetch forms
    measure_from = start + warmup
    stop = measure_from + duration
    run_id = secrets.token_hex(3)
    server_pids = [server_pid] + _children(server_pid)
    with ctx.Pool(procs) as pool:
        client_pids = [p.pid for p in pool._pool]  # type: ignore[attr-defined]  # noqa: SLF001 - private, not in typeshed; for CPU accounting only
        pending = pool.map_async(client_process, [
            (kind, port, slug, i, n, start, measure_from, stop, run_id)
            for i, n in enumerate(per_proc)])
        # CPU over the measured window, sampled while the client processes still exist
        time.sleep(max(0.0, measure_from - time.time()))
        server_before, client_before = cpu_seconds(server_pids), cpu_seconds(client_pids)
        time.sleep(max(0.0, stop - time.time()))
        server_cpu = cpu_seconds(server_pids) - server_before
        client_cpu = cpu_seconds(client_pids) - client_before
        results = [r for proc_results in pending.get(timeout=duration + warmup + 120)
                   for r in proc_results]
    latencies = [x for r in results for x in r.latencies]
    ok = sum(r.window_ok for r in results)
    return Phase(
        kind=kind, rate=ok / duration, ok=ok,
        window_errors=sum(r.window_errors for r in results),
        errors=[e for r in results for e in r.errors],
        total_303=sum(r.total_303 for r in results),
        p50_ms=percentile(latencies, 0.50) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
        server_cpu=server_cpu, client_cpu=client_cpu,
    )


def count_rows(db_path: Path, slug: str) -> tuple[int, int]:
    with sqlite3.connect(db_path) as conn:
        (statement_id,) = conn.execute(
            "SELECT id FROM statement WHERE slug = ?", (slug,)
        ).fetchone()
        signatures = conn.execute("SELECT count(*) FROM signature WHERE statement_id = ?",
                                  (statement_id,)).fetchone()[0]
        mails = conn.execute("SELECT count(*) FROM outbox_message WHERE statement_id = ? AND "
                             "kind = 'signature-confirm'", (statement_id,)).fetchone()[0]
    return signatures, mails


def report(phase: Phase, duration: float) -> None:
    print(
        f"  {phase.kind:<5} {phase.rate:8.1f} req/s   p50 {phase.p50_ms:7.1f} ms   "
        f"p99 {phase.p99_ms:7.1f} ms   errors {len(phase.errors)}   "
        f"CPU server {phase.server_cpu / duration:4.2f} "
        f"/ clients {phase.client_cpu / duration:4.2f} "
        f"cores"
    )
    for error in phase.errors[:5]:
        print(f"        error: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (1 = the sync worker)")
    parser.add_argument("--signatories", type=int, default=0,
                        help="also sign on to a statement with this many approved signatories "
                             "(the near-duplicate look-up's cost on the whole path)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="cosign-bench-"))
    db_path = tmp / "cosign.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "COSIGN_SIGN_LIMIT_IP": LIMIT,
        "COSIGN_SIGN_LIMIT_DOMAIN": LIMIT,
        "COSIGN_DEV": "",
        "COSIGN_SITE_URL": "http://127.0.0.1",
        "MAIL_SERVER": "",
        "REDIS_URL": "",
    }
    log = tmp / "gunicorn.log"
    server = None
    try:
        slug, big_slug = prepare_database(env, args.signatories)
        port = free_port()
        server = start_server(env, port, args.workers, args.threads, log)
        worker_kind = "sync" if args.threads == 1 else f"gthread x{args.threads}"
        print(f"gunicorn {args.workers} workers ({worker_kind}) on 127.0.0.1:{port}, SQLite "
              f"(WAL, synchronous=FULL), CSRF on; {args.clients} client threads in "
              f"{args.client_procs} processes; {os.cpu_count()} cores; "
              f"{args.warmup:g} s warm-up + {args.duration:g} s per phase")
        bare = run_phase("bare", port, slug, server.pid, args.clients, args.client_procs,
                         args.warmup, args.duration)
        report(bare, args.duration)
        sign = run_phase("sign", port, slug, server.pid, args.clients, args.client_procs,
                         args.warmup, args.duration)
        report(sign, args.duration)
        big = None
        if big_slug:
            big = run_phase("sign", port, big_slug, server.pid, args.clients, args.client_procs,
                            args.warmup, args.duration)
            big.kind = f"sign on a statement with {args.signatories} signatories:\n       "
            report(big, args.duration)
            print(f"  ratio to sign-ons on an empty statement: {big.rate / sign.rate:.2f} "
                  f"(server CPU per sign-on {1000 * big.server_cpu / max(big.ok, 1):.1f} ms "
                  f"vs {1000 * sign.server_cpu / max(sign.ok, 1):.1f} ms)")
        stop_server(server)
        server = None

        signatures, mails = count_rows(db_path, slug)
        rows_ok = signatures == sign.total_303 == mails
        print(f"  signature rows {signatures}, confirmation mails {mails}, 303 answers "
              f"{sign.total_303} (warm-up included): {'consistent' if rows_ok else 'MISMATCH'}")
        tracebacks = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
        if tracebacks:
            print(f"  server log: {tracebacks} tracebacks ({log})")
        ratio = sign.rate / bare.rate if bare.rate else 0.0
        print(f"sign-ons {sign.rate:.1f}/s vs bare {bare.rate:.1f}/s: ratio {ratio:.2f}")
        errors = len(sign.errors) + len(bare.errors) + tracebacks + (len(big.errors) if big else 0)
        met = ratio >= 0.5 and errors == 0 and rows_ok
        print("target (ratio >= 0.5, 0 errors, rows = 303s):", "target met" if met else "NOT met")
        if errors or not rows_ok:
            args.keep = True  # the database and the server log, for a look
        return 0 if met else 1
    finally:
        stop_server(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
