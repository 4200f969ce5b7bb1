"""Start hubbub's own processes against the test database, on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

HUBBUB = str(Path(sys.executable).with_name("hubbub"))


def test_database_url() -> str:
    """Return a URL for the database the current test is using."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hubbub_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HUBBUB_DATABASE_URL=test_database_url(),
        HUBBUB_VAR_DIR=str(tmp_path / "var"),
        HUBBUB_SECRET_KEY="test-secret-key-for-live-processes-only-0123456789",
        # hubbub's own settings; with jobs in the database, where the test
        # process queues them (tests/settings.py), unless a test says not.
        DJANGO_SETTINGS_MODULE="hubbub.settings",
        HUBBUB_TASK_QUEUE="database",
        # Every live test calls from 127.0.0.1; a test of a limit sets it.
        HUBBUB_RATE_LIMITS="0",
    )
    env.update(extra)
    return env


@contextmanager
def running(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    """Run ``cmd`` until the block ends; yield its PID. Stops only that PID."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc.pid
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def wait_until_serving(url: str, *, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"hubbub did not answer at {url}")


def wait_for(predicate, *, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
