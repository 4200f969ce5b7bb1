"""Benchmark social news: the front-page re-rank, its queries, and diggs/s.

    .venv/bin/python -m bench.run news               # 100,000 stories
    .venv/bin/python -m bench.run news --quick       # 10,000 stories
    HUBBUB_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub_bench_news \\
        .venv/bin/python -m bench.run news

(a) Re-ranking: ``news.tasks.refresh_front_page`` re-ranks every promoted
    story inside the front-page horizon with one UPDATE computing the
    gravity formula; the baseline is one bare UPDATE over the same rows
    (``SET rank = effective`` with the same WHERE). Target ≤ 2.5x.
(b) SQL queries per front-page request: ``news.queries.front_page`` and the
    web page ``/news``, anonymous and signed in. Target ≤ 3 for each, the
    signed-in page's session and account look-ups included.
(c) Diggs per second through ``news.actions.digg_story`` (the favourite,
    the vote in its cluster, the story's aggregates), each digg its own
    committed transaction, one after another, alternating in slices with
    as many bare one-row-insert commits (the floor under any durable
    write); the report gives both rates and their ratio. Target ≥ 5,000/s
    on SQLite.
    Measured with the configured ``synchronous=NORMAL`` (WAL: a commit
    survives a crash of hubbub, not of the machine) and again with
    ``synchronous=FULL`` (every commit reaches the disk).

The data lives in ``var/bench-news`` (or ``HUBBUB_VAR_DIR`` /
``HUBBUB_DATABASE_URL``), never in the development database. The report
goes to ``bench/results/<date>-news[-quick][-<backend>].md`` with the raw
numbers beside it as JSON.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from bench import env

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_STORIES = 100_000
VOTERS = 2_000
BATCH = 5_000


def _configure() -> None:
    os.environ.setdefault("HUBBUB_VAR_DIR", str(env.ROOT / "var" / "bench-news"))
    # The action limits would stop one benchmark account long before the end.
    os.environ.setdefault("HUBBUB_RATE_LIMITS", "0")
    env.configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(stories: int) -> dict[str, Any]:
    """Write ``stories`` promoted stories (and VOTERS accounts) if missing."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from hubbub.accounts.models import Account
    from hubbub.core.ids import id_at
    from hubbub.news.actions import hours_since_epoch, url_key
    from hubbub.news.models import State, Story
    from hubbub.posts.models import Kind, Post

    have = Story.objects.filter(state=State.PROMOTED).count()
    if have >= stories and Account.objects.count() >= VOTERS:
        return {"seeded": False, "stories": have}
    started = time.perf_counter()
    rng = random.Random(5)
    now = timezone.now()
    joined = now - datetime.timedelta(days=120)
    unusable = make_password(None)  # nobody logs in as these
    with transaction.atomic():
        Account.objects.bulk_create(
            [
                Account(
                    username=f"newsbench{n}",
                    password=unusable,
                    date_joined=joined,
                    posts_count=1,
                )
                for n in range(VOTERS)
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
    authors = list(Account.objects.values_list("pk", flat=True)[:VOTERS])
    horizon_hours = 6 * 24  # all inside the 7-day horizon
    made = have
    while made < stories:
        count = min(BATCH, stories - made)
        posts, rows = [], []
        for n in range(made, made + count):
            promoted_ago = rng.uniform(0, horizon_hours)
            created = now - datetime.timedelta(hours=promoted_ago + 2)
            post_id = id_at(created)
            url = f"https://bench{n % 500}.example/{n}"
            posts.append(
                Post(
                    id=post_id,
                    author_id=rng.choice(authors),
                    kind=Kind.STORY,
                    text=f"Story {n}\n\n{url}",
                    html=f'<p><a href="{url}">Story {n}</a></p>',
                    conversation_id=post_id,
                    created_at=created,
                    fanned_out_at=created,
                )
            )
            effective = rng.uniform(5, 300)
            rows.append(
                Story(
                    post_id=post_id,
                    url=url,
                    normalised_url=url,
                    url_key=url_key(url),
                    domain=f"bench{n % 500}.example",
                    title=f"Story {n}",
                    state=State.PROMOTED,
                    submitted_at=created,
                    promoted_at=created + datetime.timedelta(hours=1),
                    promoted_hour=hours_since_epoch(now) - promoted_ago,
                    diggs=int(effective * 1.3),
                    effective=effective,
                    clusters=int(effective),
                    largest_share=0.1,
                    comments_count=rng.choice([0, 3, 12, 60]),
                )
            )
        with transaction.atomic():
            Post.objects.bulk_create(posts, batch_size=1000)
            Story.objects.bulk_create(rows, batch_size=1000)
        made += count
        print(f"  seeded {made:,} stories", flush=True)
    return {
        "seeded": True,
        "stories": made,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _bare_update(now: datetime.datetime) -> int:
    """Rewrite the same rows ``refresh_front_page`` does, with no maths."""
    from django.db.models import F, Q

    from hubbub.news.actions import hours_since_epoch
    from hubbub.news.models import State, Story
    from hubbub.news.tasks import FRONT_PAGE_HORIZON

    oldest = hours_since_epoch(now - FRONT_PAGE_HORIZON)
    return Story.objects.filter(
        Q(promoted_hour__gte=oldest) | Q(rank__gt=0.0), state=State.PROMOTED
    ).update(rank=F("effective"))


def rerank(runs: int) -> dict[str, Any]:
    """(a) Time the re-rank against the bare UPDATE, alternating."""
    from django.db import transaction
    from django.utils import timezone

    from hubbub.news.tasks import refresh_front_page

    hubbub_s, bare_s, rows = [], [], 0
    for _ in range(runs):
        for label, job in (("bare", _bare_update), ("hubbub", refresh_front_page)):
            now = timezone.now()
            started = time.perf_counter()
            with transaction.atomic():
                rows = job(now)
            elapsed = time.perf_counter() - started
            (bare_s if label == "bare" else hubbub_s).append(elapsed)
    hubbub_median = statistics.median(hubbub_s)
    bare_median = statistics.median(bare_s)
    ratio = hubbub_median / bare_median
    return {
        "rows": rows,
        "runs": runs,
        "hubbub_s": hubbub_s,
        "bare_s": bare_s,
        "hubbub_median_s": hubbub_median,
        "bare_median_s": bare_median,
        "ratio": ratio,
        "met": ratio <= 2.5,
    }


def front_page_queries() -> dict[str, Any]:
    """(b) Count SQL queries per front-page read and page request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hubbub.accounts.models import Account
    from hubbub.news import queries

    viewer = Account.objects.order_by("pk").first()
    counts: dict[str, int] = {}
    for label, who in (("anonymous", None), ("signed in", viewer)):
        with CaptureQueriesContext(connection) as captured:
            page = queries.front_page(who)
            assert len(page.stories) == queries.PAGE_SIZE
        counts[f"queries.front_page, {label}"] = len(captured)
    for label, who in (("anonymous", None), ("signed in", viewer)):
        client = Client(HTTP_HOST="127.0.0.1")
        if who is not None:
            client.force_login(who)
        client.get("/news")  # warm: templates, the session
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/news")
            assert response.status_code == 200
        counts[f"GET /news, {label}"] = len(captured)
    most = max(counts.values())
    return {"counts": counts, "max": most, "met": most <= 3}


def _upcoming_stories(count: int) -> list[int]:
    from django.db import transaction

    from hubbub.accounts.models import Account
    from hubbub.news.actions import submit_story

    author = Account.objects.order_by("pk").first()
    assert author is not None
    ids = []
    with transaction.atomic():
        for n in range(count):
            # A loopback literal: a worker that ever ran on this database
            # would refuse the preview before any socket.
            url = f"http://127.0.0.1/digg-bench/{time.time_ns()}/{n}"
            ids.append(submit_story(author, url=url, title=f"Digg me {n}").story.pk)
    return ids


def _bare_commits(count: int) -> tuple[float, float]:
    """Commit ``count`` one-row inserts, each its own transaction, through
    the same Django connection: the floor under any durable write. Returns
    (wall seconds, CPU seconds)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_commit")
        cursor.execute(
            "CREATE TABLE bench_bare_commit (id INTEGER PRIMARY KEY, n BIGINT)"
        )
    started, cpu_started = time.perf_counter(), time.process_time()
    for n in range(count):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare_commit (n) VALUES (%s)", [n])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_commit")
    return elapsed, cpu


def diggs(count: int, synchronous: str) -> dict[str, Any]:
    """(c) Digg ``count`` times through the action, each its own commit,
    against as many bare one-row-insert commits, alternating in slices."""
    from django.db import connection

    from hubbub.accounts.models import Account
    from hubbub.news.actions import digg_story

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={synchronous}")
    # One story per 40 diggs, spread over all voters: each digg is new (a
    # voter and story drawn once each, never a double digg, which would
    # be a no-op and cheaper).
    stories = _upcoming_stories(max(1, count // 40))
    voters = list(Account.objects.order_by("pk")[:VOTERS])
    drawn = random.Random(7).sample(range(len(voters) * len(stories)), count)
    pairs = [(voters[n // len(stories)], stories[n % len(stories)]) for n in drawn]
    # Ten slices of each, alternating, so load from other programs falls on
    # both sides of the ratio alike.
    slices = 10
    size = max(1, count // slices)
    digg_wall = digg_cpu = bare_wall = bare_cpu = 0.0
    for start in range(0, count, size):
        chunk = pairs[start : start + size]
        wall, cpu = _bare_commits(len(chunk))
        bare_wall += wall
        bare_cpu += cpu
        started, cpu_started = time.perf_counter(), time.process_time()
        for voter, story_id in chunk:
            digg_story(voter, story=story_id)
        digg_wall += time.perf_counter() - started
        # SQLite works inside this process, so CPU time is what the diggs
        # cost on a core of their own; wall time also counts other load.
        digg_cpu += time.process_time() - cpu_started
    rate = count / digg_wall
    bare_rate = count / bare_wall
    return {
        "diggs": count,
        "seconds": digg_wall,
        "cpu_seconds": digg_cpu,
        "per_cpu_second": count / digg_cpu,
        "per_second": rate,
        "bare_commits_per_second": bare_rate,
        "bare_commits_per_cpu_second": count / bare_cpu,
        # A digg costs this many bare commits' time.
        "ratio_to_bare_commit": bare_rate / rate,
        "synchronous": synchronous if connection.vendor == "sqlite" else "n/a",
        "met": rate >= 5_000,
    }


def main(argv: list[str]) -> None:
    """Run (a), (b) and (c) and write the report."""
    parser = argparse.ArgumentParser(prog="bench.run news")
    parser.add_argument("--stories", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="10,000 stories")
    parser.add_argument("--runs", type=int, default=None, help="re-rank runs")
    parser.add_argument("--diggs", type=int, default=None)
    args = parser.parse_args(argv)
    stories = args.stories or (10_000 if args.quick else DEFAULT_STORIES)
    runs = args.runs or (5 if args.quick else 9)
    digg_count = args.diggs or (1_000 if args.quick else 5_000)

    _configure()
    from django.db import connection

    from bench.run import machine, wait_for_quiet

    info = machine()
    seeding = seed(stories)
    busy = wait_for_quiet("(a) re-rank")
    result_a = rerank(runs)
    print(f"(a) {result_a['ratio']:.2f}x", flush=True)
    result_b = front_page_queries()
    print(f"(b) {result_b['counts']}", flush=True)
    results_c = [diggs(digg_count, "NORMAL")]
    if connection.vendor == "sqlite":
        results_c.append(diggs(digg_count, "FULL"))
    for result in results_c:
        print(
            f"(c) {result['per_second']:,.0f} diggs/s, bare commits "
            f"{result['bare_commits_per_second']:,.0f}/s, "
            f"synchronous={result['synchronous']}",
            flush=True,
        )

    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    rows = result_a["rows"]
    lines = [
        f"# Social news benchmark, {today}",
        "",
        f"Command: `.venv/bin/python -m bench.run news {' '.join(argv)}`".rstrip(),
        "",
        "| | measured | target | |",
        "|---|---:|---:|---|",
        f"| (a) re-rank {rows:,} promoted stories, hubbub / bare UPDATE "
        f"| {result_a['ratio']:.2f}x | ≤ 2.5x "
        f"| {'met' if result_a['met'] else '**missed**'} |",
        f"| (b) SQL queries per front-page read or request, most | {result_b['max']} "
        f"| ≤ 3 "
        f"| {'met' if result_b['met'] else '**missed**'} |",
    ]
    lines += [
        f"| (c) diggs/s through the action, synchronous="
        f"{result['synchronous']} | {result['per_second']:,.0f} | ≥ 5,000 "
        f"| {'met' if result['met'] else '**missed**'} |"
        for result in results_c
    ]
    lines += [
        f"| (c) one digg / one bare one-row-insert commit, synchronous="
        f"{result['synchronous']} | {result['ratio_to_bare_commit']:.1f}x | | |"
        for result in results_c
    ]
    lines += [
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM; "
        f"Python {info['python']}, Django {info['django']}, {info['backend']}; "
        f"hubbub at `{info['git']}`. CPUs {busy:.0%} busy before (a).",
        "",
        f"(a) Medians of {runs} alternating runs, each in its own transaction: "
        f"hubbub {result_a['hubbub_median_s'] * 1000:.1f} ms, bare "
        f"{result_a['bare_median_s'] * 1000:.1f} ms.",
        "",
        "(b) " + "; ".join(f"{k}: {v}" for k, v in result_b["counts"].items()),
        "",
    ]
    lines += [
        f"(c) {result['diggs']:,} diggs in {result['seconds']:.1f} s wall, "
        f"{result['cpu_seconds']:.1f} s of this process's CPU "
        f"({result['per_cpu_second']:,.0f} diggs per CPU second; "
        f"synchronous={result['synchronous']}). Bare one-row-insert commits "
        f"in the same run, alternating: {result['bare_commits_per_second']:,.0f}"
        f"/s ({result['bare_commits_per_cpu_second']:,.0f} per CPU second)."
        for result in results_c
    ]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    size = (
        ""
        if stories == DEFAULT_STORIES
        else ("-quick" if stories == 10_000 else f"-{stories}")
    )
    backend = "" if connection.vendor == "sqlite" else f"-{connection.vendor}"
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{today}-news{size}{backend}.md"
    out.write_text(text)
    raw = {
        "machine": info,
        "busy_before": busy,
        "seed": seeding,
        "rerank": result_a,
        "queries": result_b,
        "diggs": results_c,
    }
    out.with_suffix(".json").write_text(json.dumps(raw, indent=2, default=str) + "\n")
    print(f"Wrote {out.relative_to(env.ROOT)}")
