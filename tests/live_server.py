"""A real, threaded HTTP server for the concurrency tests: the settings it needs, the sign-on
form as bytes, many clients released together by a barrier."""
from __future__ import annotations

import http.client
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

WORKERS = 50
TIMEOUT = 30  # seconds; a socket or barrier wait longer than this fails the test


def settings() -> dict:
    """No SERVER_NAME (any host:port is served), CSRF off, rate limits out of the way.

    The limits are raised rather than switched off: ``RATELIMIT_ENABLED=False``
    would stick to the process-wide limiter for every later test on this worker.
    """
    return {
        "SERVER_NAME": None,
        "WTF_CSRF_ENABLED": False,
        "COSIGN_SIGN_LIMIT_IP": "100000 per hour",
        "COSIGN_SIGN_LIMIT_DOMAIN": "100000 per hour",
    }


def form(organisation: str, n: int, email: str = "") -> bytes:
    return urllib.parse.urlencode({
        "kind": "organisation",
        "organisation": organisation,
        "country": "IQ",
        "city": "Nasiriya",
        "org_type": "ngo",
        "website": "",
        "contact_name": f"Contact {n}",
        "contact_role": "Director",
        "email": email or f"contact{n}@example.org",
        "display": "named",
        "authorised": "y",
        "message": "",
        "fax": "",
    }).encode()


def sign_all(port: int, slug: str, bodies_per_worker: list[list[bytes]]) -> list[tuple]:
    """Each worker opens a connection, waits at the barrier, then posts its bodies.

    Returns (status, Location, first bytes of the body) for every request.
    """
    barrier = threading.Barrier(len(bodies_per_worker), timeout=TIMEOUT)
    path = f"/s/{slug}/sign"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def worker(bodies: list[bytes]) -> list[tuple]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.connect()
            barrier.wait()
            results = []
            for body in bodies:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                results.append((response.status, response.getheader("Location"), data[:300]))
                if response.will_close:
                    conn.close()
            return results
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(worker, bodies) for bodies in bodies_per_worker]
        return [result for future in futures for result in future.result(timeout=TIMEOUT)]
