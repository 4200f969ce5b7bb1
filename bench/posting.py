"""Sustained posting: how long until a note is in every follower's timeline.

Notes are published through ``publish_note`` (the action the web form and
the API call), from PUBLISHERS threads, at a fixed rate (200 a second by
default) for a bounded time, by seeded authors picked at random among
those fanned out on write (at most ``HUBBUB_FANOUT_LIMIT`` followers),
while ``hubbub worker`` processes run the fan-outs the commits queue. A
note's delay is from its publication (``created_at``) to the moment its
fan-out job marked it done (``fanned_out_at``), which it does in the
transaction that writes its last followers' entries; both stamps come
from the same clock. The report gives the delays' p50, p99 and maximum,
the rate really reached, and checks a sample of notes: each is in every
one of its author's followers' timelines.

    .venv/bin/python -m bench.posting [--rate 200] [--seconds 20] [--workers N]
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import env

RATE = 200.0
SECONDS = 20.0
TARGET_P99_S = 1.0
# How long the last notes may take to be fanned out before they count as lost.
DRAIN_S = 120.0
CHECKED = 20
CLEANUP_CHUNK = 20
# Concurrent publishers (web requests in flight).
PUBLISHERS = 8


def _authors(rng: random.Random, count: int) -> list[int]:
    """``count`` seeded authors small enough to be fanned out on write."""
    from django.conf import settings

    from hubbub.accounts.models import Account

    ids = list(
        Account.objects.filter(
            followers_count__gt=0,
            followers_count__lte=settings.HUBBUB_FANOUT_LIMIT,
            username__startswith="user",
        )
        # In id order: the same seed draws the same authors in every run.
        .order_by("id")
        .values_list("id", flat=True)
    )
    return rng.sample(ids, min(count, len(ids)))


def start_workers(count: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` ``hubbub worker`` processes with this environment."""
    from hubbub.core.management.commands.serve import worker_command

    procs = []
    for n in range(count):
        log = (log_dir / f"worker-{n}.log").open("wb")
        procs.append(
            subprocess.Popen(
                worker_command(),
                env=env.server_env() | {"HUBBUB_SITE_URL": "http://127.0.0.1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        log.close()
    return procs


def warm_up(author: Any) -> int:
    """Publish one note and wait until a worker has fanned it out.

    A ``hubbub worker`` takes seconds to start on a busy machine (3.4 s
    measured at a load of 11), so a fixed pause let the first notes wait
    for the workers' start-up, which is no part of sustained posting.
    Returns the note's id, for the clean-up.
    """
    from hubbub.posts.actions import publish_note
    from hubbub.posts.models import Post

    note = publish_note(author, text="bench warm-up note")
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        if Post.objects.filter(id=note.id, fanned_out_at__isnull=False).exists():
            return note.id
        time.sleep(0.1)
    raise RuntimeError(f"no worker fanned out a note within {DRAIN_S:g} s")


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this module started
            proc.wait(timeout=20)


def run(
    rate: float = RATE, seconds: float = SECONDS, workers: int | None = None
) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, connections, transaction

    from hubbub.accounts.models import Account, Follow
    from hubbub.posts.actions import publish_note
    from hubbub.posts.models import Post
    from hubbub.timelines.models import TimelineEntry
    from hubbub.timelines.store import get_store

    workers = workers or (1 if connection.vendor == "sqlite" else 2)
    rng = random.Random(7)
    total = round(rate * seconds)
    authors = {a.id: a for a in Account.objects.filter(id__in=_authors(rng, total))}
    author_ids = list(authors)
    procs = start_workers(workers, Path(settings.VAR_DIR))
    published: list[int] = []
    warm_ups: list[int] = []
    try:
        warm_ups.append(warm_up(authors[author_ids[0]]))
        started = time.monotonic()

        def publish(k: int) -> None:
            # Each publisher is one web request after another, on its own
            # connection; together they keep to the rate.
            try:
                for n in range(k, total, PUBLISHERS):
                    due = started + n / rate
                    if (wait := due - time.monotonic()) > 0:
                        time.sleep(wait)
                    author = authors[author_ids[n % len(author_ids)]]
                    note = publish_note(author, text=f"bench note {n} at {rate:g}/s")
                    published.append(note.id)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=publish, args=(k,)) for k in range(PUBLISHERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + DRAIN_S)
        publishing_s = time.monotonic() - started
        deadline = time.monotonic() + DRAIN_S
        pending = set(published)
        while pending and time.monotonic() < deadline:
            done = Post.objects.filter(
                id__in=pending, fanned_out_at__isnull=False
            ).values_list("id", flat=True)
            pending -= set(done)
            time.sleep(0.5)
    finally:
        stop_workers(procs)
    rows = Post.objects.filter(id__in=published, fanned_out_at__isnull=False)
    timed = [
        ((done - created).total_seconds(), followers)
        for created, done, followers in rows.values_list(
            "created_at", "fanned_out_at", "author__followers_count"
        )
    ]
    delays = sorted(delay for delay, _ in timed)
    # Authors above one batch are written a batch per commit by a job of
    # their own: told apart, the tail shows which kind of note is late.
    big = sorted(d for d, n in timed if n > settings.HUBBUB_FANOUT_BATCH_SIZE)
    missing: list[tuple[int, int]] = []
    trimmed: list[tuple[int, int]] = []
    for post in rng.sample(
        list(rows.only("id", "author_id")), min(CHECKED, len(delays))
    ):
        followers = set(
            Follow.objects.filter(followee_id=post.author_id).values_list(
                "follower_id", flat=True
            )
        )
        holding = set(
            TimelineEntry.objects.filter(
                post_id=post.id, reader_id__in=followers
            ).values_list("reader_id", flat=True)
        )
        for reader in followers - holding:
            # A reader whose timeline already holds its full length of
            # newer notes had this one trimmed off, as the store must.
            newer = TimelineEntry.objects.filter(reader_id=reader, post_id__gt=post.id)
            if newer.count() >= settings.HUBBUB_TIMELINE_LENGTH:
                trimmed.append((post.id, reader))
            else:
                missing.append((post.id, reader))
    # Leave the data set as seeded, Redis's copies of the timelines included.
    # In small chunks: the store removes every given post from every reader
    # who holds any of them.
    cleaned = published + warm_ups
    for start in range(0, len(cleaned), CLEANUP_CHUNK):
        chunk = cleaned[start : start + CLEANUP_CHUNK]
        with transaction.atomic():
            get_store().remove_posts(chunk)
            Post.objects.filter(id__in=chunk).delete()
    quantile = statistics.quantiles(delays, n=100) if len(delays) > 1 else delays
    p99 = quantile[98] if len(quantile) > 98 else max(delays, default=0)
    return {
        "rate": rate,
        "seconds": seconds,
        "workers": workers,
        "published": len(published),
        "reached_rate": len(published) / publishing_s,
        "fanned_out": len(delays),
        "lost": len(published) - len(delays),
        "p50_s": statistics.median(delays) if delays else float("nan"),
        "p99_s": p99,
        "max_s": max(delays, default=float("nan")),
        "big_notes": len(big),
        "big_p50_s": statistics.median(big) if big else float("nan"),
        "big_max_s": max(big, default=float("nan")),
        "checked": min(CHECKED, len(delays)),
        "missing_entries": len(missing),
        "trimmed_entries": len(trimmed),
        "met": bool(delays) and not missing and p99 <= TARGET_P99_S,
    }


def report(result: dict[str, Any]) -> str:
    verdict = "met" if result["met"] else "MISSED"
    return "\n".join(
        [
            f"### Sustained posting at {result['rate']:g} notes/s",
            "",
            f"{result['published']:,} notes by random seeded authors over "
            f"{result['seconds']:g} s (reached {result['reached_rate']:.0f}/s), "
            f"{result['workers']} `hubbub worker` process(es). Publication to "
            f"fan-out done: **p50 {result['p50_s']:.2f} s, p99 "
            f"{result['p99_s']:.2f} s**, max {result['max_s']:.2f} s "
            f"(target p99 ≤ {TARGET_P99_S:g} s: {verdict}); "
            f"the {result.get('big_notes', 0)} by authors with more than one "
            f"batch of followers: p50 {result.get('big_p50_s', float('nan')):.2f}"
            f" s, max {result.get('big_max_s', float('nan')):.2f} s; "
            f"{result['lost']} not fanned out within {DRAIN_S:g} s; "
            f"{result['checked']} notes checked against their authors' "
            f"followers: {result['missing_entries']} timeline entries missing"
            f" ({result.get('trimmed_entries', 0)} trimmed off full timelines, "
            "as they must be).",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the raw numbers")
    args = parser.parse_args(argv)
    env.configure()
    result = run(args.rate, args.seconds, args.workers)
    print(json.dumps(result) if args.json else report(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
