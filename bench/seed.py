"""Seed the benchmark database: accounts, a power-law follow graph and notes.

Rows go straight into the tables (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) instead of through hubbub's actions, which would take hours at
this size, but they hold what the actions would have written:

* accounts with consistent ``followers_count``/``following_count``/
  ``posts_count``/``last_post_at``; every account has the same password hash,
  computed once, so any of them can log in with ``PASSWORD``;
* follows whose in-degree follows a Zipf-like law (a handful of accounts have
  ~10,000+ followers, the mean is about 30) and whose out-degree is Pareto;
* notes with ids from ``hubbub.core.ids.id_at`` over the past 30 days,
  ``conversation_id = id``, HTML rendered as ``render_text`` renders plain
  words, and ``fanned_out_at`` set (their fan-out is long done);
* stored home timelines only for the reader accounts the HTTP benchmark logs
  in as: their own notes plus those of the followees small enough to be
  fanned out on write, newest ``HUBBUB_TIMELINE_LENGTH`` (800). Followees
  above ``HUBBUB_FANOUT_LIMIT`` are merged when the timeline is read, as in
  production.

Account 0, ``fanout_author``, has exactly ``fanout_followers`` (10,000)
followers and nobody else follows it: benchmark (a) fans its note out.

    .venv/bin/python -m bench.seed [--accounts 100000] [--notes 1000000]
"""

import argparse
import itertools
import os
import random
import time
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import env

DEFAULT_ACCOUNTS = 100_000
DEFAULT_NOTES = 1_000_000
FANOUT_FOLLOWERS = 10_000
READERS = 8
READER_FOLLOWING = 200
PASSWORD = "bench password 8c1f"  # noqa: S105 - a benchmark's throwaway login
FANOUT_AUTHOR = "fanout_author"
# In-degree: account of popularity rank r is picked with weight r ** -ZIPF_S.
ZIPF_S = 0.7
# Out-degree: OUT_MIN * Pareto(OUT_ALPHA), mean OUT_MIN * a / (a - 1) = 30.
OUT_MIN = 10
OUT_ALPHA = 1.5
# Notes per author: weights drawn from Pareto(POSTS_ALPHA).
POSTS_ALPHA = 2.0
VISIBILITIES = (("public", 90), ("unlisted", 7), ("followers", 3))
SEED = 20261127

WORDS = [
    "the",
    "a",
    "quiet",
    "morning",
    "coffee",
    "train",
    "late",
    "again",
    "rain",
    "garden",
    "code",
    "review",
    "release",
    "bug",
    "fix",
    "lunch",
    "walk",
    "river",
    "bridge",
    "music",
    "record",
    "shop",
    "book",
    "chapter",
    "window",
    "light",
    "city",
    "street",
    "market",
    "bread",
    "cheese",
    "friend",
    "call",
    "meeting",
    "idea",
    "draft",
    "notes",
    "weekend",
    "hills",
    "bike",
    "ride",
    "storm",
    "cloud",
    "sunset",
    "tea",
    "kettle",
    "cat",
    "dog",
    "bird",
    "song",
    "small",
    "big",
    "new",
    "old",
    "good",
    "fine",
    "today",
    "tomorrow",
]


def fanout_followers_for(accounts: int) -> int:
    """The fan-out author's follower count: 10,000, or fewer in a small run."""
    return min(FANOUT_FOLLOWERS, (accounts - READERS - 1) // 2)


def reader_usernames() -> list[str]:
    return [f"reader{i}" for i in range(1, READERS + 1)]


def _username(i: int) -> str:
    if i == 0:
        return FANOUT_AUTHOR
    if i <= READERS:
        return f"reader{i}"
    return f"user{i}"


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def table_layout(model: Any, given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """Return ``model``'s columns, ``given`` first, and the rest's defaults.

    A row is then ``given_values + defaults``, so a field added to the model
    later is filled with its default instead of breaking the seed.
    """
    from django.db import connection
    from django.db.models import AutoField, BigAutoField, SmallAutoField

    by_attname = {
        f.attname: f
        for f in model._meta.concrete_fields
        if not isinstance(f, AutoField | BigAutoField | SmallAutoField)
    }
    missing = set(given) - set(by_attname)
    assert not missing, f"{model.__name__} has no fields {missing}"
    rest, defaults = [], []
    for attname, field in by_attname.items():
        if attname in given:
            continue
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            raise ValueError(f"seed gives no value for {model.__name__}.{attname}")
        rest.append(field.column)
        defaults.append(field.get_db_prep_save(value, connection))
    columns = [by_attname[a].column for a in given] + rest
    return columns, tuple(defaults)


def bulk_insert(
    model: Any, given: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert ``rows`` (values for ``given``): COPY on PostgreSQL, else executemany."""
    from django.db import connection

    columns, defaults = table_layout(model, given)
    table, cols = model._meta.db_table, ", ".join(columns)
    full_rows = (row + defaults for row in rows)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in full_rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        for batch in _chunks(full_rows, 20_000):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _dt_adapter() -> Any:
    """Turn an aware UTC datetime into what the backend stores."""
    from django.db import connection

    if connection.vendor == "sqlite":
        # What DatabaseOperations.adapt_datetimefield_value does, faster.
        return lambda dt: None if dt is None else str(dt.replace(tzinfo=None))
    return lambda dt: dt


def _id_time(value: int) -> datetime:
    return datetime.fromtimestamp((value >> 16) / 1000, tz=UTC)


def _unique(make: Callable[[], int], taken: Container[int]) -> int:
    """Return a value from ``make`` not in ``taken`` (ids rarely collide)."""
    for _ in range(1000):
        value = make()
        if value not in taken:
            return value
    raise RuntimeError("could not draw an unused id")


class Plan:
    """The whole data set, generated in memory as compact arrays."""

    def __init__(self, accounts: int, notes: int, seed: int = SEED) -> None:
        from hubbub.core.ids import id_at

        if accounts < READERS + 3:
            raise ValueError(f"need at least {READERS + 3} accounts")
        self.n, self.notes = accounts, notes
        self.fanout_followers = fanout_followers_for(accounts)
        rng = random.Random(seed)
        random.seed(seed)  # id_at draws its low bits from the module's RNG
        self.now = datetime.now(tz=UTC).replace(microsecond=0)

        # Accounts joined 90 to 31 days ago, oldest first.
        start = self.now - timedelta(days=90)
        span = timedelta(days=59).total_seconds()
        ids: set[int] = set()
        self.account_ids = array("q")
        for i in range(accounts):
            moment = start + timedelta(seconds=span * i / accounts)
            value = _unique(lambda moment=moment: id_at(moment), ids)
            ids.add(value)
            self.account_ids.append(value)

        # Popularity ranks: everyone but the fan-out author, shuffled.
        popular = list(range(1, accounts))
        rng.shuffle(popular)
        cum, total = [], 0.0
        for rank in range(1, len(popular) + 1):
            total += rank**-ZIPF_S
            cum.append(total)
        out_cap = max(OUT_MIN, min(5000, accounts // 10))
        fanout_set = set(
            rng.sample(range(READERS + 1, accounts), self.fanout_followers)
        )

        self.follower = array("i")
        self.followee = array("i")
        for i in range(1, accounts):
            if i <= READERS:
                want = READER_FOLLOWING
            else:
                want = min(out_cap, int(OUT_MIN * rng.paretovariate(OUT_ALPHA)))
            chosen: set[int] = set()
            for _ in range(8):  # bounded: duplicates shrink each pass
                need = want - len(chosen)
                if need <= 0:
                    break
                for j in rng.choices(popular, cum_weights=cum, k=need + need // 4 + 2):
                    if j != i and len(chosen) < want:
                        chosen.add(j)
            if i in fanout_set:
                chosen.add(0)
            for j in sorted(chosen):
                self.follower.append(i)
                self.followee.append(j)

        self.followers_count = array("i", bytes(4 * accounts))
        self.following_count = array("i", bytes(4 * accounts))
        for a, b in zip(self.follower, self.followee, strict=True):
            self.following_count[a] += 1
            self.followers_count[b] += 1

        # Notes: moments uniform over the last 30 days, authors Pareto-weighted.
        weights = [rng.paretovariate(POSTS_ALPHA) for _ in range(accounts)]
        authors = rng.choices(range(accounts), weights=weights, k=notes)
        first = self.now - timedelta(days=30)
        window = timedelta(days=30).total_seconds() - 60
        pairs: dict[int, int] = {}

        def note_id() -> int:
            return id_at(first + timedelta(seconds=rng.random() * window))

        for author in authors:
            pairs[_unique(note_id, pairs)] = author
        order = sorted(pairs)
        self.post_ids = array("q", order)
        self.post_authors = array("i", (pairs[v] for v in order))
        vis_names = [v for v, _ in VISIBILITIES]
        self.post_vis = rng.choices(
            range(len(vis_names)), weights=[w for _, w in VISIBILITIES], k=notes
        )
        self.vis_names = vis_names
        self.texts = [
            " ".join(rng.choices(WORDS, k=rng.randint(4, 22))).capitalize()
            for _ in range(997)
        ]
        self.posts_count = array("i", bytes(4 * accounts))
        self.last_post = array("q", bytes(8 * accounts))
        for pid, author in zip(self.post_ids, self.post_authors, strict=True):
            self.posts_count[author] += 1
            self.last_post[author] = pid  # ascending ids: the last is newest


def _timeline_rows(plan: Plan, limit: int, length: int) -> list[tuple[int, int]]:
    """Readers' stored timelines: own notes and fanned-out followees' notes."""
    sources: dict[int, set[int]] = {}
    for a, b in zip(plan.follower, plan.followee, strict=True):
        if 1 <= a <= READERS and plan.followers_count[b] <= limit:
            sources.setdefault(b, set()).add(a)
    for r in range(1, READERS + 1):
        sources.setdefault(r, set()).add(r)
    per_reader: dict[int, list[int]] = {r: [] for r in range(1, READERS + 1)}
    for pid, author in zip(plan.post_ids, plan.post_authors, strict=True):
        for reader in sources.get(author, ()):
            per_reader[reader].append(pid)
    rows = []
    for r, pids in per_reader.items():
        rid = plan.account_ids[r]
        rows.extend((rid, pid) for pid in pids[-length:])
    return rows


def write(plan: Plan) -> dict[str, float]:
    """Write the plan's rows; returns seconds per table."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from hubbub.accounts.models import Account, Follow
    from hubbub.posts.models import Post
    from hubbub.timelines.models import TimelineEntry

    dt = _dt_adapter()
    timings: dict[str, float] = {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1000000")
            cursor.execute("PRAGMA synchronous = OFF")
    fk_triggers_off = False
    if connection.vendor == "postgresql":
        # The rows reference each other correctly by construction; skipping
        # the per-row foreign-key triggers makes COPY several times faster.
        # Needs a superuser; without one the triggers simply run.
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            fk_triggers_off = bool(cursor.fetchone()[0])
    password = make_password(PASSWORD)
    ids = plan.account_ids
    joined = [_id_time(v) for v in ids]

    def account_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(plan.n):
            last = plan.last_post[i]
            yield (
                ids[i], password, None, False, _username(i), "", "", "",
                False, True, dt(joined[i]), f"User {i}", "", "", False, False,
                plan.followers_count[i], plan.following_count[i],
                plan.posts_count[i], dt(_id_time(last)) if last else None,
            )  # fmt: skip

    # A follow is made an hour after the later of the two accounts joined;
    # accounts are numbered in joining order.
    followed_at = [dt(when + timedelta(hours=1)) for when in joined]

    def follow_rows() -> Iterator[tuple[Any, ...]]:
        for a, b in zip(plan.follower, plan.followee, strict=True):
            yield (followed_at[max(a, b)], ids[a], ids[b])

    def post_rows() -> Iterator[tuple[Any, ...]]:
        texts, vis = plan.texts, plan.vis_names
        for k, (pid, author) in enumerate(
            zip(plan.post_ids, plan.post_authors, strict=True)
        ):
            text = texts[k % len(texts)]
            when = dt(_id_time(pid))
            yield (
                pid, ids[author], "note", vis[plan.post_vis[k]], text,
                f"<p>{text}</p>", pid, 0, 0, 0, when, None, when, when,
            )  # fmt: skip

    steps: list[tuple[str, Any, list[str], Iterable[tuple[Any, ...]]]] = [
        (
            "accounts",
            Account,
            [
                "id", "password", "last_login", "is_superuser", "username",
                "first_name", "last_name", "email", "is_staff", "is_active",
                "date_joined", "display_name", "bio", "bio_html", "locked", "bot",
                "followers_count", "following_count", "posts_count",
                "last_post_at",
            ],
            account_rows(),
        ),
        (
            "follows",
            Follow,
            ["created_at", "follower_id", "followee_id"],
            follow_rows(),
        ),
        (
            "notes",
            Post,
            [
                "id", "author_id", "kind", "visibility", "text", "html",
                "conversation_id", "replies_count", "reblogs_count",
                "favourites_count", "created_at", "deleted_at", "fanned_out_at",
                "fanout_queued_at",
            ],
            post_rows(),
        ),
        (
            "timelines",
            TimelineEntry,
            ["reader_id", "post_id"],
            _timeline_rows(
                plan, settings.HUBBUB_FANOUT_LIMIT, settings.HUBBUB_TIMELINE_LENGTH
            ),
        ),
    ]  # fmt: skip
    for name, model, given, rows in steps:
        started = time.perf_counter()
        with transaction.atomic():
            if fk_triggers_off:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            count = bulk_insert(model, given, rows)
        timings[name] = time.perf_counter() - started
        print(f"  {name}: {count:,} rows in {timings[name]:.1f} s", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum would do before long; the planner needs it.
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA synchronous = NORMAL")
    return timings


def _database_label() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def reset() -> None:
    """Empty the benchmark database and migrate it afresh.

    A new file on SQLite, a new ``public`` schema on PostgreSQL: the schema
    may have changed since the last seed. Refuses any database whose name
    does not contain "bench", so it can never wipe a real one.
    """
    from django.core.management import call_command
    from django.db import connection

    name = _database_label()
    if "bench" not in name:
        raise SystemExit(f"refusing to reset {name!r}: not a benchmark database")
    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(name + suffix):
                os.remove(name + suffix)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    call_command("migrate", interactive=False, verbosity=0)


def schema_matches() -> bool:
    """Whether every model's table has exactly the model's columns."""
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            table = model._meta.db_table
            if table not in tables:
                return False
            found = {
                c.name
                for c in connection.introspection.get_table_description(cursor, table)
            }
            if found != {f.column for f in model._meta.concrete_fields}:
                return False
    return True


def is_seeded(accounts: int, notes: int) -> bool:
    """Whether the database holds exactly this benchmark's data set."""
    from hubbub.accounts.models import Account
    from hubbub.posts.models import Post
    from hubbub.timelines.models import TimelineEntry

    if not schema_matches():
        return False
    author = Account.objects.filter(username=FANOUT_AUTHOR).first()
    readers = Account.objects.filter(username__in=reader_usernames())
    return (
        author is not None
        and author.followers_count == fanout_followers_for(accounts)
        and Account.objects.count() == accounts
        and Post.objects.count() == notes
        and readers.count() == READERS
        and TimelineEntry.objects.filter(reader__in=readers).exists()
    )


def seed(accounts: int, notes: int, *, force: bool = False) -> dict[str, Any]:
    """Seed unless the database already holds this data set."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not force and is_seeded(accounts, notes):
        print(f"Seed: already {accounts:,} accounts and {notes:,} notes.")
        return {"seeded": False}
    print(f"Seed: {accounts:,} accounts, {notes:,} notes ...", flush=True)
    started = time.perf_counter()
    reset()
    plan = Plan(accounts, notes)
    generated = time.perf_counter() - started
    print(f"  generated in {generated:.1f} s", flush=True)
    timings = write(plan)
    total = time.perf_counter() - started
    print(f"  seeded in {total:.1f} s", flush=True)
    return {"seeded": True, "generate_s": generated, "total_s": total, **timings}


def graph_stats() -> dict[str, Any]:
    """Describe the seeded data from the database itself."""
    from django.conf import settings
    from django.db.models import Avg, Count, Max

    from hubbub.accounts.models import Account, Follow
    from hubbub.posts.models import Post
    from hubbub.timelines.models import TimelineEntry

    accounts = Account.objects.aggregate(
        n=Count("id"),
        max_in=Max("followers_count"),
        mean_in=Avg("followers_count"),
        max_out=Max("following_count"),
        max_posts=Max("posts_count"),
    )
    limit = settings.HUBBUB_FANOUT_LIMIT
    top = list(
        Account.objects.order_by("-followers_count").values_list(
            "followers_count", flat=True
        )[:5]
    )
    readers = Account.objects.filter(username__in=reader_usernames())
    return {
        **accounts,
        "follows": Follow.objects.count(),
        "notes": Post.objects.count(),
        "top_in_degrees": top,
        "above_fanout_limit": Account.objects.filter(followers_count__gt=limit).count(),
        "at_least_1000_followers": Account.objects.filter(
            followers_count__gte=1000
        ).count(),
        "reader_following": sorted(readers.values_list("following_count", flat=True)),
        "reader_entries": TimelineEntry.objects.filter(reader__in=readers).count(),
        "fanout_limit": limit,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument("--notes", type=int, default=DEFAULT_NOTES)
    parser.add_argument("--force", action="store_true", help="reseed anyway")
    args = parser.parse_args(argv)
    env.configure()
    seed(args.accounts, args.notes, force=args.force)
    print(graph_stats())


if __name__ == "__main__":
    main()
