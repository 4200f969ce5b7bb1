"""(a) Fan-out of one note to 10,000 followers, against a bare INSERT … SELECT.

hubbub: ``hubbub.timelines.tasks.fan_out_post.call(post_id)`` — the job as
the worker runs it: load the post and author, write the followers' entries in
batches of ``HUBBUB_FANOUT_BATCH_SIZE`` (one short transaction each, so
SQLite's single writer is never held long), then mark the post fanned out.

baseline: one ``INSERT INTO timelines_timelineentry (reader_id, post_id)
SELECT follower_id, %s FROM accounts_follow WHERE followee_id = %s`` in one
transaction: the same rows, written the cheapest way SQL allows.

With Redis (``HUBBUB_REDIS_URL``) hubbub's fan-out also mirrors each entry
into the Redis timeline of every follower who has one (an active reader).
Here every follower is made active first (their timelines exist, as after
a read), so the job writes the same 10,000 rows to both stores, and the
baseline does too: the ``INSERT … SELECT`` with ``RETURNING reader_id``,
then after its commit one pipelined ``ZADD`` per returned reader, in one
round trip. An inactive follower would cost hubbub one script call that
finds no set, and the baseline nothing.

Both run on the same connection and database, alternating, with the rows
(and Redis members) deleted between runs. The ratio is median(hubbub) /
median(baseline).

    .venv/bin/python -m bench.fanout [--runs 7] [--json]
"""

import argparse
import json
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
    from hubbub.timelines.redis_store import BUILT, RedisTimelineStore, timeline_key
    from hubbub.timelines.store import get_store
    from hubbub.timelines.tasks import fan_out_post

    author = Account.objects.get(username=FANOUT_AUTHOR)
    follower_ids = list(
        Follow.objects.filter(followee=author).values_list("follower_id", flat=True)
    )
    followers = len(follower_ids)
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

    store = get_store()
    redis = store.redis if isinstance(store, RedisTimelineStore) else None
    keys = [timeline_key(reader_id) for reader_id in follower_ids]
    member = f"{post_id:020d}"
    if redis is not None:
        bare_sql += " RETURNING reader_id"
        with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zadd(key, {BUILT: 0})
            pipe.execute()

    def clear() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(clear_sql, [post_id])
        if redis is not None:
            with redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(key, member)
                pipe.execute()
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
            readers = [row[0] for row in cursor.fetchall()] if redis else []
        if redis is not None:
            with redis.pipeline(transaction=False) as pipe:
                for reader_id in readers:
                    pipe.zadd(timeline_key(reader_id), {member: 0})
                pipe.execute()

    def mirrored() -> int:
        if redis is None:
            return followers
        with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zscore(key, member)
            return sum(score is not None for score in pipe.execute())

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
                assert mirrored() == followers, f"{name} missed Redis timelines"
                if name.startswith("hubbub"):
                    marked = Post.objects.get(id=post_id).fanned_out_at
                    assert marked is not None, "fan_out_post did not mark the post"
                if i >= warmup:
                    samples[name].append(elapsed)
    finally:
        clear()
        Post.objects.filter(id=post_id).delete()
        if redis is not None:
            redis.delete(*keys)

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
        "redis_mirrored": redis is not None,
    }


def report(result: dict[str, Any]) -> str:
    ms = {k: v * 1000 for k, v in result["median_s"].items()}
    verdict = "met" if result["met"] else "MISSED"
    baseline_redis = (
        ", then one pipelined `ZADD` per follower (every follower active)"
        if result.get("redis_mirrored")
        else ""
    )
    return "\n".join(
        [
            f"### (a) Fan-out of one note to {result['followers']:,} followers",
            "",
            f"| case | median of {result['runs']} runs | rows/s |",
            "|---|---:|---:|",
            f"| hubbub `fan_out_post` (batches of {result['batch_size']:,}) "
            f"| {ms['hubbub']:.1f} ms "
            f"| {result['followers'] / result['median_s']['hubbub']:,.0f} |",
            f"| bare `INSERT … SELECT`{baseline_redis} | {ms['baseline']:.1f} ms "
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
    parser.add_argument("--json", action="store_true", help="print the raw numbers")
    args = parser.parse_args(argv)
    env.configure()
    result = run(args.runs)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    main()
