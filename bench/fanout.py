"""(a) Fan-out of one note to 10,000 followers, against a bare INSERT … SELECT.

hubbub: ``hubbub.timelines.tasks.fan_out_post.call(post_id)`` — the job as
the worker runs it: load the post and author, write the followers' entries in
batches of ``HUBBUB_FANOUT_BATCH_SIZE`` (one short transaction each, so
SQLite's single writer is never held long), then mark the post fanned out.

baseline: one ``INSERT INTO timelines_timelineentry (reader_id, post_id)
SELECT follower_id, %s FROM accounts_follow WHERE followee_id = %s`` in one
transaction: the same rows, written the cheapest way SQL allows.

Both run on the same connection and database, alternating, with the rows
deleted between runs. The ratio is median(hubbub) / median(baseline).

    .venv/bin/python -m bench.fanout [--runs 7]
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import env

BENCH_TEXT = "Fan-out benchmark note"
TARGET = 1.5


def _entries_sql() -> tuple[str, str, str]:
    from hubbub.accounts.models import Follow
    from hubbub.timelines.models import TimelineEntry

    table, follow = TimelineEntry._meta.db_table, Follow._meta.db_table
    bare = (
        f"INSERT INTO {table} (reader_id, post_id)"
        f" SELECT follower_id, %s FROM {follow} WHERE followee_id = %s"
    )
    clear = f"DELETE FROM {table} WHERE post_id = %s"
    count = f"SELECT COUNT(*) FROM {table} WHERE post_id = %s"
    return bare, clear, count


def run(runs: int = 7, warmup: int = 1) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from bench.seed import FANOUT_AUTHOR
    from hubbub.accounts.models import Account, Follow
    from hubbub.core.ids import new_id
    from hubbub.posts.models import Post
    from hubbub.timelines.tasks import fan_out_post

    author = Account.objects.get(username=FANOUT_AUTHOR)
    followers = Follow.objects.filter(followee=author).count()
    assert followers == author.followers_count, "follower count is inconsistent"
    assert followers <= settings.HUBBUB_FANOUT_LIMIT, "author would not be pushed"
    bare_sql, clear_sql, count_sql = _entries_sql()

    Post.objects.filter(author=author, text=BENCH_TEXT).delete()  # a killed run
    now = timezone.now()
    post_id = new_id()
    Post.objects.create(
        id=post_id,
        author=author,
        text=BENCH_TEXT,
        html=f"<p>{BENCH_TEXT}</p>",
        conversation_id=post_id,
        created_at=now,
        fanout_queued_at=now,
    )

    def clear() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(clear_sql, [post_id])
        Post.objects.filter(id=post_id).update(fanned_out_at=None)
        if connection.vendor == "sqlite":
            # Start every run with an empty WAL, so a checkpoint never lands
            # inside one case's timing by chance.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(RESTART)")

    def written() -> int:
        with connection.cursor() as cursor:
            cursor.execute(count_sql, [post_id])
            return int(cursor.fetchone()[0])

    def hubbub() -> None:
        fan_out_post.call(post_id)

    def hubbub_one_batch() -> None:
        with override_settings(HUBBUB_FANOUT_BATCH_SIZE=followers + 1):
            fan_out_post.call(post_id)

    def bare() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(bare_sql, [post_id, author.pk])

    cases: dict[str, Callable[[], None]] = {
        "hubbub": hubbub,
        "baseline": bare,
        "hubbub_one_batch": hubbub_one_batch,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for i in range(warmup + runs):
            # Rotate the order so no case always runs right after another.
            names = list(cases)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                clear()
                started = time.perf_counter()
                cases[name]()
                elapsed = time.perf_counter() - started
                assert written() == followers, f"{name} wrote the wrong rows"
                if name.startswith("hubbub"):
                    marked = Post.objects.get(id=post_id).fanned_out_at
                    assert marked is not None, "fan_out_post did not mark the post"
                if i >= warmup:
                    samples[name].append(elapsed)
    finally:
        clear()
        Post.objects.filter(id=post_id).delete()

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["hubbub"] / medians["baseline"]
    # Each round runs both cases back to back; the median of the per-round
    # ratios is less swayed by other work that comes and goes.
    paired = statistics.median(
        h / b for h, b in zip(samples["hubbub"], samples["baseline"], strict=True)
    )
    return {
        "followers": followers,
        "batch_size": settings.HUBBUB_FANOUT_BATCH_SIZE,
        "runs": runs,
        "samples_s": samples,
        "median_s": medians,
        "ratio": ratio,
        "paired_ratio": paired,
        "ratio_one_batch": medians["hubbub_one_batch"] / medians["baseline"],
        "target": TARGET,
        "met": ratio <= TARGET,
        "baseline_sql": bare_sql,
    }


def report(result: dict[str, Any]) -> str:
    ms = {k: v * 1000 for k, v in result["median_s"].items()}
    verdict = "met" if result["met"] else "MISSED"
    return "\n".join(
        [
            f"### (a) Fan-out of one note to {result['followers']:,} followers",
            "",
            f"| case | median of {result['runs']} runs | rows/s |",
            "|---|---:|---:|",
            f"| hubbub `fan_out_post` (batches of {result['batch_size']:,}) "
            f"| {ms['hubbub']:.1f} ms "
            f"| {result['followers'] / result['median_s']['hubbub']:,.0f} |",
            f"| bare `INSERT … SELECT` | {ms['baseline']:.1f} ms "
            f"| {result['followers'] / result['median_s']['baseline']:,.0f} |",
            f"| *diagnostic:* hubbub in one batch | {ms['hubbub_one_batch']:.1f} ms "
            f"| {result['followers'] / result['median_s']['hubbub_one_batch']:,.0f} |",
            "",
            f"**Ratio hubbub / bare: {result['ratio']:.2f}x** "
            f"(target ≤ {result['target']}x: {verdict}); "
            f"in one batch: {result['ratio_one_batch']:.2f}x. Median of the "
            f"per-round ratios: {result['paired_ratio']:.2f}x.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env.configure()
    print(report(run(args.runs)))


if __name__ == "__main__":
    main()
