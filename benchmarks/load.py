"""Load: N concurrent distinct sign-ons against the two-server stack and the embedded setup.

Two setups, one after the other, in the same run:

* stack: the `make up` shape (scripts/stack.py) with its own database
  (``cosign_load``), free ports and Redis database 13, so a stack started by
  `make up` is not disturbed: two gunicorn servers (2 sync workers each)
  sharing PostgreSQL and Redis, plus one job worker (``flask cosign worker``,
  when this cosign has it; otherwise the web servers deliver mail inline);
* embedded: one gunicorn server (4 sync workers: as many as the stack's two
  servers together) on a SQLite file, no Redis, jobs inline.

Each setup sends its mail to its own aiosmtpd sink on a free port. A
coordinator and two statements open for signature are made through the
services: ``--warmup`` sign-ons (default 40) go to the first one and are not
measured (every web worker imports, connects and compiles its templates; the
sink is emptied after their mail arrived), the burst goes to the second. Client threads in
several processes (``--procs``) first load the sign-on form
(GET: session cookie and CSRF token, not measured), then all N POSTs are
released at once, alternating between the stack's two servers. Every POST must
be answered 303 to ``/s/<slug>/sign/sent``; anything else is an error. Then
the script waits until the sink holds N mails, checks that no recipient got
two, and counts the signature rows and outbox mails in the database.

Sign-ons per second = N / (last answer - first request of the burst); p50/p99
= latency of one sign-on POST (including connecting), with all N arriving at
once, so it includes queueing. The sign-on rate limits (COSIGN_SIGN_LIMIT_IP,
COSIGN_SIGN_LIMIT_DOMAIN) are raised to 1000000 per hour for both setups (all
clients share one IP address and one e-mail domain). The statement's PDF is
not rendered during the run (its "wanted" mark is cleared after opening).

    make install && .venv/bin/python benchmarks/load.py [--n 500] [--procs 4]

Exits 1 unless both setups give exactly N rows, N mails (each once) and no
HTTP errors. Needs PostgreSQL and Redis (see scripts/stack.py; it installs
them on Debian when run as root).
"""
from __future__ import annotations

import argparse
import http.client
import importlib.util
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sign_throughput import CSRF_RE, free_port, percentile, sign_body  # noqa: E402

LIMIT = "1000000 per hour"
LIMITS = {"COSIGN_SIGN_LIMIT_IP": LIMIT, "COSIGN_SIGN_LIMIT_DOMAIN": LIMIT}
LOAD_REDIS_DB = 13  # make up uses 14, the tests 15
CLIENT_TIMEOUT = 120.0


def _load_stack_module():
    spec = importlib.util.spec_from_file_location(
        "cosign_stack_script", ROOT / "scripts" / "stack.py"
    )
    assert spec is not None and spec.loader is not None, "scripts/stack.py is missing"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


stack = _load_stack_module()


# --- the SMTP sink --------------------------------------------------------------------------

class Sink:
    def __init__(self):
        self.recipients: list[str] = []
        self.last = 0.0  # time.time() of the last mail received
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
            self.last = time.time()
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.recipients)

    def clear(self) -> None:
        with self.lock:
            self.recipients.clear()


def start_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink


# --- the statement ---------------------------------------------------------------------------

def open_statement(database_url: str, secret_key: str, storage: Path) -> tuple[int, str]:
    """A coordinator and a statement open for signature; (id, slug)."""
    from cosign import accounts, drafting, signing
    from cosign.app import create_app
    from cosign.extensions import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key,
        "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": None,
        "COSIGN_PDF_AUTO": False, "COSIGN_STORAGE_DIR": str(storage),
        "COSIGN_SITE_URL": "http://127.0.0.1",
    })
    with app.app_context():
        session = db.session()
        user = accounts.create_user(session, f"load-{secrets.token_hex(4)}@example.org",
                                    "Load Coordinator", "load-password-123")
        session.commit()
        statement = drafting.create_statement(
            session, user.id, drafting.Text(
                "Stop the killing of protesters",
                "We, the undersigned organisations, strongly condemn the killing of "
                "peaceful protesters.\n\nWe call for an independent investigation."))
        signing.open_for_signature(session, statement, user.id, signing.OpenOptions())
        session.commit()
        ids = statement.id, statement.slug
        statement.pdf_wanted_at = None  # the PDF is not part of this benchmark
        session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def count_rows(database_url: str, statement_id: int) -> tuple[int, int, int]:
    """(signature rows, confirmation mails in the outbox, of which sent)."""
    import sqlalchemy as sa

    from cosign.config import database_url as driver_url

    engine = sa.create_engine(driver_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT count(*) FROM signature WHERE statement_id = :s"),
                                {"s": statement_id}).scalar_one()
            mails, sent = conn.execute(sa.text(
                "SELECT count(*), count(sent_at) FROM outbox_message WHERE statement_id = :s "
                "AND kind = 'signature-confirm'"), {"s": statement_id}).one()
    finally:
        engine.dispose()
    return rows, mails, sent


# --- the clients ------------------------------------------------------------------------------

@dataclass
class Outcome:
    n: int
    t0: float
    t1: float
    status: int | None
    detail: str = ""


def _get_form(port: int, slug: str) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        conn.request("GET", f"/s/{slug}/sign")
        response = conn.getresponse()
        html = response.read().decode()
        cookie = next((c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ()
                       if c.startswith("session=")), "")
        match = CSRF_RE.search(html)
        if response.status != 200 or not cookie or not match:
            raise RuntimeError(f"GET form: {response.status}, cookie={bool(cookie)}")
        return cookie, match.group(1)
    finally:
        conn.close()


def _post(port: int, slug: str, n: int, run: str, cookie: str, token: str) -> Outcome:
    body = sign_body(f"Load organisation {run}-{n}", n, token)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    t0 = time.time()
    try:
        conn.request("POST", f"/s/{slug}/sign", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        status, location = response.status, response.getheader("Location", "")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(n, t0, time.time(), None, repr(exc))
    finally:
        conn.close()
    t1 = time.time()
    ok = status == 303 and location.endswith(f"/s/{slug}/sign/sent")
    return Outcome(n, t0, t1, status, "" if ok else f"{status} {location[:100]}")


def client_process(jobs: list[list[tuple[int, int]]], slug: str, run: str, ready, go,
                   results) -> None:
    """One thread per job list [(sign-on number, port), ...]: GET once, then POST on ``go``."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def thread(job: list[tuple[int, int]]) -> None:
        mine: list[Outcome] = []
        try:
            cookies = {port: _get_form(port, slug) for port in sorted({p for _n, p in job})}
        except Exception as exc:  # noqa: BLE001 - counted as errors of every sign-on here
            cookies = None
            error = repr(exc)
        ready.put(1)
        go.wait()
        for n, port in job:
            if cookies is None:
                mine.append(Outcome(n, time.time(), time.time(), None, error))
                continue
            mine.append(_post(port, slug, n, run, *cookies[port]))
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=thread, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put([(o.n, o.t0, o.t1, o.status, o.detail) for o in outcomes])


def burst(ports: list[int], slug: str, n: int, concurrency: int, procs: int,
          first: int = 0) -> list[Outcome]:
    """N sign-ons (numbered from ``first``) from ``concurrency`` threads in ``procs``
    processes, released together."""
    ctx = multiprocessing.get_context("fork")
    run = secrets.token_hex(3)
    threads = max(1, min(concurrency, n))
    jobs: list[list[tuple[int, int]]] = [[] for _ in range(threads)]
    for i in range(n):
        jobs[i % threads].append((first + i, ports[i % len(ports)]))
    per_proc = [jobs[p::procs] for p in range(procs)]
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    children = [ctx.Process(target=client_process, args=(part, slug, run, ready, go, results))
                for part in per_proc if part]
    for child in children:
        child.start()
    for _ in range(threads):
        ready.get(timeout=CLIENT_TIMEOUT)  # every thread has its form (cookie + token)
    go.set()
    outcomes: list[Outcome] = []
    for _ in children:
        outcomes += [Outcome(*o) for o in results.get(timeout=CLIENT_TIMEOUT * 3)]
    for child in children:
        child.join(timeout=10)
    return outcomes


# --- one setup -------------------------------------------------------------------------------

@dataclass
class Result:
    setup: str
    rate: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    errors: int = 0
    rows: int = 0
    outbox: int = 0
    mails: int = 0
    duplicates: int = 0
    mail_seconds: float = float("nan")
    note: str = ""
    error_samples: tuple[str, ...] = ()


def warm_up(ports: list[int], slug: str, n: int, sink: Sink, timeout: float) -> None:
    """Sign-ons on another statement, not measured: every worker imports, connects, compiles."""
    if n <= 0:
        return
    outcomes = burst(ports, slug, n, min(n, 4 * len(ports)), 1, first=1_000_000)
    bad = [o.detail for o in outcomes if o.detail]
    if bad:
        raise RuntimeError(f"warm-up sign-ons failed: {bad[:3]}")
    deadline = time.monotonic() + timeout
    while sink.count() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    sink.clear()


def measure(setup: str, ports: list[int], database_url: str, statement: tuple[int, str],
            sink: Sink, n: int, concurrency: int, procs: int, mail_timeout: float) -> Result:
    statement_id, slug = statement
    outcomes = burst(ports, slug, n, concurrency, procs)
    good = [o for o in outcomes if not o.detail]
    bad = [o for o in outcomes if o.detail]
    span = max(o.t1 for o in outcomes) - min(o.t0 for o in outcomes) if outcomes else 0.0
    latencies = [o.t1 - o.t0 for o in good]
    deadline = time.monotonic() + mail_timeout
    while sink.count() < len(good) and time.monotonic() < deadline:
        time.sleep(0.05)
    mail_seconds = sink.last - min(o.t0 for o in outcomes) if outcomes else float("nan")
    time.sleep(1.0)  # anything sent twice would arrive now
    rows, outbox, _sent = count_rows(database_url, statement_id)
    by_recipient = Counter(sink.recipients)
    return Result(
        setup=setup, rate=len(good) / span if span else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
        errors=len(bad) + (n - len(outcomes)), rows=rows, outbox=outbox,
        mails=len(by_recipient), duplicates=sum(c - 1 for c in by_recipient.values()),
        mail_seconds=mail_seconds if sink.count() >= len(good) else float("nan"),
        error_samples=tuple(o.detail for o in bad[:5]))


def run_stack(tmp: Path, args) -> Result:
    controller, sink = start_sink()
    redis_base = os.environ.get("COSIGN_STACK_REDIS_URL") or stack.DEFAULT_REDIS_URL
    parts = urllib.parse.urlsplit(redis_base)
    st = stack.Stack(
        state_dir=tmp / "stack",
        database="cosign_load",
        ports=(free_port(), free_port()),
        web_concurrency=2,
        redis_url=urllib.parse.urlunsplit(parts._replace(path=f"/{LOAD_REDIS_DB}")),
        mail=("127.0.0.1", controller.port),
        env={**LIMITS, "COSIGN_DEV": ""},
    )
    try:
        info = stack.up(st, fresh=True, quiet=True)
        env = info["env"]
        storage = Path(env["COSIGN_STORAGE_DIR"])
        warm = open_statement(env["DATABASE_URL"], env["SECRET_KEY"], storage)
        statement = open_statement(env["DATABASE_URL"], env["SECRET_KEY"], storage)
        worker = ("1 job worker (flask cosign worker)" if info["worker"]
                  else "no job worker (this cosign has no `flask cosign worker`: mail inline)")
        setup = f"stack: PostgreSQL + Redis, 2 servers x 2 workers, {worker}"
        print(f"  {setup}; servers {', '.join(info['urls'])}", flush=True)
        ports = [int(u.rpartition(":")[2]) for u in info["urls"]]
        warm_up(ports, warm[1], args.warmup, sink, args.mail_timeout)
        result = measure(
            "PostgreSQL+Redis, 2 servers x 2 workers" + (" + worker" if info["worker"] else ""),
            ports,
            env["DATABASE_URL"],
            statement,
            sink,
            args.n,
            args.concurrency,
            args.procs,
            args.mail_timeout,
        )
        result.note = worker
        return result
    finally:
        stack.stop(st, quiet=True)
        controller.stop()
        if not args.keep:
            _drop_database(st)


def _drop_database(st) -> None:
    try:
        with stack._pg_connect(st._admin_url()) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{st.database}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001
        print(f"  (could not drop the database {st.database}: {exc})")


def run_embedded(tmp: Path, args) -> Result:
    controller, sink = start_sink()
    db_file = tmp / "embedded" / "cosign.sqlite3"
    db_file.parent.mkdir(parents=True)
    st = stack.Stack(
        state_dir=tmp / "embedded", ports=(free_port(),), web_concurrency=args.embedded_workers,
        mail=("127.0.0.1", controller.port), worker=False,
        env={**LIMITS, "COSIGN_DEV": "", "DATABASE_URL": f"sqlite:///{db_file}", "REDIS_URL": ""})
    try:
        env = stack.environment(st)
        stack.migrate(env)
        procs = {f"web-{st.ports[0]}": stack.start_web(st, env, st.ports[0])}
        stack.wait_healthy(st, procs)
        warm = open_statement(env["DATABASE_URL"], env["SECRET_KEY"], st.storage_dir)
        statement = open_statement(env["DATABASE_URL"], env["SECRET_KEY"], st.storage_dir)
        setup = (
            f"embedded: SQLite, 1 server x {args.embedded_workers} workers, no Redis, jobs inline"
        )
        print(f"  {setup}; server http://127.0.0.1:{st.ports[0]}", flush=True)
        warm_up(list(st.ports), warm[1], args.warmup, sink, args.mail_timeout)
        result = measure(
            f"SQLite, 1 server x {args.embedded_workers} workers, inline",
            list(st.ports),
            env["DATABASE_URL"],
            statement,
            sink,
            args.n,
            args.concurrency,
            args.procs,
            args.mail_timeout,
        )
        result.note = "jobs inline"
        return result
    finally:
        stack.stop(st, quiet=True)
        controller.stop()


def report(results: list[Result], n: int) -> bool:
    width = max(len(r.setup) for r in results)
    print()
    print(f"{'setup':<{width}}  {'sign-ons/s':>10}  {'p50 ms':>8}  {'p99 ms':>8}  {'errors':>6}  "
          f"{'rows':>5}  {'mails':>5}  {'all mail in':>11}")
    ok = True
    for r in results:
        mail_time = f"{r.mail_seconds:.1f} s" if r.mail_seconds == r.mail_seconds else "timeout"
        print(f"{r.setup:<{width}}  {r.rate:>10.1f}  {r.p50_ms:>8.0f}  {r.p99_ms:>8.0f}  "
              f"{r.errors:>6}  {r.rows:>5}  {r.mails:>5}  {mail_time:>11}")
        for sample in r.error_samples:
            print(f"    error: {sample}")
        if r.duplicates:
            print(f"    {r.duplicates} mail(s) delivered more than once")
        if r.outbox != r.rows:
            print(f"    outbox has {r.outbox} confirmation mails for {r.rows} rows")
        ok &= r.errors == 0 and r.rows == n and r.mails == n and r.duplicates == 0 and r.outbox == n
    print()
    print(f"{n} distinct sign-ons released at once per setup; rows = signature rows in the "
          "database; mails = distinct recipients received by the setup's aiosmtpd sink (each "
          "exactly once); 'all mail in' = from the first sign-on POST to the last mail received.")
    print(f"Rate limits raised for the run: COSIGN_SIGN_LIMIT_IP and COSIGN_SIGN_LIMIT_DOMAIN = "
          f"{LIMIT!r} (all clients share one IP and one e-mail domain).")
    print("target (both setups: 0 errors, rows = mails = N, no mail twice):",
          "met" if ok else "NOT met")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="distinct sign-ons per setup")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="client threads (default: N, every sign-on at once)")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--embedded-workers", type=int, default=4,
                        help="gunicorn workers of the embedded server")
    parser.add_argument("--mail-timeout", type=float, default=120.0,
                        help="seconds to wait for every mail")
    parser.add_argument("--warmup", type=int, default=40,
                        help="sign-ons on another statement before each burst, not measured")
    parser.add_argument("--only", choices=["stack", "embedded"], help="run one setup only")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory and the database")
    args = parser.parse_args(argv)
    args.concurrency = args.concurrency or args.n

    tmp = Path(tempfile.mkdtemp(prefix="cosign-load-"))
    print(
        f"cosign load: {args.n} concurrent distinct sign-ons per setup, {args.concurrency} client "
        f"threads in {args.procs} processes, {os.cpu_count()} cores (clients and servers share "
        f"them); load average {os.getloadavg()[0]:.1f} before the run",
        flush=True,
    )
    results: list[Result] = []
    failed = False
    try:
        for name, runner in (("stack", run_stack), ("embedded", run_embedded)):
            if args.only and args.only != name:
                continue
            try:
                results.append(runner(tmp, args))
            except stack.StackError as exc:
                print(f"  {name}: could not start: {exc}")
                failed = True
            except Exception:  # noqa: BLE001 - report and go on to the other setup
                traceback.print_exc()
                failed = True
        ok = bool(results) and report(results, args.n) and not failed
        print(f"load average {os.getloadavg()[0]:.1f} after the run (other programs running "
              "on this machine skew the figures)")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
