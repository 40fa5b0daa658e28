"""A redis-server of a test's own: a free port, no persistence (a restart loses its data),
so that the test can stop, kill and start it without touching the machine's Redis."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from redis import Redis, RedisError

from tests.smtp_sink import free_port
from tests.waiting import wait_until


class RedisServer:
    def __init__(self, binary: str, directory: Path):
        self.binary, self.directory, self.port = binary, directory, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        client = Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.proc = proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: self.answers() or proc.poll() is not None, 20)
        assert self.proc.poll() is None, "redis-server did not start"

    def stop(self) -> None:
        """SIGTERM, as an administrator stops it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL, as a crash ends it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def running(directory: Path, why: str):
    """A started server for a fixture to yield (and stop afterwards); skips with ``why``
    where redis-server is not installed."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        pytest.skip(f"redis-server is not installed (Debian: apt-get install redis-server): {why}")
    server = RedisServer(binary, directory)
    server.start()
    return server
