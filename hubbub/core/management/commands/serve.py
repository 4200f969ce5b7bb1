"""Run hubbub's embedded stack: migrations, web, worker and streaming servers."""

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from hubbub.accounts.models import Account

# Threads per web worker that run requests. Each holds its own database
# connection (a SQLite one keeps its page cache for the thread's life), and
# under the GIL more threads add memory, not throughput: granian's default
# grew a SQLite worker to 250 MB under 32 connections, 4 keep it near
# 130 MB. Requests beyond them wait in granian's queue.
WEB_BLOCKING_THREADS = 4
# glibc gives each thread that allocates its own malloc arena and keeps
# freed memory in it; a web worker's threads held up to ~10 MB more of it
# (bench.api, 100,000 accounts: 128 and 137 MB per worker, 126 and 127 MB
# with two). An operator's own MALLOC_ARENA_MAX wins.
WEB_MALLOC_ARENAS = "2"


def web_command(*, host: str, port: int, workers: int) -> list[str]:
    """Return the command line that serves hubbub's WSGI app with granian."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(WEB_BLOCKING_THREADS),
        "--static-path-route",
        settings.STATIC_URL.rstrip("/"),
        "--static-path-mount",
        str(settings.STATIC_ROOT),
        "--no-access-log",
        "hubbub.wsgi:application",
    ]


def web_env(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``env`` as a web server's environment (``web_command``)."""
    return {"MALLOC_ARENA_MAX": WEB_MALLOC_ARENAS, **env}


def streaming_command(*, host: str, port: int) -> list[str]:
    """Return the command line that serves the streaming API with granian.

    One worker: each process holds its own listeners and bus subscription,
    so more processes need a proxy that spreads connections (scale-out).
    """
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "hubbub.streaming.asgi:application",
    ]


def children_env(*, host: str, port: int, streaming_port: int) -> dict[str, str]:
    """Return the environment for the children: where each server answers.

    An operator's own HUBBUB_SITE_URL/HUBBUB_STREAMING_URL (a proxy's
    public address) win over the loopback addresses derived here.
    """
    env = dict(os.environ)
    env.setdefault("HUBBUB_SITE_URL", f"http://{host}:{port}")
    env.setdefault("HUBBUB_STREAMING_URL", f"ws://{host}:{streaming_port}")
    return env


def worker_command() -> list[str]:
    return [sys.executable, "-m", "hubbub.cli", "worker"]


def prepare() -> None:
    """Bring the database schema, its statistics and static files up to date."""
    call_command("migrate", interactive=False, verbosity=0)
    if connection.vendor == "sqlite":
        # SQLite plans without statistics until ANALYZE has run; without
        # them it sorted a million notes for the public timeline instead
        # of walking its partial index (bench/README.md).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    call_command("collectstatic", interactive=False, verbosity=0)


class Command(BaseCommand):
    help = "Migrate, then serve hubbub (web, task worker and streaming servers)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--streaming-port",
            type=int,
            default=None,
            help="Port of the streaming server (default: --port plus one).",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Seed the demo community if the database has no accounts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prepare()
        if options["demo"] and not Account.objects.exists():
            call_command("demo")
        host, port = options["host"], options["port"]
        streaming_port = options["streaming_port"] or port + 1
        env = children_env(host=host, port=port, streaming_port=streaming_port)
        children = [
            subprocess.Popen(
                web_command(host=host, port=port, workers=options["workers"]),
                env=web_env(env),
            ),
            subprocess.Popen(worker_command(), env=env),
            subprocess.Popen(
                streaming_command(host=host, port=streaming_port), env=env
            ),
        ]
        self.stdout.write(
            f"hubbub is serving http://{options['host']}:{options['port']}/"
        )
        sys.exit(supervise(children))


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits or we are told to stop; then stop them all."""
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0 if stopping else 1
