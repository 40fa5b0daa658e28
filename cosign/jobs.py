"""Background jobs: one function per job, taking ids; and the two ways of running them.

Services say what changed (:mod:`cosign.dispatch`); the work is handed on
after the transaction commits and dropped if it rolls back:

- with ``REDIS_URL`` jobs go to RQ queues (:mod:`cosign.queue`) and ``flask
  cosign worker`` runs them (:func:`work`) on any number of hosts. A wanted PDF
  becomes a render job, debounced in Redis;
- without it (the embedded default) quick jobs (e-mail) run right after the
  request's commit, and slow ones never run in a request: ``flask cosign
  worker``, which ``make run`` starts beside the site, is the machine's one
  background process (:func:`work_embedded`). It polls the database for PDFs
  that are owed (the statements' ``pdf_wanted_at`` marks) and runs the sweep
  (publication at an embargo's end, press distribution, mail that is due).

Every render takes the statement's render lease in the database
(:func:`cosign.pdfs.render_wanted`), so renders of one statement never
overlap, whichever process or host runs them, and the minimum interval
between two holds everywhere.

If Redis cannot be reached, nothing is lost: new mail stays in the outbox and
a wanted PDF stays marked, for the worker's :func:`sweep` or ``flask cosign
tick``; a publication stays scheduled in the database; a press distribution is
picked up by the sweep (a published statement with no delivery yet). The RQ
worker itself does not stop (:func:`work`): until Redis answers again it does
that database work, as the embedded worker does.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from cosign import (
    clock,
    collation,
    database,
    digest,
    dispatch,
    distribution,
    mail,
    pdfs,
    publishing,
    queue,
    retention,
    signing,
)
from cosign.core import pdf as core_pdf
from cosign.extensions import db

log = logging.getLogger(__name__)

_app: Flask | None = None


def _require_app() -> Flask:
    if _app is None:
        raise RuntimeError("cosign.jobs is not bound to an app (call jobs.init_app)")
    return _app


def _current_app() -> Flask:
    """The app of the current context (several apps may live in one process), else the bound one."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _require_app()


def _config():
    return _current_app().config


# --- the jobs ---------------------------------------------------------------------------

def deliver_mail(message_id: int) -> None:
    mail.deliver(db.session(), message_id, _config())


def deliver_mail_inline(message_id: int) -> None:
    """Send a new message right after the request's commit (no queue): a short SMTP
    timeout, so a hung relay cannot hold the request; what fails waits for ``tick``."""
    config = dict(_config())
    config["MAIL_TIMEOUT"] = config.get("COSIGN_INLINE_MAIL_TIMEOUT") or 5
    mail.deliver(db.session(), message_id, config)


def distribute(statement_id: int, kind: str) -> None:
    """Send a statement to its press recipients (final, or the embargoed copy)."""
    distribution.distribute(db.session(), statement_id, kind, _config())


# Jobs too slow for a web request (they may render a PDF): without a queue they are left to
# the embedded worker's sweep (`distribution.sweep` picks up distributions that never ran).
WORKER_ONLY = frozenset({distribute})
LEFT_FOR_SWEEP = "the worker's sweep or `flask cosign tick` sends it (it renders the PDF)"


def publish_due() -> None:
    publishing.publish_due(db.session())


def render_pdf(statement_id: int) -> None:
    """Render a statement's PDF if it is owed and due, under the render lease
    (:func:`cosign.pdfs.render_wanted`); on the queue, schedule the next one
    when changes came in meanwhile or the render was not due yet."""
    config = _config()
    if queue.enabled(config):
        queue.render_started(config, statement_id)  # later changes queue a render of their own
    if pdfs.render_wanted(db.session(), statement_id, config) is not None:
        core_pdf.default_pool().trim(float(config.get("COSIGN_RENDER_POOL_MAX_MB") or 300))
    if queue.enabled(config):
        with database.write_intent(False):
            when = pdfs.next_due(db.session(), statement_id, config)
            db.session.rollback()
        if when is not None:
            delay = max(0.0, (when - clock.now()).total_seconds())
            queue.schedule_render(config, statement_id, delay)


def render_due(app: Flask) -> int:
    """Render every PDF that is owed and due now, one after the other (the embedded
    worker's poll). Reading what is due takes no write lock."""
    with app.app_context(), database.write_intent(False):
        due = pdfs.due(db.session(), app.config)
        db.session.rollback()
    for statement_id in due:
        run(render_pdf, statement_id, app=app)
    return len(due)


def sweep(*, use_queue: bool = True) -> dict[str, int]:
    """The worker's periodic work, what ``flask cosign tick`` does; every step is idempotent.

    Publishes statements whose embargo has ended, runs press distributions
    that never ran, closes statements past their deadline, queues the daily
    digests of sign-ons waiting for moderation (:mod:`cosign.digest`), queues renders of
    PDFs wanted for longer than the debounce (their render was lost, or Redis
    was down when they changed) and sends the e-mail that is due (new mail that
    could not be queued, and retries). ``use_queue=False``: Redis is down, queue
    no renders (the worker renders them itself, :func:`render_due`).
    """
    config = _config()
    session = db.session()
    published = publishing.publish_due(session)
    distributed = distribution.sweep(session, config)
    closed = signing.close_expired(session)
    erased = retention.erase_expired_contacts(session, config)
    digests = digest.send_due(session, config)
    renders = 0
    if use_queue and queue.enabled(config):  # renders due whose job was lost (or Redis was down)
        overdue = pdfs.due(session, config)
        session.rollback()  # hold no lock while talking to Redis
        renders = sum(bool(queue.schedule_render(config, statement_id, 0))
                      for statement_id in overdue)
    sent = mail.deliver_due(session, config)
    counts = {"published": published, "distributed": distributed, "closed": closed,
              "erased": erased, "digests": digests, "renders": renders, "sent": sent}
    (log.info if any(counts.values()) else log.debug)(
        "sweep: published %(published)d statement(s); queued %(distributed)d press mail(s) of "
        "distributions that never ran; closed %(closed)d statement(s) past their deadline; "
        "erased the contact data of %(erased)d signature(s); "
        "queued %(digests)d daily digest(s) to coordinators; "
        "queued %(renders)d PDF render(s); sent %(sent)d e-mail(s)", counts)
    return counts


# --- running jobs -------------------------------------------------------------------------

@contextlib.contextmanager
def job_context(app: Flask) -> Iterator[None]:
    """A fresh app context (hence database session) for one job; jobs may write."""
    with app.app_context(), database.write_intent(True):
        yield


def run(job: Callable[..., object], *args, app: Flask | None = None) -> None:
    """Run a job now in a fresh app context (inline mode)."""
    app = app or _current_app()
    with job_context(app):
        try:
            job(*args)
        except Exception:  # a failed job must not fail the request that caused it
            log.exception("job %s failed", job.__name__)


def work_embedded(app: Flask, *, burst: bool = False, poll: float | None = None,
                  sweep_every: float | None = None,
                  should_stop: Callable[[], bool] | None = None) -> bool:
    """The embedded default's one background process (no Redis): renders and sweeps.

    Polls the database every ``COSIGN_WORKER_POLL`` seconds (default 1) for
    PDFs that are owed and due (:func:`render_due`), and runs :func:`sweep`
    (publication at an embargo's end, press distributions, deadlines,
    retention, mail that is due) every ``COSIGN_WORKER_SWEEP`` seconds
    (default 10). The render pool is started once, here, and every render
    reuses it; web processes never start one. SIGTERM or Ctrl+C: the current
    render finishes, then the worker exits. ``burst``: one round, then return.
    True if anything was done.
    """
    config = app.config
    poll, sweep_every = _intervals(config, poll, sweep_every)
    stopping = []
    handlers = {}
    if not burst:
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, lambda *_: stopping.append(True))
    worked = False
    next_sweep = 0.0
    try:
        if not burst:
            core_pdf.default_pool().start()  # warm: the first render is not a cold one
            log.info("embedded worker: rendering PDFs and running the sweep (no Redis)")
        while not stopping and not (should_stop and should_stop()):
            now = time.monotonic()
            if now >= next_sweep:
                next_sweep = now + sweep_every
                with job_context(app):
                    counts = sweep()
                worked = worked or any(counts.values())
            worked = bool(render_due(app)) or worked
            if burst:
                return worked
            deadline = time.monotonic() + poll
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, poll))
        return worked
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if not burst:
            core_pdf.shutdown()


def _intervals(config: Mapping[str, Any], poll: float | None,
               sweep_every: float | None) -> tuple[float, float]:
    """The worker's poll and sweep intervals: as given, else ``COSIGN_WORKER_POLL`` and
    ``COSIGN_WORKER_SWEEP`` (the configuration always holds them, see cosign.config)."""
    return (float(config["COSIGN_WORKER_POLL"] if poll is None else poll),
            float(config["COSIGN_WORKER_SWEEP"] if sweep_every is None else sweep_every))


RECONNECT_FIRST = 1.0  # seconds before the first attempt to reach Redis again
RECONNECT_MAX = 30.0  # the longest wait between two attempts
STABLE_AFTER = 60.0  # a queue worker that ran this long starts the next outage at RECONNECT_FIRST


class Backoff:
    """Capped exponential waits: ``first``, twice that, ... up to ``cap``; :meth:`reset`
    starts over."""

    def __init__(self, first: float = RECONNECT_FIRST, cap: float = RECONNECT_MAX):
        self.first, self.cap = first, cap
        self.current = first

    def next(self) -> float:
        wait, self.current = self.current, min(self.cap, self.current * 2)
        return wait

    def reset(self) -> None:
        self.current = self.first


def work(app: Flask, queues: Iterable[str] | None = None, *, burst: bool = False,
         logging_level: str | None = "INFO", should_stop: Callable[[], bool] | None = None,
         backoff: Backoff | None = None) -> bool:
    """Run an RQ worker for ``app`` on the given queues (all by default); see :mod:`cosign.queue`.

    Every job runs in :func:`job_context`; the worker whose turn it is runs
    :func:`sweep` every minute. True if any job was done.

    Redis going away does not end the worker (except in ``burst`` mode, which
    raises :class:`cosign.queue.QueueUnavailable`): until Redis answers again
    it does what needs no Redis (:func:`work_without_redis`: mail that is due,
    PDFs owed, the sweep), asking Redis again after 1, 2, 4 ... 30 seconds
    (:class:`Backoff`; ``COSIGN_WORKER_RECONNECT``, ``COSIGN_WORKER_RECONNECT_MAX``),
    then goes back to the queues. One line in the log when
    Redis goes, one when it is back. SIGTERM or Ctrl+C: the current job
    finishes, then the worker exits.
    """
    def run_queues() -> bool:
        return queue.work(app.config, queues, burst=burst, logging_level=logging_level,
                          job_context=lambda: job_context(app),
                          periodic=lambda: run(sweep, app=app))

    if burst:
        return run_queues()
    url = queue.redact(app.config["REDIS_URL"])
    backoff = backoff or Backoff(app.config["COSIGN_WORKER_RECONNECT"],
                                 app.config["COSIGN_WORKER_RECONNECT_MAX"])
    stopping: list[bool] = []
    handlers = {sig: signal.signal(sig, lambda *_: stopping.append(True))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    stop = lambda: bool(stopping) or bool(should_stop and should_stop())  # noqa: E731
    worked = False
    try:
        while not stop():
            started = time.monotonic()
            try:
                return run_queues() or worked  # stopped by a signal
            except queue.QueueUnavailable as exc:
                if time.monotonic() - started >= STABLE_AFTER:
                    backoff.reset()
                log.warning("job worker: %s; sending mail and rendering PDFs from the database "
                            "until Redis answers again (asking it every %g to %g s)",
                            exc, backoff.first, backoff.cap)
            worked = work_without_redis(app, backoff, stop) or worked
            if not stop():
                log.warning("job worker: Redis at %s answers again: back to the queues", url)
        return worked
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def work_without_redis(app: Flask, backoff: Backoff, stop: Callable[[], bool], *,
                       poll: float | None = None, sweep_every: float | None = None) -> bool:
    """While Redis is down: what the embedded worker does (mail due and PDFs owed every
    poll, the whole sweep every ``COSIGN_WORKER_SWEEP`` seconds), asking Redis again
    after each of ``backoff``'s waits. Returns when Redis answers (or ``stop()``); True
    if anything was done. The attempts are logged at DEBUG level only."""
    config = app.config
    poll, sweep_every = _intervals(config, poll, sweep_every)

    worked = failing = False
    next_sweep = 0.0
    next_attempt = time.monotonic() + backoff.next()
    while not stop():
        try:
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + sweep_every
                with job_context(app):
                    worked = any(sweep(use_queue=False).values()) or worked
            else:
                with job_context(app):
                    worked = bool(mail.deliver_due(db.session(), config)) or worked
            worked = bool(render_due(app)) or worked
            failing = False
        except Exception:  # noqa: BLE001 - the database may be away too: keep going, say so once
            (log.debug if failing else log.exception)("job worker: the work without Redis "
                                                      "failed; trying again")
            failing = True
        until = min(time.monotonic() + poll, next_attempt)  # the next poll or attempt
        while not stop() and time.monotonic() < until:
            time.sleep(min(0.1, poll))
        if stop():
            break
        if time.monotonic() >= next_attempt:
            problem = queue.reachable(config)
            if problem is None:
                return worked
            wait = backoff.next()
            log.debug("job worker: Redis still unreachable (%s); next try in %g s", problem, wait)
            next_attempt = time.monotonic() + wait
    return worked


# --- after commit ---------------------------------------------------------------------------

def after_commit(session: Session, job: Callable[..., None], *args) -> None:
    """Run ``job(*args)`` once the session's transaction commits (dropped on rollback)."""
    session.info.setdefault("cosign.jobs", []).append((job, args))


def _ids(objects) -> list[int]:
    """Primary keys of committed objects, read without loading them again."""
    ids = []
    for obj in objects or ():
        identity = inspect(obj).identity
        if identity:
            ids.append(identity[0])
    return ids


def _waited_for(objects) -> set[int]:
    """Ids of the new messages a person is waiting for (read from what the session holds:
    this runs before the commit expires the objects, and must not load them again)."""
    ids = set()
    for obj in objects or ():
        state = inspect(obj)
        if state.identity and mail.priority(state.dict.get("kind") or "") == 0:
            ids.add(state.identity[0])
    return ids


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the transaction goes on
    queued = session.info.pop("cosign.jobs", None) or []
    queued += [(distribute, args) for args in session.info.pop(dispatch.DISTRIBUTE, None) or ()]
    wanted = session.info.pop(dispatch.WANTED, None)
    publish_at = session.info.pop(dispatch.PUBLISH_AT, None)
    messages = session.info.pop("cosign.new_mail", None)
    if not (queued or wanted or publish_at or messages):
        return
    app = _current_app() if queued or has_app_context() else _app
    if app is None:
        return
    config = app.config
    if queue.enabled(config):
        _enqueue(app, queued, wanted, publish_at, _ids(messages), _waited_for(messages))
        return
    for job, args in queued or ():
        if job in WORKER_ONLY:  # slow (renders): the embedded worker's sweep runs it
            continue
        run(job, *args, app=app)
    # Wanted renders wait for the embedded worker (`flask cosign worker`), which polls the
    # statements' marks: a web request never renders.
    if not messages or not config.get("MAIL_SERVER"):
        return
    # Run after this session's commit has finished; a new session does the work. Retries
    # of earlier failures, and new mail beyond the first few (a publication to a long press
    # list), are left to `tick`: they must not hold up this request.
    limit = int(config.get("COSIGN_INLINE_MAIL_LIMIT") or 20)
    for message_id in _ids(messages)[:limit]:
        run(deliver_mail_inline, message_id, app=app)


def _enqueue(app: Flask, queued, wanted, publish_at, message_ids: list[int],
             waited_for: AbstractSet[int] = frozenset()) -> None:
    """Hand the committed transaction's jobs to RQ (see the module's docstring for failures)."""
    config = app.config
    for job, args in queued or ():
        slow = job in WORKER_ONLY
        if not queue.enqueue(config, "default", job, *args,
                             fallback=LEFT_FOR_SWEEP if slow else "it runs here instead") \
                and not slow:
            run(job, *args, app=app)
    for at in sorted(publish_at or ()):
        # a second late, so that publish_due finds the time has come
        queue.enqueue(config, "default", publish_due, at=at + dt.timedelta(seconds=1),
                      fallback="the publication stays scheduled in the database for the "
                               "worker's sweep or `flask cosign tick`")
    if wanted and config.get("COSIGN_PDF_AUTO"):
        delay = float(config.get("COSIGN_PDF_DEBOUNCE", 2.0))
        for statement_id in sorted(wanted):
            queue.schedule_render(config, statement_id, delay)
    if config.get("MAIL_SERVER"):
        for message_id in message_ids:
            # mail a person waits for goes before the queued bulk mail (mail.priority)
            queue.enqueue(config, "mail", deliver_mail, message_id,
                          at_front=message_id in waited_for,
                          fallback="it stays in the outbox for the worker's sweep or "
                                   "`flask cosign tick`")


def _after_rollback(session: Session) -> None:
    session.info.pop("cosign.jobs", None)
    session.info.pop("cosign.new_mail", None)
    session.info.pop(dispatch.WANTED, None)
    session.info.pop(dispatch.PUBLISH_AT, None)


def init_app(app: Flask) -> None:
    global _app
    _app = app
    dispatch.init()
    collation.init()
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback",
                     lambda s, previous: None if previous.nested else _after_rollback(s))
