"""Helpers for the tests against a real Redis: the test Redis URL, a namespace's keys
forgotten, the settings of a test that asked for a queue prefix, jobs waiting or
scheduled, a sign-on form."""
from __future__ import annotations

import os
import socket

from redis import Redis

from cosign import queue


def sign_form(n: int, domain: str) -> dict:
    return {
        "organisation": f"Union {n}",
        "country": "IQ",
        "city": "Basra",
        "org_type": "union",
        "website": "",
        "contact_name": "Contact",
        "contact_role": "Director",
        "email": f"c{n}@{domain}",
        "display": "named",
        "authorised": "y",
        "message": "",
        "kind": "organisation",
        "fax": "",
    }


def waiting(config, short: str) -> list:
    """Jobs waiting in a queue (not the scheduled ones)."""
    return queue.queue(config, short).get_jobs()


def scheduled(config, short: str) -> list:
    q = queue.queue(config, short)
    return [q.fetch_job(job_id) for job_id in q.scheduled_job_registry.get_job_ids()]


def redis_overrides(request) -> dict:
    """Settings for a test that asked for ``queue_prefix`` (and maybe ``smtp``)."""
    overrides: dict[str, object] = {}
    if "queue_prefix" in request.fixturenames:
        overrides.update(REDIS_URL=request.getfixturevalue("redis_url"),
                         COSIGN_QUEUE_PREFIX=request.getfixturevalue("queue_prefix"))
    if "smtp" in request.fixturenames:
        controller, _sink = request.getfixturevalue("smtp")
        overrides.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                         MAIL_DEFAULT_SENDER="cosign <noreply@cosign.test>")
    return overrides


REDIS_URL = os.environ.get("COSIGN_TEST_REDIS_URL")
REDIS_SKIP = ("COSIGN_TEST_REDIS_URL is not set: the test against a real Redis is skipped "
              "(.ci/run sets it)")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forget(client: Redis, prefix: str) -> None:
    """Delete every key of a test's namespace (queues, jobs, registries, debounce keys)."""
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    for registry in ("rq:queues", "rq:workers"):
        stale = [m for m in client.smembers(registry) if prefix.encode() in m]
        if stale:
            client.srem(registry, *stale)
