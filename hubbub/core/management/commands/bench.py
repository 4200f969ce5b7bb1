"""Run the scale-out benchmark suite (``bench/suite.py``) from a checkout.

    hubbub bench                                   # SQLite, 10k and 100k accounts
    hubbub bench --sizes 10000,100000,1000000 \\
        --postgres postgres://postgres@127.0.0.1:5432/hubbub_bench \\
        --redis redis://127.0.0.1:6379/8   # 1,000,000 accounts: see bench/README.md

Writes ``bench/results/<date>.md``, ``.json`` and ``.png``. The suite and
its data live in the source checkout (``bench/``, ``var/bench-<size>``),
not in an installed hubbub, and its chart needs matplotlib
(``pip install -e '.[bench]'``).
"""

import importlib
import importlib.util
import re
import shlex
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

CHECKOUT = Path(__file__).resolve().parents[4]


class Command(BaseCommand):
    help = "Run the scale-out benchmark suite; write bench/results/<date>.md."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sizes",
            default="10000,100000",
            help="Account counts, comma-separated, from 10000, 100000, 1000000.",
        )
        parser.add_argument(
            "--postgres",
            default=None,
            help="Also run on PostgreSQL + Redis: a URL whose database name "
            "contains 'bench'; each size uses <name>_<size> (needs --redis).",
        )
        parser.add_argument(
            "--redis",
            default=None,
            help="Redis URL for the PostgreSQL runs, a database other than 0: "
            "the suite empties it.",
        )
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--duration", type=float, default=10.0)
        parser.add_argument("--rate", type=float, default=200.0)
        parser.add_argument(
            "--posting-seconds",
            type=float,
            default=20.0,
            help="Seconds of sustained posting per backend; 0 runs only the API part.",
        )
        parser.add_argument(
            "--fanout-runs",
            type=int,
            default=7,
            help="Rounds of the fan-out benchmark per backend; 0 skips it.",
        )
        parser.add_argument("--quiet-wait", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if not (CHECKOUT / "bench" / "suite.py").is_file():
            raise CommandError(
                "hubbub bench runs from a source checkout: no bench/ next to "
                f"the hubbub package ({CHECKOUT})."
            )
        sys.path.insert(0, str(CHECKOUT))
        # Imported by name: the checkout's bench/ is not part of the package.
        suite = importlib.import_module("bench.suite")

        try:
            sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        except ValueError as e:
            raise CommandError(f"--sizes: {e}") from e
        unknown = [s for s in sizes if s not in suite.SIZES]
        if not sizes or unknown:
            raise CommandError(
                f"--sizes: choose from {', '.join(map(str, suite.SIZES))}"
            )
        if bool(options["postgres"]) != bool(options["redis"]):
            raise CommandError("--postgres and --redis go together")
        try:
            if options["redis"]:
                suite.check_redis_url(options["redis"])
                suite.postgres_url(options["postgres"], sizes[0])
        except ValueError as e:
            raise CommandError(str(e)) from e
        if importlib.util.find_spec("matplotlib") is None:
            raise CommandError(
                "hubbub bench draws its chart with matplotlib: "
                "pip install -e '.[bench]'"
            )
        out = suite.main(
            sizes=sorted(sizes),
            postgres=options["postgres"],
            redis_url=options["redis"],
            runs=options["runs"],
            duration=options["duration"],
            rate=options["rate"],
            posting_seconds=options["posting_seconds"],
            fanout_runs=options["fanout_runs"],
            quiet_wait=options["quiet_wait"],
            # Never write a password into a report.
            command=re.sub(
                r"(//[^:/@]+):[^@]*@", r"\1:***@", shlex.join(["hubbub", *sys.argv[1:]])
            ),
        )
        self.stdout.write(f"Wrote {out} and {out.with_suffix('.png').name}")
