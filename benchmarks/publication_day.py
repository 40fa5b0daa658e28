"""Publication day: one statement with 10,000 signatories, served the way production serves it.

One command builds the day and measures eight things against their targets:

    .venv/bin/python benchmarks/publication_day.py [--stack] [--quick] [--keep]

Set-up (through the services, in a fresh temporary directory): a coordinator
and a statement opened for signature with auto-approval, 10,000 approved
signatories imported in one transaction (``moderation.import_rows``), published
as an open letter (``publishing.publish``, ``keep_open``), so it stays open
and the public API serves it; 1,040 more sign-ons through ``signing.sign``
left unconfirmed, their confirmation links read from the outbox; a second
statement with 20,000 approved signatories. Names are the realistic ones of
benchmarks/pdf_render.py (about 15 % Arabic, Persian or Kurdish, 3 % withheld).
Every signature gets its collation key (``cosign.collation.init()``). The
"PDF wanted" marks of the set-up are cleared, so nothing renders before the run.

Database: a SQLite file (default), or with ``--stack`` a fresh PostgreSQL
database ``cosign_pubday`` (dropped at the end) and Redis database 12
(emptied first and last).

Processes, all with the repository's gunicorn.conf.py and one environment
(DATABASE_URL, SECRET_KEY, COSIGN_SITE_URL, COSIGN_STORAGE_DIR in the
temporary directory, sign-on rate limits raised to 1000000 per hour, a PDF
signing key made by ``flask cosign keygen`` when that works, REDIS_URL with
``--stack``):

* cosign: ``gunicorn -c gunicorn.conf.py wsgi:app`` with WEB_CONCURRENCY=5;
* the job worker ``flask --app wsgi cosign worker`` (without Redis it may
  exit at once: then the script says so and goes on without it);
* bare: a generated ``Flask`` app answering ``GET /`` with "ok", under the
  same gunicorn.conf.py and WEB_CONCURRENCY, on another port: the ceiling of
  this machine, client and server model, measured in the same run.

Rows (targets in brackets):

1. 1,000 confirmations paced evenly over 60 s from 8 client threads (a GET of
   the link; when that answers a page with a POST form, the form is submitted
   with its CSRF token): errors (non-2xx/3xx) [0]; renders = issued_pdf rows
   made from the start until the statement's ``pdf_wanted_at`` is cleared
   (at most 5 min) [<= 4]; the newest issued PDF file (hash checked against
   its record) lists every approved signatory: its ``signatory_count`` and
   the records of its attached signatories.json [all].
2. 5, then 50 concurrent downloads of a PDF that does not exist yet (each
   round removes the statement's issued PDFs, rows and files, then adds one
   approved signature with ``moderation.add``): errors (500s, other
   statuses, broken connections; a 503 with Retry-After is "not ready", the
   client waits as told and asks again) [0]; renders = issued_pdf rows made
   [exactly 1]; also distinct PDF bodies served and bodies or files that
   match no issued record. Orphans, counted after the servers were stopped:
   processes started by this run (marked by an environment variable) whose
   parent is 1 and whose command line names multiprocessing/spawn [0].
3. The cached PDF (10,000+ names) downloaded by 8 closed-loop clients in 4
   processes for 10 s: requests/s against bare [>= 0.5 x], server CPU per
   request = CPU time of the gunicorn master and all its descendants over the
   window / requests [<= 1 ms] (with ``--stack``, the CPU of PostgreSQL and Redis,
   where the database work then runs, is shown beside it).
4. The statement page ``/s/<slug>``, same clients: p99 [<= 50 ms], CPU per
   request [<= 3 ms]; the clients' own CPU is reported.
5. ``/api/v1/statements/<slug>/signatories.csv`` and ``/api/v1/statements/<slug>``:
   requests/s against bare [>= 0.3 x each].
6. Sign-on POSTs (each client GETs the form once for its cookie and CSRF
   token, then POSTs distinct organisations; each must be a 303 to
   ``/s/<slug>/sign/sent``): CPU per request [<= 2.5 ms], requests/s against
   bare [>= 0.10 x], errors [0]; new signature rows must equal the 303s.
7. Storm: 2,000 sign-ons a minute, open loop (each one sent at its planned
   time by one of 40 client threads in 4 processes) for 5 minutes (``--quick``:
   1), while one of the remaining unconfirmed signatures is confirmed every
   10 s, so the PDF keeps re-rendering: errors [0], p99 latency counted from
   each sign-on's planned time [<= 1 s]; afterwards every acknowledged (303)
   sign-on must be stored exactly once with exactly one confirmation mail in
   ``outbox_message`` [all].
8. Memory: PSS (RSS where smaps_rollup is missing) summed over the gunicorn
   master, its workers and anything they started, plus the job worker and its
   render pool: idle right after start [<= 600 MiB], and after the 20,000-name
   statement's PDF was rendered at the end of the run [<= 1024 MiB]; the peak
   seen while waiting for that render is reported too.

Prints a table (value, target, met/MISSED) and, last, one JSON line with
every figure. Exits 1 unless every target is met. Everything is bounded in
time (at most about 20 minutes, 10 with ``--quick``) and cleaned up, on
Ctrl+C or an error too: servers and worker are stopped through their process
groups, leftover processes of this run are killed by pid, the temporary
directory is removed (``--keep`` keeps it, with the server logs).

Notes: clients and servers share the machine's cores; gunicorn's sync workers
close the connection after every response, so the keep-alive clients
reconnect for each request (as against bare). Parts of cosign still being
built (a worker without Redis, a download answering 503 while the PDF is
rendered) are detected and reported, not assumed.
"""
from __future__ import annotations

import argparse
import hashlib
import html.parser
import http.client
import io
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sign_throughput import CSRF_RE, free_port, percentile, sign_body  # noqa: E402

LIMIT = "1000000 per hour"
TAG_VAR = "COSIGN_PUBDAY_RUN"  # marks every process this run starts (to find orphans)
PG_DATABASE = "cosign_pubday"
REDIS_DB = 12  # load.py uses 13, make up 14, the tests 15
WEB_WORKERS = 5
BASE_NAMES = 10_000
BIG_NAMES = 20_000
CONFIRMATIONS = 1_000
CONFIRM_SECONDS = 60.0
CONFIRM_THREADS = 8
STORM_PER_MINUTE = 2_000
STORM_THREADS, STORM_PROCS = 40, 4
STORM_CONFIRM_EVERY = 10.0  # seconds between two confirmations during the storm
EXTRA_UNCONFIRMED = 40  # for those confirmations
CLIENTS, CLIENT_PROCS = 8, 4
SETTLE_SECONDS = 300.0  # longest wait for a statement's PDF to be made
CLIENT_TIMEOUT = 120.0
MIB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


from benchmarks.load import stack  # noqa: E402  (scripts/stack.py, loaded once)


def say(message: str = "") -> None:
    print(message, flush=True)


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


# --- processes: CPU, memory, the ones this run started -----------------------------------------

def proc_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, state, CPU seconds of itself and its reaped children)."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # state ppid pgrp ... utime(11) stime(12) cutime(13) cstime(14)
        table[int(entry.name)] = (int(fields[1]), fields[0],
                                  sum(int(x) for x in fields[11:15]) / TICK)
    return table


def descendants(roots: list[int], table: dict | None = None) -> list[int]:
    """The roots (those alive) and every process below them."""
    table = table if table is not None else proc_table()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _state, _cpu) in table.items():
        children[ppid].append(pid)
    found, todo = [], [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children[pid])
    return found


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds used so far by the process trees (reaped children included, so a
    worker that exits during a window keeps its share)."""
    table = proc_table()
    return sum(table[pid][2] for pid in descendants(roots, table))


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (neither idle nor waiting for I/O)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK


DATABASE_SERVERS = ("postgres", "redis-server")


def database_cpu() -> float:
    """CPU seconds of every PostgreSQL and Redis process on the machine (with --stack the
    database work of a request runs there, outside gunicorn's processes)."""
    table = proc_table()
    total = 0.0
    for pid, (_ppid, _state, cpu) in table.items():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() in DATABASE_SERVERS:
                total += cpu
        except OSError:
            continue
    return total


def _kib(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_memory(roots: list[int]) -> dict:
    """PSS (else RSS) of every process of the trees, in MiB."""
    pids = descendants(roots)
    pss = [_kib(f"/proc/{pid}/smaps_rollup", "Pss") for pid in pids]
    rss = [_kib(f"/proc/{pid}/status", "VmRSS") for pid in pids]
    use_pss = bool(pids) and all(pss)
    return {
        "mib": round(sum(pss if use_pss else rss) / 1024, 1),
        "rss_mib": round(sum(rss) / 1024, 1),
        "processes": len(pids),
        "measure": "PSS" if use_pss else "RSS",
    }


def tagged_processes(tag: str) -> dict[int, tuple[int, str]]:
    """Live processes started by this run: pid -> (parent pid, command line)."""
    needle = f"{TAG_VAR}={tag}".encode()
    table = proc_table()
    found = {}
    for pid, (ppid, state, _cpu) in table.items():
        if state == "Z" or pid == os.getpid():
            continue
        try:
            if needle not in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                continue
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        found[pid] = (ppid, cmdline)
    return found


def _is_spawn_child(cmdline: str) -> bool:
    return "multiprocessing" in cmdline or "spawn" in cmdline


CLIENT_CHILDREN: list = []  # forked client processes, ended on the way out


# --- the database, read from outside the servers ------------------------------------------------

class Monitor:
    """Plain reads (no BEGIN IMMEDIATE, no pool): counts and marks, without taking locks."""

    def __init__(self, url: str):
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        from cosign.config import database_url

        self.sa = sa
        self.engine = sa.create_engine(database_url(url), poolclass=NullPool)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(self.sa.text(sql), params))

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(self.sa.text(sql), params).scalar()

    def max_id(self, table: str) -> int:
        return self.scalar(f"SELECT coalesce(max(id), 0) FROM {table}") or 0

    def approved(self, statement_id: int) -> int:
        return self.scalar("SELECT count(*) FROM signature WHERE statement_id = :s AND "
                           "status = 'approved' AND flagged = :f", s=statement_id, f=False)

    def issued_since(self, statement_id: int, after_id: int) -> int:
        return self.scalar("SELECT count(*) FROM issued_pdf WHERE statement_id = :s AND id > :i",
                           s=statement_id, i=after_id)

    def wanted(self, statement_id: int) -> bool:
        return self.scalar("SELECT pdf_wanted_at FROM statement WHERE id = :s",
                           s=statement_id) is not None

    def settle(self, statement_id: int, timeout: float = SETTLE_SECONDS) -> float | None:
        """Seconds until the statement's PDF is no longer wanted (None: still wanted)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not self.wanted(statement_id):
                return time.monotonic() - start
            time.sleep(1.0)
        return None

    def dispose(self) -> None:
        self.engine.dispose()


# --- HTTP helpers ---------------------------------------------------------------------------------

def _conn(port: int, timeout: float = CLIENT_TIMEOUT) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def _cookies(response) -> str:
    return "; ".join(c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ())


def get_form(conn: http.client.HTTPConnection, slug: str) -> tuple[str, str]:
    """(session cookie, CSRF token) of the sign-on form, as a visitor gets them."""
    conn.request("GET", f"/s/{slug}/sign")
    response = conn.getresponse()
    page = response.read().decode(errors="replace")
    cookie = next((c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ()
                   if c.startswith("session=")), "")
    if response.will_close:
        conn.close()
    match = CSRF_RE.search(page)
    if response.status != 200 or not cookie or not match:
        raise RuntimeError(f"GET form: {response.status}, cookie={bool(cookie)}")
    return cookie, match.group(1)


def get(port: int, path: str, timeout: float = CLIENT_TIMEOUT) -> tuple[int | None, dict, bytes]:
    """(status, headers, body) of one GET; status None if the connection failed."""
    conn = _conn(port, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    except (OSError, http.client.HTTPException) as exc:
        return None, {"error": repr(exc)}, b""
    finally:
        conn.close()


def retry_after(headers: dict) -> float | None:
    value = headers.get("retry-after", "")
    try:
        return max(0.2, min(float(value), 10.0))
    except ValueError:
        return 2.0 if value else None


def fetch_pdf(port: int, slug: str, deadline: float) -> dict:
    """GET /s/<slug>.pdf until it is served (503 + Retry-After: wait and ask again)."""
    outcome: dict[str, Any] = {"not_ready": 0, "errors": [], "body": b"", "code": "",
                               "status": None}
    while time.monotonic() < deadline:
        status, headers, body = get(
            port,
            f"/s/{slug}.pdf",
            timeout=max(1.0, min(CLIENT_TIMEOUT, deadline - time.monotonic())),
        )
        outcome["status"] = status
        if status == 200 and body.startswith(b"%PDF"):
            outcome.update(body=body, code=headers.get("x-verification-code", ""))
            return outcome
        wait = retry_after(headers) if status in (202, 503) else None  # deliberate: not ready
        if wait is not None:
            outcome["not_ready"] += 1
            time.sleep(wait)
            continue
        outcome["errors"].append(f"{status} {headers.get('error', '')}{body[:80]!r}")
        return outcome
    outcome["errors"].append("no PDF before the deadline")
    return outcome


class _Forms(html.parser.HTMLParser):
    """Forms of a page: method, action, hidden fields and named submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"method": (attrs.get("method") or "get").lower(),
                             "action": attrs.get("action") or "", "fields": [], "submits": []}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "button"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            name = attrs.get("name")
            if name and kind == "hidden":
                self._current["fields"].append((name, attrs.get("value") or ""))
            elif name and kind == "submit":
                self._current["submits"].append((name, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def confirm_form(page: str, path: str) -> tuple[str, list] | None:
    """The POST form a confirmation page asks to submit (not the log-out form), if any."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        if form["method"] != "post" or "logout" in form["action"]:
            continue
        has_token = any(name == "csrf_token" for name, _value in form["fields"])
        if has_token or form["action"] in ("", path):
            action = urllib.parse.urljoin(path, form["action"] or path)
            return action, form["fields"] + form["submits"][:1]
    return None


@dataclass
class Confirmed:
    ok: bool
    status: int | None
    how: str
    latency: float
    detail: str = ""


def confirm_one(port: int, path: str) -> Confirmed:
    """Follow a confirmation link: GET, and POST its form if the page has one."""
    t0 = time.time()
    conn = _conn(port)
    how, detail, status = "GET", "", None
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        page = response.read().decode(errors="replace")
        status = response.status
        cookies = _cookies(response)
        form = confirm_form(page, path) if status == 200 else None
        if form is not None:
            action, fields = form
            conn.close()
            how = "GET+POST"
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if cookies:
                headers["Cookie"] = cookies
            conn.request("POST", action, body=urllib.parse.urlencode(fields), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        if not (200 <= status < 400):
            detail = f"{how} {status}"
    except (OSError, http.client.HTTPException) as exc:
        detail = f"{how} {exc!r}"
    finally:
        conn.close()
    ok = status is not None and 200 <= status < 400 and not detail
    return Confirmed(ok, status, how, time.time() - t0, detail)


# --- closed-loop load (rows 3-6): client processes of threads -------------------------------------

@dataclass
class Phase:
    label: str
    duration: float
    ok: int = 0
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    window_errors: int = 0
    acked: int = 0  # sign-ons answered 303, warm-up included
    bytes: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    database_cpu: float | None = None  # PostgreSQL + Redis, with --stack
    busy: float = 0.0  # the whole machine: what is left after server, clients and database
    # was used by other programs, which skews the figures

    @property
    def others(self) -> float:
        return max(0.0, self.busy - self.server_cpu - self.client_cpu - (self.database_cpu or 0.0))

    @property
    def database_ms(self) -> float:
        return (self.database_cpu / self.ok * 1000 if self.ok and self.database_cpu is not None
                else float("nan"))

    @property
    def rate(self) -> float:
        return self.ok / self.duration

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.ok * 1000 if self.ok else float("nan")

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def line(self) -> str:
        return (f"    {self.label:<26} {self.rate:8.1f} req/s  p50 {self.ms(0.5):7.1f} ms  "
                f"p99 {self.ms(0.99):7.1f} ms  errors {len(self.errors)}  server CPU "
                f"{self.cpu_ms:6.2f} ms/req ({self.server_cpu / self.duration:.2f} cores), "
                f"clients {self.client_cpu / self.duration:.2f} cores"
                + ("" if self.database_cpu is None else
                   f"; PostgreSQL+Redis {self.database_ms:.2f} ms/req")
                + f"; other programs {self.others / self.duration:.2f} cores")


def _load_thread(spec: dict, ident: int, start: float, measure_from: float, stop: float,
                 out: dict) -> None:
    conn = _conn(spec["port"])
    headers: dict[str, str] = {}
    token = None
    slug = spec.get("slug", "")
    try:
        if spec["kind"] == "sign":
            cookie, token = get_form(conn, slug)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        sleep_until(start)
        i = 0
        while True:
            t0 = time.time()
            if t0 >= stop:
                break
            i += 1
            if spec["kind"] == "sign":
                n = spec["number_base"] + ident * 100_000 + i
                method, path = "POST", f"/s/{slug}/sign"
                body = sign_body(f"Publication day {spec['run']}-{n}", n, token)
            else:
                method, path, body = "GET", spec["path"], None
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status, location = response.status, response.getheader("Location", "")
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, location, data = None, repr(exc), b""
            t1 = time.time()
            if spec["kind"] == "sign":
                ok = status == 303 and location.endswith(f"/s/{slug}/sign/sent")
                out["acked"] += ok
            else:  # a 200 with the wrong body (an HTML page for a PDF) is an error too
                ok = status == 200 and data.startswith(spec.get("prefix", b""))
                if status == 200 and not ok:
                    location = f"body {data[:40]!r}"
            in_window = t0 >= measure_from and t1 <= stop
            if ok and in_window:
                out["ok"] += 1
                out["latencies"].append(t1 - t0)
                out["bytes"] += len(data)
            elif not ok:
                out["errors"].append(f"{status} {location[:100]}")
                out["window_errors"] += in_window
    except Exception as exc:  # noqa: BLE001 - reported as an error of this client
        out["errors"].append(f"client: {exc!r}")
    finally:
        conn.close()


def _load_process(spec: dict, proc_no: int, threads: int, start: float, measure_from: float,
                  stop: float, results) -> None:
    outs: list[dict[str, Any]] = [
        {"ok": 0, "latencies": [], "errors": [], "window_errors": 0, "acked": 0, "bytes": 0}
        for _ in range(threads)]
    cpu: dict[str, float] = {}

    def sampler():
        sleep_until(measure_from)
        cpu["from"] = time.process_time()
        sleep_until(stop)
        cpu["to"] = time.process_time()

    workers = [threading.Thread(target=_load_thread,
                                args=(spec, proc_no * 100 + j, start, measure_from, stop, outs[j]))
               for j in range(threads)] + [threading.Thread(target=sampler)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    merged = {key: (sum((o[key] for o in outs), []) if isinstance(outs[0][key], list)
                    else sum(o[key] for o in outs)) for key in outs[0]}
    merged["cpu"] = cpu.get("to", 0.0) - cpu.get("from", 0.0)
    results.put(merged)


def run_load(label: str, spec: dict, server_pid: int, duration: float, warmup: float = 1.5,
             clients: int = CLIENTS, procs: int = CLIENT_PROCS, stack_mode: bool = False) -> Phase:
    ctx = multiprocessing.get_context("fork")
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    start = time.time() + (2.5 if spec["kind"] == "sign" else 1.0)
    measure_from = start + warmup
    stop = measure_from + duration
    results = ctx.Queue()
    children = [ctx.Process(target=_load_process, daemon=True,
                            args=(spec, i, n, start, measure_from, stop, results))
                for i, n in enumerate(per_proc) if n]
    CLIENT_CHILDREN.extend(children)
    for child in children:
        child.start()
    phase = Phase(label, duration)
    sleep_until(measure_from)
    before, db_before = tree_cpu([server_pid]), database_cpu() if stack_mode else 0.0
    busy_before = machine_busy()
    sleep_until(stop)
    phase.server_cpu = tree_cpu([server_pid]) - before
    phase.busy = machine_busy() - busy_before
    if stack_mode:
        phase.database_cpu = database_cpu() - db_before
    for _ in children:
        merged = results.get(timeout=CLIENT_TIMEOUT + 30)
        phase.ok += merged["ok"]
        phase.latencies += merged["latencies"]
        phase.errors += merged["errors"]
        phase.window_errors += merged["window_errors"]
        phase.acked += merged["acked"]
        phase.bytes += merged["bytes"]
        phase.client_cpu += merged["cpu"]
    for child in children:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    say(phase.line())
    for error in phase.errors[:3]:
        say(f"        error: {error}")
    return phase


# --- open-loop storm (row 7) ----------------------------------------------------------------------

STORM_BASE = 50_000_000  # sign-on numbers of the storm: e-mail contact<n>@example.org


def _storm_process(port: int, slug: str, run: str, slot_lists: list[list[int]], t0: float,
                   interval: float, results) -> None:
    records: list[tuple] = []
    lock = threading.Lock()

    def thread(slots: list[int]) -> None:
        mine: list[tuple[int, float, float, float, int | None, str]] = []
        conn = _conn(port, timeout=60.0)
        form: tuple[str, str] | None
        try:
            form = get_form(conn, slug)
        except Exception as exc:  # noqa: BLE001
            mine = [(k, t0 + k * interval, time.time(), time.time(), None, f"form: {exc!r}")
                    for k in slots]
            form = None
        if form is not None:
            cookie, token = form
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            for k in slots:
                planned = t0 + k * interval
                sleep_until(planned)
                n = STORM_BASE + k
                body = sign_body(f"Storm organisation {run}-{k}", n, token)
                sent = time.time()
                try:
                    conn.request("POST", f"/s/{slug}/sign", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status, location = response.status, response.getheader("Location", "")
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, location = None, repr(exc)
                ok = status == 303 and location.endswith(f"/s/{slug}/sign/sent")
                detail = "" if ok else f"{status} {location[:100]}"
                mine.append((k, planned, sent, time.time(), status, detail))
        conn.close()
        with lock:
            records.extend(mine)

    cpu0 = time.process_time()
    threads = [threading.Thread(target=thread, args=(slots,)) for slots in slot_lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((records, time.process_time() - cpu0))


# --- set-up ---------------------------------------------------------------------------------------

@dataclass
class Data:
    main_id: int = 0
    main_slug: str = ""
    big_id: int = 0
    big_slug: str = ""
    owner_id: int = 0
    confirm_paths: list = field(default_factory=list)  # the 1,000 of row 1
    extra_paths: list = field(default_factory=list)  # confirmed during the storm
    sort_keys: str = ""


def _forms(count: int, seed: int, prefix: str = "", email: str = "sig") -> list:
    from benchmarks.pdf_render import signatories
    from cosign.signing import SignOn

    return [SignOn(organisation=f"{prefix}{s.name}", country=s.country,
                   email=f"{email}{seed}-{i}@example.org", contact_name=f"Contact {i}",
                   org_type=s.org_type, city=s.city, display=s.display)
            for i, s in enumerate(signatories(count, seed=seed))]


def make_app(url: str, secret: str, storage: Path, site: str):
    """cosign's app in this process, for the set-up and the few changes made during the run.

    No Redis and no automatic renders: set-up writes leave no job behind.
    """
    from cosign.app import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": None, "COSIGN_PDF_AUTO": False,
        "COSIGN_STORAGE_DIR": str(storage), "COSIGN_SITE_URL": site,
        "COSIGN_SIGNING_KEY": "", "COSIGN_SIGNING_CERT": "",
    })
    try:
        from cosign import collation
    except ImportError:
        say("  note: cosign.collation is missing: signatures made here get no sort_key")
    else:
        collation.init()  # the app factory will do this; harmless when it already does
    return app


CONFIRM_LINK = re.compile(r"https?://[^\s<>\"']+")


def build(app, site: str, monitor: Monitor) -> Data:
    from sqlalchemy import update

    from cosign import moderation, publishing, signing
    from cosign.extensions import db
    from cosign.models import Statement
    from cosign.web.public import link_for
    from tests.factories import make_statement, make_user

    data = Data()
    body = (ROOT / "cosign" / "demo_texts" / "r3.md").read_text()
    with app.app_context():
        session = db.session()
        owner = make_user(session, email="coordinator@pubday.example.org",
                          name="Publication Day Coordinator")
        data.owner_id = owner.id
        t0 = time.monotonic()
        main = make_statement(session, owner, title="Joint statement on the killing of protesters",
                              body=body)
        signing.open_for_signature(session, main, owner.id, signing.OpenOptions(auto_approve=True))
        moderation.import_rows(
            session, main, _forms(BASE_NAMES, 1), "publication-day.csv", owner.id
        )
        publishing.publish(session, main, owner.id, publishing.PublishOptions(keep_open=True))
        data.main_id, data.main_slug = main.id, main.slug
        say(f"  statement {main.slug}: {BASE_NAMES:,} approved signatories imported, published "
            f"(kept open, auto-approve) in {time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        unconfirmed = _forms(CONFIRMATIONS + EXTRA_UNCONFIRMED, 3, prefix="Newcomer ", email="new")
        with app.test_request_context("/", base_url=site):
            for form in unconfirmed:
                signing.sign(session, main, form, secret_key=app.config["SECRET_KEY"],
                             link_for=link_for)
        say(f"  {len(unconfirmed):,} sign-ons left unconfirmed (signing.sign) in "
            f"{time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        big = make_statement(session, owner, title="Twenty thousand voices", body=body)
        signing.open_for_signature(session, big, owner.id, signing.OpenOptions(auto_approve=True))
        moderation.import_rows(session, big, _forms(BIG_NAMES, 2), "big.csv", owner.id)
        data.big_id, data.big_slug = big.id, big.slug
        say(f"  statement {big.slug}: {BIG_NAMES:,} approved signatories in "
            f"{time.monotonic() - t0:.1f} s")
        session.execute(update(Statement).values(pdf_wanted_at=None))  # nothing renders yet
        session.commit()
        db.session.remove()

    # the confirmation links, as the signatories received them
    bodies = monitor.rows("SELECT recipient, body_text FROM outbox_message WHERE statement_id = :s "
                          "AND kind = 'signature-confirm' ORDER BY id", s=data.main_id)
    links = {}
    for recipient, text in bodies:
        for url in CONFIRM_LINK.findall(text or ""):
            parts = urllib.parse.urlsplit(url)
            if "confirm" in parts.path and url.startswith(site):
                links[recipient] = parts.path
                break
    if len(links) < len(unconfirmed):  # no link in the mail text: make tokens as signing.py does
        say(f"  note: {len(links)} confirmation links found in the outbox; making the rest with "
            "cosign.signing._signature_token")
        from cosign.models import Signature

        with app.app_context():
            for signature in db.session.query(Signature).filter(
                    Signature.statement_id == data.main_id, Signature.status == "unconfirmed"):
                if signature.email not in links:
                    token = signing._signature_token(app.config["SECRET_KEY"], signing.CONFIRM,
                                                     signature)
                    links[signature.email] = f"/confirm/{token}"
            db.session.remove()
    paths = [links[f.email] for f in unconfirmed if f.email in links]
    data.confirm_paths = paths[:CONFIRMATIONS]
    data.extra_paths = paths[CONFIRMATIONS:]
    empty = monitor.scalar("SELECT count(*) FROM signature WHERE sort_key = ''")
    total = monitor.scalar("SELECT count(*) FROM signature")
    data.sort_keys = f"{total - empty:,} of {total:,} signatures have a sort_key"
    say(f"  {data.sort_keys}")
    return data


def add_signature(app, statement_id: int, owner_id: int, label: str) -> None:
    """One more approved signatory through the service (the list changes: a new PDF is wanted)."""
    from cosign import moderation
    from cosign.extensions import db
    from cosign.models import Statement
    from cosign.signing import SignOn

    with app.app_context():
        statement = db.session.get_one(Statement, statement_id)
        moderation.add(
            db.session(),
            statement,
            SignOn(
                organisation=f"Late organisation {label}",
                country="FR",
                email=f"late-{label}@example.org",
                contact_name="Late Contact",
                org_type="ngo",
            ),
            owner_id,
        )
        db.session.remove()


def remove_issued(app, statement_id: int, storage: Path) -> int:
    """Delete the statement's issued PDFs (rows and files): its PDF does not exist any more."""
    from sqlalchemy import delete, select

    from cosign.extensions import db
    from cosign.models import IssuedPdf

    with app.app_context():
        names = list(db.session.scalars(select(IssuedPdf.file_name).where(
            IssuedPdf.statement_id == statement_id)))
        db.session.execute(delete(IssuedPdf).where(IssuedPdf.statement_id == statement_id))
        db.session.commit()
        db.session.remove()
    for name in names:
        (storage / "pdfs" / name).unlink(missing_ok=True)
    return len(names)


def check_newest_pdf(monitor: Monitor, storage: Path, statement_id: int) -> dict:
    """The newest issued PDF of the statement: does its file match its record and list everyone?"""
    rows = monitor.rows("SELECT file_name, sha256, signatory_count FROM issued_pdf WHERE "
                        "statement_id = :s AND watermark = '' ORDER BY created_at DESC, id DESC",
                        s=statement_id)
    approved = monitor.approved(statement_id)
    result: dict[str, Any] = {"approved": approved, "issued": None, "file_ok": False,
                              "attached": None, "ok": False}
    if not rows:
        result["detail"] = "no issued PDF"
        return result
    file_name, sha256, count = rows[0]
    result["issued"] = count
    path = storage / "pdfs" / file_name
    if not path.exists():
        result["detail"] = f"file {file_name} missing"
        return result
    data = path.read_bytes()
    result["file_ok"] = hashlib.sha256(data).hexdigest() == sha256
    try:
        from pypdf import PdfReader

        attachments = PdfReader(io.BytesIO(data)).attachments
        found = attachments.get("signatories.json")
        raw = found[0] if found else None
        if raw is not None:
            result["attached"] = len(json.loads(raw))
    except Exception as exc:  # noqa: BLE001 - the count in the record still says something
        result["detail"] = f"attachment unreadable: {exc!r}"
    result["ok"] = (result["file_ok"] and count == approved
                    and result["attached"] in (None, approved))
    return result


def mismatched_files(monitor: Monitor, storage: Path, statement_id: int) -> int:
    """Issued records of the statement whose file is missing or holds other bytes."""
    bad = 0
    for file_name, sha256 in monitor.rows("SELECT file_name, sha256 FROM issued_pdf WHERE "
                                          "statement_id = :s", s=statement_id):
        path = storage / "pdfs" / file_name
        bad += not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256
    return bad


# --- the report -----------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.lines: list[tuple[str, str, str, str, str]] = []
        self.figures: dict = {}

    def fig(self, key: str, value) -> None:
        if isinstance(value, float):
            value = None if value != value else round(value, 4)
        self.figures[key] = value

    def check(self, row: str, label: str, shown: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("met" if ok else "MISSED")
        self.lines.append((row, label, shown, target, status))
        self.figures.setdefault("targets", {})[f"{row} {label}"] = status

    def info(self, row: str, label: str, shown: str) -> None:
        self.lines.append((row, label, shown, "", ""))

    def failed(self, row: str, label: str, why: str) -> None:
        self.lines.append((row, label, f"not measured: {why}"[:90], "", "n/a"))
        self.figures.setdefault("not_measured", {})[f"{row} {label}"] = why[:300]

    def print(self) -> None:
        widths = [
            max(len(line[i]) for line in self.lines + [("#", "measure", "value", "target", "")])
            for i in range(4)
        ]
        say()
        say(f"{'#':<{widths[0]}}  {'measure':<{widths[1]}}  {'value':<{widths[2]}}  "
            f"{'target':<{widths[3]}}  result")
        say("-" * (sum(widths) + 16))
        order = {row: i for i, row in enumerate("12345678-")}
        for row, label, shown, target, status in sorted(
            self.lines, key=lambda line: order.get(line[0], 9)
        ):
            say(f"{row:<{widths[0]}}  {label:<{widths[1]}}  {shown:<{widths[2]}}  "
                f"{target:<{widths[3]}}  {status}")

    def all_met(self) -> bool:
        statuses = [line[4] for line in self.lines if line[4]]
        return bool(statuses) and all(s == "met" for s in statuses)


def _n(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


# --- the run --------------------------------------------------------------------------------------

BARE_APP = '''"""A bare Flask app: the ceiling of this machine, client and gunicorn set-up."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
'''


class Run:
    def __init__(self, args):
        self.args = args
        self.tag = secrets.token_hex(6)
        self.tmp = Path(tempfile.mkdtemp(prefix="cosign-pubday-"))
        self.storage = self.tmp / "storage"
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.port, self.bare_port = free_port(), free_port()
        self.site = f"http://127.0.0.1:{self.port}"
        self.secret = secrets.token_urlsafe(48)
        self.procs: dict[str, subprocess.Popen] = {}
        self.report = Report()
        self.pg = None  # the stack.Stack of --stack
        self.redis_url = ""
        self.database_url = ""
        self.monitor: Monitor | None = None
        self.app = None
        self.data = Data()
        self.worker_note = ""
        self.stopped = False
        self.cleaned = False
        self.orphans: dict | None = None

    # -- environment and processes --

    def prepare_database(self) -> None:
        if self.args.stack:
            base = os.environ.get("COSIGN_STACK_REDIS_URL") or stack.DEFAULT_REDIS_URL
            parts = urllib.parse.urlsplit(base)
            self.redis_url = urllib.parse.urlunsplit(parts._replace(path=f"/{REDIS_DB}"))
            self.pg = stack.Stack(state_dir=self.tmp / "stack", database=PG_DATABASE,
                                  redis_url=self.redis_url)
            stack.ensure_postgres(self.pg)
            stack.ensure_redis(self.pg)
            stack.prepare_database(self.pg, fresh=True)
            stack.flush_redis(self.pg)
            self.database_url = self.pg.database_url()
        else:
            self.database_url = f"sqlite:///{self.tmp / 'cosign.sqlite3'}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url, "SECRET_KEY": self.secret,
            "COSIGN_SITE_URL": self.site, "COSIGN_STORAGE_DIR": str(self.storage),
            "COSIGN_SIGN_LIMIT_IP": LIMIT, "COSIGN_SIGN_LIMIT_DOMAIN": LIMIT,
            "COSIGN_SIGNING_KEY": str(self.tmp / "keys" / "signing-key.pem"),
            "COSIGN_SIGNING_CERT": str(self.tmp / "keys" / "signing-cert.pem"),
            "REDIS_URL": self.redis_url, "MAIL_SERVER": "", "COSIGN_DEV": "",
            "WEB_CONCURRENCY": str(WEB_WORKERS), "PYTHONUNBUFFERED": "1", TAG_VAR: self.tag,
        }
        env.update(extra)
        return env

    def keygen(self) -> str:
        (self.tmp / "keys").mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "cosign", "keygen"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode == 0 and (self.tmp / "keys" / "signing-key.pem").exists():
            return "PDFs certified with a key made by `flask cosign keygen`"
        # paths that do not exist: no certification (an empty value would mean instance/)
        return (
            "no signing key (`flask cosign keygen` failed: "
            f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}); PDFs not certified"
        )

    def spawn(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.procs[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 3) -> str:
        try:
            text = (self.logs / f"{name}.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text[-lines:])

    def start(self) -> None:
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        self.spawn(
            "web",
            gunicorn + ["wsgi:app"],
            self.env(
                BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESSLOG=str(self.logs / "web.access.log")
            ),
            ROOT,
        )
        bare_dir = self.tmp / "bare"
        bare_dir.mkdir()
        (bare_dir / "pubday_bare.py").write_text(BARE_APP)
        self.spawn(
            "bare",
            gunicorn + ["pubday_bare:app"],
            self.env(
                BIND=f"127.0.0.1:{self.bare_port}",
                GUNICORN_ACCESSLOG=str(self.logs / "bare.access.log"),
                PYTHONPATH=os.pathsep.join([str(bare_dir), str(ROOT)]),
            ),
            bare_dir,
        )
        self.spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "cosign", "worker"],
                   self.env(), ROOT)
        deadline = time.monotonic() + 90
        waiting = {"web", "bare"}
        while waiting:
            for name in ("web", "bare"):
                if self.procs[name].poll() is not None:
                    raise RuntimeError(
                        f"gunicorn ({name}) exited with {self.procs[name].returncode}: "
                        f"{self.log_tail(name, 5)}"
                    )
            if "web" in waiting and stack.healthz(self.port)[0] == 200:
                waiting.discard("web")
            if "bare" in waiting and get(self.bare_port, "/", timeout=2)[0] == 200:
                waiting.discard("bare")
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"{', '.join(sorted(waiting))} did not answer within 90 s")
            time.sleep(0.2)
        time.sleep(4.0)  # the job worker starts (or fails)
        worker = self.procs["worker"]
        if worker.poll() is not None:
            mode = "with Redis" if self.redis_url else "in the embedded mode (no REDIS_URL)"
            self.worker_note = (f"the job worker exited at once {mode} (exit {worker.returncode}: "
                                f"{self.log_tail('worker', 2)[:200]})")
            if not self.redis_url:
                self.worker_note += (
                    "; the worker without Redis is not ready yet: going on without "
                    "it (jobs and renders run inline in the web server)"
                )
            say(f"  NOTE: {self.worker_note}")
        else:
            self.worker_note = "job worker running" + (" (Redis queues)" if self.redis_url
                                                       else " (embedded, no Redis)")

    def server_roots(self) -> list[int]:
        """gunicorn's master and the job worker: their trees are the cosign side."""
        return [p.pid for name, p in self.procs.items()
                if name in ("web", "worker") and p.poll() is None]

    def stop(self, timeout: float = 45.0) -> dict:
        """SIGTERM to each master/worker, wait; count what they left behind; kill the rest."""
        if self.stopped:
            return self.orphans or {}
        self.stopped = True
        exited = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(p.poll() is None for p in self.procs.values()):
            time.sleep(0.2)
        stubborn = [name for name, p in self.procs.items() if p.poll() is None]
        # children of a stopped worker get a moment to notice and exit on their own
        ours = {p.pid for p in self.procs.values()}
        end = time.monotonic() + 5
        while time.monotonic() < end and any(
            ppid == 1 for pid, (ppid, _cmd) in tagged_processes(self.tag).items() if pid not in ours
        ):
            time.sleep(0.5)
        left = tagged_processes(self.tag)
        orphans = {pid: cmd for pid, (ppid, cmd) in left.items()
                   if pid not in ours and (ppid == 1 or ppid not in left) and _is_spawn_child(cmd)}
        for name in stubborn:
            try:
                os.killpg(self.procs[name].pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in tagged_processes(self.tag):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.orphans = {"orphans": len(orphans), "leftover": len(left), "killed": stubborn,
                        "exited_before_stop": exited,
                        "samples": [cmd[:120] for cmd in list(orphans.values())[:3]]}
        return self.orphans

    def cleanup(self) -> None:
        if self.cleaned:
            return
        self.cleaned = True
        for child in CLIENT_CHILDREN:
            if child.is_alive():
                child.kill()
        try:
            self.stop(timeout=20)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
        if self.monitor is not None:
            self.monitor.dispose()
        if self.app is not None:
            try:
                from cosign.extensions import db

                with self.app.app_context():
                    db.session.remove()
                    db.engine.dispose()
            except Exception:  # noqa: BLE001
                pass
        if self.pg is not None and not self.args.keep:
            try:
                with stack._pg_connect(self.pg._admin_url()) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                say(f"  (could not drop the database {PG_DATABASE}: {exc})")
            try:
                stack.flush_redis(self.pg)
            except Exception:  # noqa: BLE001
                pass
        if self.args.keep:
            say(f"kept {self.tmp} (server logs in {self.logs})")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def control_app_for_run(self) -> None:
        """With Redis, changes made here during the run queue their render like the servers'."""
        if self.redis_url:
            assert self.app is not None, "the run's app is made before its rows"
            self.app.config.update(REDIS_URL=self.redis_url, COSIGN_PDF_AUTO=True,
                                   RATELIMIT_STORAGE_URI=self.redis_url)

    # -- the rows --

    def memory(self) -> dict:
        return tree_memory(self.server_roots())

    @property
    def live_monitor(self) -> Monitor:
        """The monitor of the run, made before its rows (main() sets it)."""
        assert self.monitor is not None, "the run's monitor is made before its rows"
        return self.monitor

    def warm(self) -> None:
        """Every web worker imports and compiles; the statement's first PDF is made (not
        measured)."""
        d = self.data
        for _ in range(WEB_WORKERS * 2):
            get(self.port, f"/s/{d.main_slug}")
            get(self.port, f"/s/{d.main_slug}/sign")
        t0 = time.monotonic()
        outcome = fetch_pdf(self.port, d.main_slug, time.monotonic() + SETTLE_SECONDS)
        if outcome["errors"]:
            raise RuntimeError(f"the first PDF could not be fetched: {outcome['errors'][:2]}")
        say(f"  first PDF of the statement served in {time.monotonic() - t0:.1f} s "
            f"({len(outcome['body']) / 1024:.0f} KiB, {outcome['not_ready']} not-ready answers)")
        self.live_monitor.settle(d.main_id, 60)

    def row1(self) -> None:
        say(f"1. {len(self.data.confirm_paths):,} confirmations over {CONFIRM_SECONDS:g} s")
        d, m, r = self.data, self.live_monitor, self.report
        paths = d.confirm_paths
        issued_before = m.max_id("issued_pdf")
        approved_before = m.approved(d.main_id)
        results: list[Confirmed | None] = [None] * len(paths)
        t0 = time.time() + 1.0
        interval = CONFIRM_SECONDS / max(1, len(paths))

        def thread(j: int) -> None:
            for k in range(j, len(paths), CONFIRM_THREADS):
                sleep_until(t0 + k * interval)
                results[k] = confirm_one(self.port, paths[k])

        threads = [threading.Thread(target=thread, args=(j,), daemon=True)
                   for j in range(CONFIRM_THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=CONFIRM_SECONDS + CLIENT_TIMEOUT * 2)
        span = time.time() - t0
        done = [x for x in results if x is not None]
        errors = [x for x in done if not x.ok] + [None] * (len(paths) - len(done))
        hows = Counter(x.how for x in done)
        settled = m.settle(d.main_id)
        renders = m.issued_since(d.main_id, issued_before)
        approved = m.approved(d.main_id)
        final = check_newest_pdf(m, self.storage, d.main_id)
        lat = [x.latency for x in done if x.ok]
        say(
            f"    sent in {span:.1f} s ({dict(hows)}); p50 {_n(percentile(lat, 0.5) * 1000)} ms, "
            f"p99 {_n(percentile(lat, 0.99) * 1000)} ms; "
            f"approved {approved_before:,} -> {approved:,}; "
            f"PDF settled {f'after {settled:.0f} s' if settled is not None else 'NOT within 5 min'}"
        )
        for x in [e for e in errors if e is not None][:3]:
            say(f"        error: {x.detail}")
        r.check("1", "confirmations: errors", f"{len(errors)} of {len(paths):,}", "0", not errors)
        r.check("1", "confirmations: renders", f"{renders}"
                + ("" if settled is not None else " (still wanted after 5 min)"), "<= 4",
                renders <= 4 and settled is not None)
        shown = (
            f"{final['issued']} in record, {final['attached']} attached, of {final['approved']:,}"
            f"{'' if final['file_ok'] else ', FILE/RECORD MISMATCH'}"
        )
        if final.get("detail"):
            shown += f" ({final['detail']})"
        r.check("1", "final PDF lists every approved", shown, "all", final["ok"])
        r.info("1", "confirm p99 / how / approved", f"{_n(percentile(lat, .99) * 1000)} ms, "
               f"{dict(hows)}, approved +{approved - approved_before:,} of {len(paths):,}")
        r.fig("r1_approved_delta", approved - approved_before)
        r.fig("r1_errors", len(errors))
        r.fig("r1_renders", renders)
        r.fig("r1_settle_s", settled if settled is not None else None)
        r.fig("r1_confirm_p50_ms", percentile(lat, .5) * 1000)
        r.fig("r1_confirm_p99_ms", percentile(lat, .99) * 1000)
        r.fig("r1_method", dict(hows))
        r.fig("r1_final_pdf", {k: v for k, v in final.items()})

    def row2(self) -> None:
        d, m, r = self.data, self.live_monitor, self.report
        for n in (5, 50):
            say(f"2. {n} concurrent downloads of a PDF that does not exist yet")
            removed = remove_issued(self.app, d.main_id, self.storage)
            add_signature(self.app, d.main_id, d.owner_id, f"{self.tag}-{n}")
            issued_before = m.max_id("issued_pdf")
            cpu_before = tree_cpu(self.server_roots())
            barrier = threading.Barrier(n)
            outcomes: list[dict | None] = [None] * n
            times: list[float] = [0.0] * n
            t0 = time.monotonic()

            def client(i: int, barrier=barrier, outcomes=outcomes, times=times,
                       t0=t0) -> None:
                barrier.wait(timeout=30)
                outcomes[i] = fetch_pdf(self.port, d.main_slug, time.monotonic() + 240)
                times[i] = time.monotonic() - t0

            threads = [threading.Thread(target=client, args=(i,), daemon=True)
                       for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            served = [o for o in outcomes if o is not None and o["body"]]
            errors = [e for o in outcomes if o is not None for e in o["errors"]]
            errors += ["client did not finish"] * sum(o is None for o in outcomes)
            not_ready = sum(o["not_ready"] for o in outcomes if o is not None)
            settled = m.settle(d.main_id, 180)
            renders = m.issued_since(d.main_id, issued_before)
            cpu = tree_cpu(self.server_roots()) - cpu_before
            bodies = Counter(hashlib.sha256(o["body"]).hexdigest() for o in served)
            known = {
                row[0]
                for row in m.rows(
                    "SELECT sha256 FROM issued_pdf WHERE statement_id = :s", s=d.main_id
                )
            }
            unknown = sum(count for digest, count in bodies.items() if digest not in known)
            bad_files = mismatched_files(m, self.storage, d.main_id)
            say(f"    removed {removed} issued PDF(s), added 1 signatory; {len(served)} of {n} got "
                f"the PDF, slowest after {max(times):.1f} s; {not_ready} not-ready (503) answers; "
                f"server CPU {cpu:.1f} s; PDF settled "
                f"{f'after {settled:.0f} s' if settled is not None else 'NOT within 3 min'}")
            for e in errors[:3]:
                say(f"        error: {e}")
            r.check("2", f"{n} downloads: errors", f"{len(errors)} ({not_ready} not-ready 503s)",
                    "0", not errors)
            r.check("2", f"{n} downloads: renders", f"{renders} (distinct PDFs served "
                    f"{len(bodies)}, unverifiable {unknown}, bad files {bad_files})", "exactly 1",
                    renders == 1 and len(bodies) <= 1 and not unknown and not bad_files)
            r.fig(f"r2_{n}_errors", len(errors))
            r.fig(f"r2_{n}_not_ready", not_ready)
            r.fig(f"r2_{n}_renders", renders)
            r.fig(f"r2_{n}_distinct_bodies", len(bodies))
            r.fig(f"r2_{n}_unverifiable_bodies", unknown)
            r.fig(f"r2_{n}_bad_files", bad_files)
            r.fig(f"r2_{n}_slowest_s", max(times))
            r.fig(f"r2_{n}_server_cpu_s", cpu)
        orphaned = {pid: cmd for pid, (ppid, cmd) in tagged_processes(self.tag).items()
                    if ppid == 1 and _is_spawn_child(cmd)}
        r.info("2", "orphans while the servers run", str(len(orphaned)))
        r.fig("r2_orphans_while_running", len(orphaned))

    def rows3to6(self, duration: float) -> None:
        d, r = self.data, self.report
        say("3-6. throughput against bare (8 clients in 4 processes)")
        outcome = fetch_pdf(self.port, d.main_slug, time.monotonic() + SETTLE_SECONDS)
        if outcome["errors"]:
            raise RuntimeError(f"the PDF is not served before row 3: {outcome['errors'][:2]}")
        self.live_monitor.settle(d.main_id, 120)
        web = self.procs["web"].pid
        bare = run_load("bare GET /", {"kind": "get", "port": self.bare_port, "path": "/"},
                        self.procs["bare"].pid, duration)
        r.info("-", "bare: req/s, CPU/req", f"{bare.rate:,.0f} req/s, {bare.cpu_ms:.2f} ms, "
               f"clients {bare.client_cpu / duration:.2f} cores")
        r.fig("bare_rps", bare.rate)
        r.fig("bare_cpu_ms", bare.cpu_ms)
        r.fig("bare_errors", len(bare.errors))
        r.fig("bare_other_programs_cores", bare.others / duration)

        def ratio(phase: Phase) -> float:
            return phase.rate / bare.rate if bare.rate else float("nan")

        def load(label: str, **spec) -> Phase:
            return run_load(label, {"kind": "get", "port": self.port, **spec}, web, duration,
                            stack_mode=self.args.stack)

        pdf = load("cached PDF", path=f"/s/{d.main_slug}.pdf", prefix=b"%PDF")
        say(f"        {pdf.bytes / max(1, pdf.ok) / 1024:,.0f} KiB per download")
        r.check("3", "cached PDF: req/s vs bare", f"{pdf.rate:,.1f} ({ratio(pdf):.3f} x)"
                + (f", {len(pdf.errors)} errors" if pdf.errors else ""), ">= 0.5 x",
                ratio(pdf) >= 0.5 and not pdf.errors)
        r.check("3", "cached PDF: CPU per request", f"{_n(pdf.cpu_ms, 2)} ms", "<= 1 ms",
                pdf.cpu_ms <= 1.0)
        self._figs("r3_pdf", pdf, ratio(pdf))
        r.fig("r3_pdf_kib", pdf.bytes / max(1, pdf.ok) / 1024)

        page = load("statement page", path=f"/s/{d.main_slug}")
        r.check("4", "statement page: p99", f"{_n(page.ms(.99))} ms (p50 {_n(page.ms(.5))})"
                + (f", {len(page.errors)} errors" if page.errors else ""), "<= 50 ms",
                page.ms(.99) <= 50 and not page.errors)
        r.check("4", "statement page: CPU per request", f"{_n(page.cpu_ms, 2)} ms", "<= 3 ms",
                page.cpu_ms <= 3.0)
        r.info("4", "statement page: client CPU", f"{page.client_cpu:.1f} s in {duration:g} s "
               f"({page.client_cpu / duration:.2f} cores), {page.rate:,.1f} req/s")
        self._figs("r4_page", page, ratio(page))

        for key, label, path in (
            ("csv", "CSV", f"/api/v1/statements/{d.main_slug}/signatories.csv"),
            ("json", "JSON", f"/api/v1/statements/{d.main_slug}"),
        ):
            phase = load(f"API {label}", path=path)
            r.check("5", f"API {label}: req/s vs bare", f"{phase.rate:,.1f} ({ratio(phase):.3f} x)"
                    + (f", {len(phase.errors)} errors" if phase.errors else ""), ">= 0.3 x",
                    ratio(phase) >= 0.3 and not phase.errors)
            self._figs(f"r5_{key}", phase, ratio(phase))

        rows_before = self.live_monitor.max_id("signature")
        sign = load("sign-on POST", kind="sign", slug=d.main_slug, run=self.tag,
                    number_base=10_000_000)
        rows = self.live_monitor.scalar("SELECT count(*) FROM signature WHERE id > :i",
                                        i=rows_before)
        r.check("6", "sign-on: CPU per request", f"{_n(sign.cpu_ms, 2)} ms", "<= 2.5 ms",
                sign.cpu_ms <= 2.5)
        r.check("6", "sign-on: req/s vs bare", f"{sign.rate:,.1f} ({ratio(sign):.3f} x)",
                ">= 0.10 x", ratio(sign) >= 0.10)
        r.check("6", "sign-on: errors", f"{len(sign.errors)} (rows {rows} / 303s {sign.acked})",
                "0, rows = 303s", not sign.errors and rows == sign.acked)
        self._figs("r6_sign", sign, ratio(sign))
        self.report.fig("r6_rows", rows)
        self.report.fig("r6_acked", sign.acked)

    def _figs(self, key: str, phase: Phase, ratio: float) -> None:
        r = self.report
        r.fig(f"{key}_rps", phase.rate)
        r.fig(f"{key}_vs_bare", ratio)
        r.fig(f"{key}_cpu_ms", phase.cpu_ms)
        r.fig(f"{key}_p50_ms", phase.ms(.5))
        r.fig(f"{key}_p99_ms", phase.ms(.99))
        r.fig(f"{key}_errors", len(phase.errors))
        r.fig(f"{key}_client_cores", phase.client_cpu / phase.duration)
        r.fig(f"{key}_server_cores", phase.server_cpu / phase.duration)
        if phase.database_cpu is not None:
            r.fig(f"{key}_database_cpu_ms", phase.database_ms)
        r.fig(f"{key}_other_programs_cores", phase.others / phase.duration)

    def row7(self, minutes: float) -> None:
        d, m, r = self.data, self.live_monitor, self.report
        total = int(STORM_PER_MINUTE * minutes)
        seconds = minutes * 60
        interval = seconds / total
        say(f"7. storm: {total:,} sign-ons over {seconds:g} s ({STORM_PER_MINUTE:,}/min), "
            f"a confirmation every {STORM_CONFIRM_EVERY:g} s")
        sig_before, mail_before = m.max_id("signature"), m.max_id("outbox_message")
        issued_before = m.max_id("issued_pdf")
        ctx = multiprocessing.get_context("fork")
        threads = STORM_THREADS
        slots = [list(range(j, total, threads)) for j in range(threads)]
        per_proc = [slots[p::STORM_PROCS] for p in range(STORM_PROCS)]
        results = ctx.Queue()
        t0 = time.time() + 3.0
        children = [
            ctx.Process(
                target=_storm_process,
                daemon=True,
                args=(self.port, d.main_slug, self.tag, part, t0, interval, results),
            )
            for part in per_proc
            if part
        ]
        CLIENT_CHILDREN.extend(children)
        cpu_before, busy_before = tree_cpu(self.server_roots()), machine_busy()
        db_before = database_cpu() if self.args.stack else 0.0
        for child in children:
            child.start()
        confirmations: list[Confirmed] = []
        extra = d.extra_paths[:int(seconds // STORM_CONFIRM_EVERY)]

        def trickle() -> None:
            for i, path in enumerate(extra):
                sleep_until(t0 + STORM_CONFIRM_EVERY / 2 + i * STORM_CONFIRM_EVERY)
                confirmations.append(confirm_one(self.port, path))

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        records, client_cpu = [], 0.0
        for _ in children:
            part, cpu = results.get(timeout=seconds + CLIENT_TIMEOUT + 60)
            records += part
            client_cpu += cpu
        for child in children:
            child.join(timeout=10)
        trickler.join(timeout=CLIENT_TIMEOUT)
        server_cpu = tree_cpu(self.server_roots()) - cpu_before
        db_cpu = database_cpu() - db_before if self.args.stack else 0.0
        others = max(0.0, machine_busy() - busy_before - server_cpu - client_cpu - db_cpu)
        settled = m.settle(d.main_id)
        renders = m.issued_since(d.main_id, issued_before)
        errors = [x for x in records if x[5]]
        acked = {f"contact{STORM_BASE + x[0]}@example.org" for x in records if not x[5]}
        from_planned = [x[3] - x[1] for x in records if not x[5]]
        service = [x[3] - x[2] for x in records if not x[5]]
        late = max((x[2] - x[1] for x in records), default=0.0)
        rows = Counter(e for (e,) in m.rows("SELECT email FROM signature WHERE statement_id = :s "
                                            "AND id > :i", s=d.main_id, i=sig_before))
        mails = Counter(e for (e,) in m.rows("SELECT recipient FROM outbox_message WHERE "
                                             "statement_id = :s AND kind = 'signature-confirm' "
                                             "AND id > :i", s=d.main_id, i=mail_before))
        stored_once = sum(rows[e] == 1 for e in acked)
        mailed_once = sum(mails[e] == 1 for e in acked)
        missing = sum(rows[e] == 0 for e in acked)
        doubled = sum(rows[e] > 1 for e in acked) + sum(mails[e] > 1 for e in acked)
        unacked_stored = len(set(rows) - acked)
        confirm_errors = [c for c in confirmations if not c.ok]
        span = (max(x[3] for x in records) - min(x[2] for x in records)) if records else 0.0
        say(
            f"    {len(records):,} sent, {len(acked):,} acknowledged in {span:.0f} s; latency p50 "
            f"{_n(percentile(service, 0.5) * 1000, 0)} ms, "
            f"p99 {_n(percentile(service, 0.99) * 1000, 0)} "
            f"ms (from the planned time {_n(percentile(from_planned, 0.99) * 1000, 0)} ms; clients "
            f"at most {late:.2f} s late); {len(confirmations)} confirmations "
            f"({len(confirm_errors)} failed); {renders} renders; CPU: server {server_cpu:.0f} s, "
            f"clients {client_cpu:.0f} s, other programs {others:.0f} s"
        )
        for x in errors[:3]:
            say(f"        error: {x[5]}")
        for c in confirm_errors[:3]:
            say(f"        confirmation error: {c.detail}")
        r.check("7", "storm: errors", f"{len(errors)} of {total:,}"
                + (f" (+{len(confirm_errors)} confirmations)" if confirm_errors else ""), "0",
                not errors and not confirm_errors and len(records) == total)
        p99 = percentile(from_planned, .99)
        r.check("7", "storm: p99 latency", f"{_n(p99 * 1000, 0)} ms (service "
                f"{_n(percentile(service, .99) * 1000, 0)} ms)", "<= 1 s", p99 <= 1.0)
        r.check(
            "7",
            "storm: stored once, one mail",
            f"{stored_once:,}/{mailed_once:,} of "
            f"{len(acked):,} (missing {missing}, doubled {doubled}, unacked rows {unacked_stored})",
            "all",
            stored_once == mailed_once == len(acked) and bool(acked),
        )
        r.info("7", "storm: renders during the storm", f"{renders} (PDF settled "
               f"{f'after {settled:.0f} s' if settled is not None else 'NOT within 5 min'})")
        for key, value in (
            ("sent", len(records)),
            ("acked", len(acked)),
            ("errors", len(errors)),
            ("p50_ms", percentile(service, 0.5) * 1000),
            ("p99_ms", p99 * 1000),
            ("service_p99_ms", percentile(service, 0.99) * 1000),
            ("max_client_lag_s", late),
            ("stored_once", stored_once),
            ("mailed_once", mailed_once),
            ("missing", missing),
            ("doubled", doubled),
            ("unacked_rows", unacked_stored),
            ("renders", renders),
            ("confirmations", len(confirmations)),
            ("confirmation_errors", len(confirm_errors)),
            ("server_cpu_s", server_cpu),
            ("client_cpu_s", client_cpu),
            ("database_cpu_s", db_cpu),
            ("other_programs_cpu_s", others),
        ):
            r.fig(f"r7_{key}", value)

    def row8_after(self, idle: dict) -> None:
        d, m, r = self.data, self.live_monitor, self.report
        say(f"8. memory: rendering the {BIG_NAMES:,}-name statement")
        add_signature(self.app, d.big_id, d.owner_id, f"{self.tag}-big")
        issued_before = m.max_id("issued_pdf")
        peak = {"mib": 0.0}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak["mib"] = max(peak["mib"], self.memory()["mib"])
                done.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.monotonic()
        try:
            outcome = fetch_pdf(self.port, d.big_slug, time.monotonic() + 420)
            served = time.monotonic() - t0
            m.settle(d.big_id, 180)  # its lease released, the worker idle again
        finally:
            done.set()
            sampler.join()
        time.sleep(1.0)
        after = self.memory()
        renders = m.issued_since(d.big_id, issued_before)
        check = check_newest_pdf(m, self.storage, d.big_id)
        say(f"    PDF served after {served:.0f} s ({outcome['not_ready']} not-ready answers, "
            f"errors {outcome['errors'][:2]}); {renders} render(s); lists {check['issued']} of "
            f"{check['approved']:,}; {after['processes']} processes, {after['measure']} "
            f"{after['mib']:.0f} MiB (RSS {after['rss_mib']:.0f}), peak {peak['mib']:.0f} MiB")
        r.check(
            "8",
            "memory after the 20,000 render",
            f"{after['mib']:,.0f} MiB {after['measure']} "
            f"({after['processes']} processes; peak {peak['mib']:,.0f})",
            "<= 1024 MiB",
            after["mib"] <= 1024 and not outcome["errors"],
        )
        r.info("8", "20,000-name PDF", f"served after {served:.0f} s, {renders} render(s), lists "
               f"{check['issued']} of {check['approved']:,}")
        r.fig("r8_idle_mib", idle["mib"])
        r.fig("r8_after_mib", after["mib"])
        r.fig("r8_after_rss_mib", after["rss_mib"])
        r.fig("r8_peak_mib", peak["mib"])
        r.fig("r8_processes_after", after["processes"])
        r.fig("r8_measure", after["measure"])
        r.fig("r8_big_pdf_seconds", served)
        r.fig("r8_big_renders", renders)
        r.fig("r8_big_errors", outcome["errors"][:3])


def run(args) -> int:
    r = Run(args)
    mode = ("PostgreSQL + Redis db 12" if args.stack else "SQLite, no Redis")
    storm_minutes = 1.0 if args.quick else 5.0
    say(f"cosign publication day ({mode}); {os.cpu_count()} cores shared by servers and clients; "
        f"load average {os.getloadavg()[0]:.1f}; temporary directory {r.tmp}")
    r.report.fig("mode", "stack" if args.stack else "embedded")
    r.report.fig("quick", bool(args.quick))
    r.report.fig("cores", os.cpu_count())
    started = time.monotonic()
    try:
        say("set-up")
        r.prepare_database()
        stack.migrate(r.env())
        r.monitor = Monitor(r.database_url)
        key_note = r.keygen()
        say(f"  {key_note}")
        r.app = make_app(r.database_url, r.secret, r.storage, r.site)
        r.data = build(r.app, r.site, r.monitor)
        r.control_app_for_run()
        r.report.fig("signing_key", key_note)
        r.report.fig("sort_keys", r.data.sort_keys)

        say(f"servers: cosign on {r.site} and bare on http://127.0.0.1:{r.bare_port} "
            f"(gunicorn.conf.py, WEB_CONCURRENCY={WEB_WORKERS}); job worker")
        r.start()
        r.report.fig("worker", r.worker_note)
        time.sleep(2.0)
        idle = r.memory()
        say(f"8. memory idle after start: {idle['mib']:.0f} MiB {idle['measure']} over "
            f"{idle['processes']} processes (RSS {idle['rss_mib']:.0f} MiB)")
        r.report.check("8", "memory idle after start", f"{idle['mib']:,.0f} MiB {idle['measure']} "
                       f"({idle['processes']} processes)", "<= 600 MiB", idle["mib"] <= 600)
        r.report.fig("r8_idle_mib", idle["mib"])
        r.report.fig("r8_idle_processes", idle["processes"])
        say("warm-up (not measured)")
        r.warm()

        steps = [("1", "confirmations", r.row1), ("2", "downloads", r.row2),
                 ("3-6", "throughput", lambda: r.rows3to6(args.duration)),
                 ("7", "storm", lambda: r.row7(storm_minutes)),
                 ("8", "memory after the 20,000 render", lambda: r.row8_after(idle))]
        for row, label, step in steps:
            try:
                step()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - report, go on with the next row
                traceback.print_exc()
                r.report.failed(row, label, f"{type(exc).__name__}: {exc}")

        say("stopping the servers")
        orphans = r.stop()
        killed = f", killed {','.join(orphans['killed'])}" if orphans["killed"] else ""
        r.report.check("2", "orphans after stop", f"{orphans['orphans']} (leftovers "
                       f"{orphans['leftover']}{killed})", "0", orphans["orphans"] == 0)
        for sample in orphans["samples"]:
            say(f"    orphan: {sample}")
        if orphans["exited_before_stop"]:
            say(f"    NOTE: exited before the end of the run (name: exit code): "
                f"{orphans['exited_before_stop']}")
        r.report.fig("exited_before_stop", orphans["exited_before_stop"])
        r.report.fig("r2_orphans", orphans["orphans"])
        r.report.fig("leftover_processes", orphans["leftover"])
        r.report.fig("stop_killed", orphans["killed"])
        tracebacks = sum((r.logs / f"{name}.log").read_text(errors="replace").count("Traceback")
                         for name in ("web", "worker") if (r.logs / f"{name}.log").exists())
        r.report.info("-", "server log tracebacks", f"{tracebacks} ({r.worker_note})")
        r.report.fig("server_tracebacks", tracebacks)
    except KeyboardInterrupt:
        say("interrupted: cleaning up")
        r.cleanup()
        return 130
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        r.report.failed("-", "run", f"{type(exc).__name__}: {exc}")
    finally:
        r.cleanup()
    r.report.fig("seconds", time.monotonic() - started)
    r.report.print()
    say(f"{mode}; {'quick: storm 1 min' if args.quick else 'storm 5 min'}; "
        f"{time.monotonic() - started:.0f} s in all; load average {os.getloadavg()[0]:.1f} now")
    met = r.report.all_met()
    r.report.fig("all_targets_met", met)
    say(json.dumps({"benchmark": "publication_day", **r.report.figures}, sort_keys=True,
                   ensure_ascii=False, default=str))
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="store_true",
                        help="PostgreSQL (database cosign_pubday) + Redis db 12 instead of SQLite")
    parser.add_argument("--quick", action="store_true", help="a 1-minute storm instead of 5")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="measured seconds of each throughput phase (rows 3-6)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (database, PDFs, server logs) and the "
                             "PostgreSQL database")
    args = parser.parse_args(argv)

    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
