"""Run only hubbub's WSGI web server (for scale-out)."""

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hubbub.core.management.commands.serve import web_command, web_env


class Command(BaseCommand):
    help = "Serve hubbub's web pages and API with granian (WSGI)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        cmd = web_command(
            host=options["host"], port=options["port"], workers=options["workers"]
        )
        os.execve(cmd[0], cmd, web_env(os.environ))  # noqa: S606
