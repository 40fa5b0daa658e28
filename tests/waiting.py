"""Waiting for a condition, never for a fixed time (tests hold on a busy machine)."""
from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float = 60.0,
               interval: float = 0.02) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds have passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
