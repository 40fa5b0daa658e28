"""Flask extensions, created once and bound to an app in :func:`cosign.app.create_app`."""
from __future__ import annotations

import logging
import time

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage

from cosign.models import Base
from cosign.queue import client_options

log = logging.getLogger("cosign.ratelimit")


class CosignLimiter(Limiter):
    """Flask-Limiter, saying in cosign's log when its Redis storage goes away and comes back.

    With ``REDIS_URL`` the limits are counted in Redis, shared by every web
    server. If Redis stops answering, Flask-Limiter falls back to counting in
    each process's memory (the same limits, per process) until Redis answers
    again; its own warnings are silenced in :mod:`cosign.app` (others name
    IP addresses), so the switch is logged here.
    """

    def init_app(self, app) -> None:
        # Flask-Limiter keeps the first app's key prefix; each app (site) has its own
        self._key_prefix = ""
        super().init_app(app)
        self._storage_dead = False  # a new storage: whatever the last app's state was

    def _check_request_limit(self, *args, **kwargs) -> None:
        was_dead = self._storage_dead
        try:
            super()._check_request_limit(*args, **kwargs)
        finally:
            if self._storage_dead and not was_dead:
                log.warning("rate-limit storage (Redis) unreachable: counting in this process's "
                            "memory until it answers again, so the limits hold per process only")
            elif was_dead and not self._storage_dead:
                log.warning("rate-limit storage (Redis) answers again: limits are shared again")


class QuietMemoryStorage(MemoryStorage):
    """``cosign-memory://``: limits' in-memory storage without its expiry thread.

    limits' ``MemoryStorage`` starts a ``threading.Timer`` (10 ms) on every
    increment whose previous timer has finished: one new thread per rate-limited
    request. Here expired counters are dropped inline instead, at most once a
    second, by the request that finds them due.
    """

    STORAGE_SCHEME = ["cosign-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_expiry = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer of the base class
        now = time.time()
        if now >= self._next_expiry:
            self._next_expiry = now + 1.0
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]  # a mangled name


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Redis storage: short timeouts, one retry; if it is down, per-process memory (see above).
limiter = CosignLimiter(key_func=get_remote_address, default_limits=[],
                        in_memory_fallback_enabled=True, swallow_errors=True,
                        storage_options=client_options())
