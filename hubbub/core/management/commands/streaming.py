"""Run only hubbub's streaming server (ASGI), for scale-out."""

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hubbub.core.management.commands.serve import streaming_command


class Command(BaseCommand):
    help = "Serve hubbub's streaming API (SSE and WebSocket) with granian (ASGI)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=4000)

    def handle(self, *args: Any, **options: Any) -> None:
        cmd = streaming_command(host=options["host"], port=options["port"])
        os.execv(cmd[0], cmd)  # noqa: S606
