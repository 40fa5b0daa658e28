"""The job queue on Redis (RQ): connection, queues, enqueue with fallback, render debounce, worker.

With ``REDIS_URL`` set, :mod:`cosign.jobs` hands its jobs to the functions
here instead of running them inline. Three queues, in the order a worker
takes them:

``mail``     one job per new outbox message (``jobs.deliver_mail``): quick, and
             what a person waits for (the confirmation link; such mail is put
             at the front of the queue, see ``mail.priority``)
``default``  press distribution (``jobs.distribute``), scheduled publication
             (``jobs.publish_due`` at the embargo's end)
``pdf``      renders of statements marked as wanted (``jobs.render_pdf``)

Queue names and every key cosign keeps in Redis start with
``COSIGN_QUEUE_PREFIX`` (default ``cosign``), so several sites (or test runs)
can share one Redis.

Nothing is lost when Redis is down: the work is in the database already (the
outbox row, the statement's ``pdf_wanted_at`` mark, its ``publish_at``), so a
failed enqueue is logged and the work is left for the worker's sweep or
``flask cosign tick``; :func:`enqueue` says whether it succeeded and the
caller decides. After a failure Redis is not asked again for
:data:`RETRY_AFTER` seconds, so requests do not wait on a dead server one
after another.

No Flask here: functions take the app's configuration mapping.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

QUEUES = ("mail", "default", "pdf")  # a worker's order of priority
TIMEOUTS = {"mail": 120, "default": 1800, "pdf": 1800}  # seconds a job may run
RESULT_TTL = 600  # finished jobs are kept this long (rq info), failed ones a week
FAILURE_TTL = 7 * 24 * 3600
CONNECT_TIMEOUT = 2.0  # seconds before giving up connecting to Redis
SOCKET_TIMEOUT = 5.0  # seconds a command may take
RETRY_AFTER = 5.0  # seconds without asking Redis again after it failed
RENDER_KEY_GRACE = 60.0  # a render's debounce key outlives its due time by this much
SWEEP_INTERVAL = 60  # seconds between two sweeps (one per site, whatever the number of workers)

_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,40}")
_clients: dict[str, Redis] = {}
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class QueueUnavailable(RuntimeError):
    """Redis did not answer; the message says where and why."""


# --- configuration -----------------------------------------------------------------------

def enabled(config: Mapping[str, Any]) -> bool:
    """Jobs go to RQ (``REDIS_URL`` set) rather than running inline."""
    return bool(config.get("REDIS_URL"))


def prefix(config: Mapping[str, Any]) -> str:
    value = str(config.get("COSIGN_QUEUE_PREFIX") or "cosign")
    if not _PREFIX.fullmatch(value):
        raise ValueError(
            f"COSIGN_QUEUE_PREFIX must be 1-40 letters, digits, '-' or '_', not {value!r}")
    return value


def queue_name(config: Mapping[str, Any], short: str) -> str:
    if short not in QUEUES:
        raise ValueError(f"unknown queue {short!r}: choose from {', '.join(QUEUES)}")
    return f"{prefix(config)}-{short}"


def key(config: Mapping[str, Any], *parts: object) -> str:
    """A Redis key of this site: ``<prefix>:<part>:<part>``."""
    return ":".join([prefix(config), *(str(p) for p in parts)])


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return url


def client_options() -> dict[str, Any]:
    """Short timeouts and one immediate retry (redis-py's default retries for seconds)."""
    return {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT,
            "retry": Retry(NoBackoff(), 1), "health_check_interval": 30}


def connection(config: Mapping[str, Any]) -> Redis:
    """The process's client for ``REDIS_URL`` (made on first use; redis-py pools connections)."""
    url = config["REDIS_URL"]
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = Redis.from_url(url, **client_options())
    return client


def queue(config: Mapping[str, Any], short: str, conn: Redis | None = None, cls=None):
    from rq import Queue  # deferred: RQ (30 ms) is needed only with REDIS_URL set

    return (cls or Queue)(queue_name(config, short), connection=conn or connection(config),
                          default_timeout=TIMEOUTS[short])


def reachable(config: Mapping[str, Any], timeout: float = CONNECT_TIMEOUT) -> str | None:
    """None when Redis at ``REDIS_URL`` answers PING (a fresh connection, no retry); else why not.

    On success, enqueueing is tried again at once (the pause after a failure ends).
    """
    url = config["REDIS_URL"]
    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                            retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    except RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    _down_until.pop(url, None)
    return None


# --- enqueue, with the fallback left to the caller ----------------------------------------

def _available(url: str) -> bool:
    return time.monotonic() >= _down_until.get(url, 0.0)


LEFT_FOR_SWEEP = "it stays in the database for the worker's sweep or `flask cosign tick`"


def _failed(url: str, exc: BaseException, what: str, fallback: str) -> None:
    first = _available(url)
    _down_until[url] = time.monotonic() + RETRY_AFTER
    # One warning per outage window (then one every RETRY_AFTER seconds), not one per job.
    (log.warning if first else log.debug)(
        "Redis at %s is unreachable (%s: %s): %s was not queued; %s",
        redact(url), type(exc).__name__, exc, what, fallback)


def _job_options(config: Mapping[str, Any], short: str) -> dict[str, Any]:
    return {"job_timeout": TIMEOUTS[short], "result_ttl": RESULT_TTL, "failure_ttl": FAILURE_TTL,
            "job_id": f"{prefix(config)}-{uuid.uuid4().hex}"}


def enqueue(config: Mapping[str, Any], short: str, func: Callable[..., Any] | str, *args: Any,
            at: dt.datetime | None = None, delay: float = 0.0,
            fallback: str = LEFT_FOR_SWEEP, at_front: bool = False) -> bool:
    """Put ``func(*args)`` on a queue (now, after ``delay`` seconds, or at ``at``, naive UTC).
    ``at_front``: before the jobs waiting in the queue (mail a person is waiting for).

    False when Redis cannot be reached: a warning says what happens instead
    (``fallback``); the caller leaves the work in the database for the sweep,
    or runs it inline.
    """
    url = config["REDIS_URL"]
    what = f"{getattr(func, '__name__', func)}{args!r}"
    if not _available(url):
        log.debug("Redis at %s was unreachable a moment ago: %s was not queued; %s",
                  redact(url), what, fallback)
        return False
    try:
        q = queue(config, short)
        options = _job_options(config, short)
        if at is not None:
            q.enqueue_at(at.replace(tzinfo=dt.UTC), func, *args, **options)
        elif delay > 0:
            q.enqueue_in(dt.timedelta(seconds=delay), func, *args, **options)
        else:
            q.enqueue(func, *args, at_front=at_front, **options)
    except RedisError as exc:
        _failed(url, exc, what, fallback)
        return False
    _down_until.pop(url, None)
    return True


# --- PDF renders: one per burst of changes, whichever web server saw them -------------------

RENDER_JOB = "cosign.jobs.render_pdf"


def render_key(config: Mapping[str, Any], statement_id: int) -> str:
    return key(config, "pdf-render", statement_id)


def schedule_render(config: Mapping[str, Any], statement_id: int, delay: float) -> bool | None:
    """Queue a render of the statement in ``delay`` seconds unless one is already due.

    ``SET <prefix>:pdf-render:<id> NX``: the first change of a burst, on any
    web server, sets the key and queues the render; the others find the key
    and do nothing, because the render reads the statement when it runs and so
    includes them. The render job deletes the key when it starts
    (:func:`render_started`), so a change made during a render queues the
    next one. The key expires on its own ``RENDER_KEY_GRACE`` seconds after
    the render was due, in case the job was lost.

    True: queued; False: one was queued already; None: Redis is unreachable
    (logged; the statement stays marked as wanted for the sweep or tick).
    """
    url = config["REDIS_URL"]
    if not _available(url):
        return None
    render = render_key(config, statement_id)
    conn = connection(config)
    try:
        if not conn.set(render, 1, nx=True, px=int((delay + RENDER_KEY_GRACE) * 1000)):
            return False
    except RedisError as exc:
        _failed(url, exc, f"the render of statement {statement_id}",
                "it stays marked as wanted for the worker's sweep or `flask cosign tick`")
        return None
    if enqueue(config, "pdf", RENDER_JOB, statement_id, delay=delay,
               fallback="it stays marked as wanted for the worker's sweep or `flask cosign tick`"):
        return True
    with contextlib.suppress(RedisError):
        conn.delete(render)
    return None


def render_started(config: Mapping[str, Any], statement_id: int) -> None:
    """The render job begins: changes from now on need a render of their own."""
    with contextlib.suppress(RedisError):
        connection(config).delete(render_key(config, statement_id))


# --- the worker ---------------------------------------------------------------------------

def chosen(names: Iterable[str] | None = None) -> list[str]:
    """Short names of the chosen queues in the worker's order; all of them by default.

    Accepts ``["mail", "pdf"]`` as well as ``["mail,pdf"]``.
    """
    picked = [n.strip() for name in (names or ()) for n in name.split(",") if n.strip()]
    unknown = sorted(set(picked) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(unknown)}: choose from {', '.join(QUEUES)}")
    return [n for n in QUEUES if n in picked] if picked else list(QUEUES)


def make_worker(config: Mapping[str, Any], names: Iterable[str] | None = None, *,
                job_context: Callable[[], AbstractContextManager[Any]] | None = None,
                periodic: Callable[[], None] | None = None):
    """An RQ worker on the chosen queues that runs jobs in this process (see ``Worker`` below).

    It has a Redis connection of its own: RQ lengthens the socket timeout of
    its connection for blocking reads.
    """
    conn = Redis.from_url(config["REDIS_URL"], **client_options())
    worker_class, queue_class = _worker_class(), _QUEUE_CLASS
    worker = worker_class(
        [queue(config, short, conn, queue_class) for short in chosen(names)],
        connection=conn, name=f"{prefix(config)}-{uuid.uuid4().hex[:12]}",
        default_result_ttl=RESULT_TTL, queue_class=queue_class,
    )
    worker.job_context = job_context
    worker.periodic = periodic
    worker.sweep_key = key(config, "sweep")
    return worker


def work(config: Mapping[str, Any], names: Iterable[str] | None = None, *, burst: bool = False,
         job_context: Callable[[], AbstractContextManager[Any]] | None = None,
         periodic: Callable[[], None] | None = None, logging_level: str | None = "INFO") -> bool:
    """Run a worker until it is stopped (or, with ``burst``, until its queues are empty).

    The worker runs RQ's scheduler, which moves scheduled jobs (debounced
    renders, publications at an embargo's end) to their queue when they are
    due; in burst mode it does so once, at the start. True if any job was
    done. The signal handlers RQ installs are put back afterwards.
    """
    url = redact(config["REDIS_URL"])
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = None
    try:
        worker = make_worker(config, names, job_context=job_context, periodic=periodic)
        worked = worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
        if worker.redis_lost is not None:
            raise QueueUnavailable(f"lost Redis at {url}: {worker.redis_lost}")
        if not burst and worker._shutdown_requested_date is None:
            # RQ leaves its loop without a signal only on an error (Redis timing out, say):
            # say so, and exit non-zero so that systemd restarts the worker
            raise QueueUnavailable(f"the worker stopped on an error (Redis at {url}?): see the "
                                   "log above")
        return worked
    except RedisError as exc:
        raise QueueUnavailable(f"cannot reach Redis at {url}: {type(exc).__name__}: {exc}") from exc
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if worker is not None:
            with contextlib.suppress(RedisError):
                worker.connection.close()


_WORKER_CLASS = None
_QUEUE_CLASS = None


def _worker_class():
    """Made on first use, so that importing this module does not import RQ."""
    global _WORKER_CLASS, _QUEUE_CLASS
    if _WORKER_CLASS is not None:
        return _WORKER_CLASS
    # deferred: RQ (30 ms) is needed only with REDIS_URL set
    from rq.exceptions import StopRequested

    class RedisLost(StopRequested):
        """Leaves RQ's loop quietly when Redis stops answering (see ``Worker``)."""

    _WORKER_CLASS = _redis_losing_worker(_sweeping_worker(), RedisLost)
    _QUEUE_CLASS = _redis_losing_queue(RedisLost)
    return _WORKER_CLASS


def _redis_losing_queue(redis_lost: type[Exception]):
    """RQ's Queue, made to leave the worker's loop on a lost connection (see below)."""
    from rq import Queue  # deferred: RQ (30 ms) is needed only with REDIS_URL set

    class LosingQueue(Queue):
        """RQ's Queue; a lost connection while waiting for a job ends the worker's loop."""

        @classmethod
        def dequeue_any(cls, *args, **kwargs):
            try:
                return super().dequeue_any(*args, **kwargs)
            except RedisError as exc:
                raise redis_lost(f"{type(exc).__name__}: {exc}") from exc

    return LosingQueue


def _sweeping_worker():
    """RQ's SimpleWorker, running jobs in a ``job_context`` and the periodic sweep (the
    first half of ``Worker``, below)."""
    from rq.worker import SimpleWorker  # deferred: RQ is needed only with REDIS_URL set

    class SweepingWorker(SimpleWorker):
        """RQ's SimpleWorker: every job runs in the worker's own process, no fork.

        RQ's default worker forks a child per job; each child would start its
        own pool of PDF render processes (about 1 s each, plus WeasyPrint's
        warm-up) and lose it when it exits. Here the pool starts once and every
        render reuses it. Each job runs in a fresh ``job_context`` (the app
        context: its own database session). Between jobs, and at least every
        :data:`SWEEP_INTERVAL` seconds when idle, the worker whose turn it is
        (one per site and interval, by a Redis key) runs ``periodic``.
        """

        job_context: Callable[[], AbstractContextManager[Any]] | None = None
        redis_lost: str | None = None
        periodic: Callable[[], None] | None = None
        sweep_key = ""
        _next_sweep = 0.0

        @property
        def dequeue_timeout(self) -> int:  # wake up for the sweep even when idle
            return max(1, min(super().dequeue_timeout, SWEEP_INTERVAL))

        @property
        def should_run_maintenance_tasks(self) -> bool:
            return self._sweep_due() or super().should_run_maintenance_tasks

        def run_maintenance_tasks(self) -> None:
            if self._sweep_due():
                self._next_sweep = time.monotonic() + SWEEP_INTERVAL
                if self.periodic is not None and self._sweep_turn():
                    try:
                        self.periodic()
                    except Exception:  # the sweep must not stop the worker
                        self.log.exception("Worker %s: the periodic sweep failed", self.name)
            if super().should_run_maintenance_tasks:
                super().run_maintenance_tasks()

        def _sweep_due(self) -> bool:
            return time.monotonic() >= self._next_sweep

        def _sweep_turn(self) -> bool:
            try:
                return bool(self.connection.set(self.sweep_key, 1, nx=True,
                                                ex=max(1, SWEEP_INTERVAL - 5)))
            except RedisError as exc:  # RQ's own loop deals with a Redis outage
                self.log.warning("Worker %s: no sweep, Redis did not answer: %s", self.name, exc)
                return False

        def perform_job(self, job, queue, execution) -> bool:
            context = self.job_context() if self.job_context else contextlib.nullcontext()
            with context:
                return super().perform_job(job, queue, execution)

    return SweepingWorker


def _redis_losing_worker(base, redis_lost: type[Exception]):
    """``Worker``: the sweeping worker, leaving RQ's loop when Redis stops answering."""

    class Worker(base):
        """The sweeping worker (see :func:`_sweeping_worker`), leaving RQ's loop on a lost Redis.

        When Redis stops answering, RQ would retry for ever inside its loop
        and do nothing else (or quit on a timeout): this worker leaves the loop
        instead (``redis_lost`` says why), so that :func:`cosign.jobs.work`
        does the work that needs no Redis until it answers again.
        """

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.leaving = threading.Event()  # set when the loop is left without Redis

        @contextlib.contextmanager
        def _losing_redis(self) -> Iterator[None]:
            """A RedisError inside leaves RQ's loop, saying why in ``redis_lost``."""
            try:
                yield
            except RedisError as exc:
                self.redis_lost = f"{type(exc).__name__}: {exc}"
                raise redis_lost(self.redis_lost) from exc

        def run_maintenance_tasks(self) -> None:
            with self._losing_redis():  # (the sweep itself lets no RedisError out)
                super().run_maintenance_tasks()

        def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
            try:
                # RQ marks the worker idle in Redis before its own retrying loop: a Redis that
                # goes at that moment would end RQ's work loop ("unhandled exception, quitting")
                with self._losing_redis():
                    return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except redis_lost as exc:
                self.redis_lost = str(exc)
                raise

        def heartbeat(self, *args, **kwargs):
            with self._losing_redis():
                return super().heartbeat(*args, **kwargs)

        def execute_job(self, job, queue) -> None:
            with self._losing_redis():  # Redis went while the job ran: its result is not kept
                super().execute_job(job, queue)

        def _pubsub_exception_handler(self, exc, pubsub, pubsub_thread) -> None:
            if isinstance(exc, RedisError):  # RQ logs an error every 2 s: the loop says it once
                self.log.debug("Worker %s: the command channel lost Redis: %s", self.name, exc)
                self.leaving.wait(2.0)  # RQ's pause before it asks again; not once the loop is left
                return
            super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

        def check_for_suspension(self, burst: bool) -> None:
            with self._losing_redis():
                super().check_for_suspension(burst)

        def teardown(self) -> None:
            if self.redis_lost is None:
                try:
                    super().teardown()  # stops the scheduler, says goodbye in Redis, unsubscribes
                    return
                except RedisError as exc:
                    self.redis_lost = f"{type(exc).__name__}: {exc}"
            _stop_beside_loop(self)

    return Worker


def _stop_beside_loop(worker) -> None:
    """Stop what runs beside the worker's loop without asking Redis, which is gone (the
    scheduler's locks and the worker's registration expire there by themselves)."""
    process = getattr(worker.scheduler, "_process", None) if worker.scheduler else None
    if process is not None and process.pid:
        with contextlib.suppress(OSError):
            os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)
    if worker.pubsub_thread is not None:
        worker.leaving.set()  # (it may be pausing after an error: not for the 2 s)
        worker.pubsub_thread.stop()  # it would retry every 2 s, logging each time
        worker.pubsub_thread.join(timeout=5)
        with contextlib.suppress(Exception):
            worker.pubsub.close()
        worker.pubsub_thread = None
