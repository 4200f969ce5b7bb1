"""``hubbub bench`` refuses bad options before it touches anything."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
PG = "postgres://postgres@127.0.0.1:5432/hubbub_bench"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--sizes", "5000"], "--sizes: choose from 10000, 100000, 1000000"),
        (["--sizes", "ten"], "--sizes: invalid literal"),
        (["--postgres", PG], "--postgres and --redis go together"),
        (
            ["--postgres", PG, "--redis", "redis://127.0.0.1:6379/0"],
            "name a Redis database other than 0",
        ),
        (
            ["--postgres", PG, "--redis", "redis://127.0.0.1:6379"],
            "name a Redis database other than 0",
        ),
        (
            [
                "--postgres",
                "postgres://postgres@127.0.0.1/hubbub",
                "--redis",
                "redis://127.0.0.1:6379/9",
            ],
            "the database name must contain 'bench'",
        ),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(options, error):
    before = sorted(RESULTS.iterdir())
    with pytest.raises(CommandError, match=error.replace("(", r"\(")):
        call_command("bench", *options)
    assert sorted(RESULTS.iterdir()) == before
