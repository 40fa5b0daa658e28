"""cosign's in-memory rate-limit storage: counts like limits' own, starts no threads."""
from __future__ import annotations

import threading

from cosign import extensions
from cosign.extensions import QuietMemoryStorage, limiter


def test_counts_and_expires_without_a_thread_per_increment(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(extensions.time, "time", lambda: now[0])
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: now[0])
    storage = QuietMemoryStorage("cosign-memory://")
    threads = threading.active_count()
    for _ in range(50):
        storage.incr("sign-ip:127.0.0.1", 60)
    assert storage.get("sign-ip:127.0.0.1") == 50
    assert threading.active_count() == threads  # limits' MemoryStorage starts a Timer here
    now[0] += 61
    storage.incr("other", 60)  # the next increment drops what has expired
    assert storage.get("sign-ip:127.0.0.1") == 0
    assert "sign-ip:127.0.0.1" not in storage.storage


def test_the_app_uses_it_without_redis(app):
    with app.app_context():
        assert isinstance(limiter.storage, QuietMemoryStorage)
