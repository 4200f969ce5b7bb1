"""Measure the cost of writing an article: ``check_content`` on big inputs.

``check_content`` is the whole write path's rendering: the markers are
found (one parse when there is a marker), the full text rendered with the
markers stripped, and the excerpt made. It runs once per save, so its time
is what an author waits for and what one request can cost the server.

    .venv/bin/python -m bench.blog            # every case, best of 3
    .venv/bin/python -m bench.blog --runs 1   # quicker

Prints a Markdown table (CPU seconds, ``time.process_time``).
"""

import argparse
import time
from collections.abc import Callable

from bench.env import configure

SIZE = 1_000_000


def typical(size: int = SIZE, *, marker: str = "") -> str:
    """Return a long technical post: prose, lists, code, quotes, tables."""
    words = (
        "The oven was hot by five and the first loaves went in at half past. "
        "A [recipe](https://example.org/r) needs *time* more than **skill**, "
        "and `patience` more than either.\n\n"
    )
    block = (
        "## Another morning\n\n"
        + words * 14
        + "1. flour\n2. water\n3. salt\n\n"
        + "```text\n"
        + "mix; rest 30 min; fold\n" * 10
        + "```\n\n> Bread is a conversation.\n\n"
        + "| step | minutes |\n|---|---:|\n"
        + "| proof | 240 |\n" * 4
        + "\n"
    )
    body = (block * (size // len(block) + 1))[: size - len(marker)]
    # The marker goes after the first paragraph, as a writer puts it.
    first = body.index("\n\n", len("## Another morning\n\n")) + 2
    return body[:first] + marker + body[first:]


def cases() -> list[tuple[str, Callable[[], str]]]:
    return [
        ("1 MB article, no marker", lambda: typical()),
        ("1 MB article, <!--more--> after the first paragraph",
         lambda: typical(marker="<!--more Read on-->\n\n")),
        ("1 MB article, 1,000 markers inside code",
         lambda: typical().replace("mix; rest", "<!--more-->", 1000)[:SIZE]),
        ("100,000 list items (700 KB)", lambda: "- item\n" * 100_000),
        ("10,000 nested quotes", lambda: ">" * 10_000 + " deep"),
        ("1,000 x 50 table", lambda: "|" + "h|" * 50 + "\n|" + "-|" * 50 + "\n"
         + ("|" + "c|" * 50 + "\n") * 1_000),
        ("1 MB of [", lambda: "[" * SIZE),
    ]  # fmt: skip


def measure(source: str, runs: int) -> tuple[float, str]:
    """Return the best CPU time of ``runs`` and the outcome."""
    from django.core.exceptions import ValidationError

    from hubbub.blog.content import check_content

    best, outcome = float("inf"), "renders"
    for _ in range(runs):
        started = time.process_time()
        try:
            check_content(title="Bench", source=source)
        except ValidationError as e:
            outcome = f"refused ({e.code})"
        best = min(best, time.process_time() - started)
    return best, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure()
    print("| input | characters | CPU s (best) | outcome |")
    print("| --- | ---: | ---: | --- |")
    for name, make in cases():
        source = make()
        seconds, outcome = measure(source, args.runs)
        print(f"| {name} | {len(source):,} | {seconds:.2f} | {outcome} |")


if __name__ == "__main__":
    main()
