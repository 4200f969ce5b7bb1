"""Seed the benchmark database: accounts, a power-law follow graph and notes.

Rows go straight into the tables (``executemany`` on SQLite, ``COPY`` on
PostgreSQL, the follows in its binary format) instead of through hubbub's
actions, which would take hours at this size, but they hold what the
actions would have written. The plan is drawn with numpy; each table's
secondary indexes are built after its rows are in, and SQLite runs without
a journal while seeding, so a million accounts (75 million follows) seed
in minutes:

* accounts with consistent ``followers_count``/``following_count``/
  ``posts_count``/``last_post_at``; every account has the same password hash,
  computed once, so any of them can log in with ``PASSWORD``;
* follows whose in-degree follows a Zipf-like law (a few accounts have
  10,000 followers or more, the mean is about 75) and whose out-degree is
  Pareto (at least 38, mean about 75, capped at a quarter of the
  accounts and 5,000);
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
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np

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
# Out-degree: OUT_MIN * Pareto(OUT_ALPHA), mean OUT_MIN * a / (a - 1) = 76,
# about 75 once rounded down and capped: the mean number of followers.
OUT_MIN = 38
OUT_ALPHA = 2.0
MEAN_FOLLOWERS = 75
MEAN_TOLERANCE = 5
# Notes per author: weights drawn from Pareto(POSTS_ALPHA).
POSTS_ALPHA = 2.0
VISIBILITIES = (("public", 90), ("unlisted", 7), ("followers", 3))
SEED = 20261127
# Followers whose follows are drawn at once, and rows written at once:
# bounds the seeder's memory at a million accounts.
FOLLOWER_CHUNK = 50_000
ROW_CHUNK = 1_000_000
# Rounds of drawing follows (and note ids) to replace duplicates.
DRAW_ROUNDS = 12
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
PG_EPOCH_MS = 946_684_800_000

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
        for batch in itertools.batched(full_rows, 20_000):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


class Plan:
    """The whole data set, generated in memory as numpy arrays.

    Everything is drawn in bulk (a million accounts' follow graph, some 75
    million pairs, in about a minute); accounts are numbered in joining
    order, so their ids ascend with their index.
    """

    def __init__(self, accounts: int, notes: int, seed: int = SEED) -> None:
        if accounts < READERS + 3:
            raise ValueError(f"need at least {READERS + 3} accounts")
        self.n, self.notes = accounts, notes
        self.fanout_followers = fanout_followers_for(accounts)
        rng = np.random.default_rng(seed)
        self.now = datetime.now(tz=UTC).replace(microsecond=0)
        now_ms = int(self.now.timestamp() * 1000)

        # Accounts joined 90 to 31 days ago, oldest first, at least a
        # millisecond apart (five seconds for a million), so ids ascend.
        first_ms = now_ms - 90 * DAY_MS
        joined_ms = first_ms + 59 * DAY_MS * np.arange(accounts, dtype=np.int64) // (
            accounts
        )
        self.account_ids = _ids_at(joined_ms, rng)
        self.joined_ms = joined_ms
        self._follow_graph(rng)
        self._notes(rng, now_ms)
        texts = random.Random(seed)
        self.texts = [
            " ".join(texts.choices(WORDS, k=texts.randint(4, 22))).capitalize()
            for _ in range(997)
        ]

    def _follow_graph(self, rng: np.random.Generator) -> None:
        n = self.n
        # Popularity ranks: everyone but the fan-out author, shuffled; the
        # account of rank r is drawn with weight r ** -ZIPF_S.
        popular = rng.permutation(np.arange(1, n, dtype=np.int64))
        cum = np.cumsum(np.arange(1, n, dtype=np.float64) ** -ZIPF_S)

        def draw(count: int) -> np.ndarray:
            picks = np.searchsorted(cum, rng.random(count) * cum[-1], side="right")
            return popular[np.minimum(picks, n - 2)]

        out_cap = max(OUT_MIN, min(5000, n // 4))
        pareto = OUT_MIN * (rng.pareto(OUT_ALPHA, n) + 1)
        want = np.minimum(out_cap, pareto.astype(np.int64))
        want[0] = 0  # the fan-out author follows no one
        want[1 : READERS + 1] = READER_FOLLOWING
        fanout_set = np.zeros(n, dtype=bool)
        fanout_set[
            rng.choice(np.arange(READERS + 1, n), self.fanout_followers, replace=False)
        ] = True

        followers, followees = [], []
        for lo in range(0, n, FOLLOWER_CHUNK):
            hi = min(n, lo + FOLLOWER_CHUNK)
            # A follow is the key follower * n + followee: sorted keys are
            # rows in (follower, followee) order, the unique index's order.
            keys = np.flatnonzero(fanout_set[lo:hi]).astype(np.int64) * n + lo * n
            for _ in range(DRAW_ROUNDS):  # bounded: duplicates shrink each round
                have = np.bincount(keys // n - lo, minlength=hi - lo)
                need = want[lo:hi] - have + fanout_set[lo:hi]
                if not need.any():
                    break
                who = np.repeat(np.arange(lo, hi, dtype=np.int64), need)
                drawn = who * n + draw(len(who))
                keys = _union(keys, drawn[drawn // n != drawn % n])
            followers.append((keys // n).astype(np.int32))
            followees.append((keys % n).astype(np.int32))
        self.follower = np.concatenate(followers)
        self.followee = np.concatenate(followees)
        self.followers_count = np.bincount(self.followee, minlength=n)
        self.following_count = np.bincount(self.follower, minlength=n)

    def _notes(self, rng: np.random.Generator, now_ms: int) -> None:
        # Moments uniform over the last 30 days, authors Pareto-weighted.
        weights = rng.pareto(POSTS_ALPHA, self.n) + 1
        first_ms = now_ms - 30 * DAY_MS
        window_ms = 30 * DAY_MS - 60_000
        ids = np.empty(0, dtype=np.int64)
        for _ in range(DRAW_ROUNDS):  # bounded: ids collide about once a run
            need = self.notes - len(ids)
            if not need:
                break
            moments = first_ms + (rng.random(need) * window_ms).astype(np.int64)
            ids = _union(ids, _ids_at(moments, rng))
        if len(ids) != self.notes:
            raise RuntimeError("could not draw unused note ids")
        self.post_ids = ids  # ascending
        self.post_authors = rng.choice(self.n, self.notes, p=weights / weights.sum())
        self.vis_names = [v for v, _ in VISIBILITIES]
        shares = np.array([w for _, w in VISIBILITIES], dtype=np.float64)
        self.post_vis = rng.choice(len(shares), self.notes, p=shares / shares.sum())
        self.posts_count = np.bincount(self.post_authors, minlength=self.n)
        self.last_post = np.zeros(self.n, dtype=np.int64)
        np.maximum.at(self.last_post, self.post_authors, self.post_ids)


def _union(ordered: np.ndarray, more: np.ndarray) -> np.ndarray:
    """``ordered`` (sorted, distinct) with ``more`` merged in, sorted, distinct.

    Not ``np.union1d``: its hashing pass takes ten times as long here, and
    a stable sort merges the two sorted runs in one pass.
    """
    merged = np.sort(np.concatenate((ordered, np.sort(more))), kind="stable")
    if len(merged) == 0:
        return merged
    return merged[np.concatenate(([True], merged[1:] != merged[:-1]))]


def _ids_at(unix_ms: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ids for past moments, as ``hubbub.core.ids.id_at`` makes them."""
    return (unix_ms.astype(np.int64) << 16) | rng.integers(
        0, 1 << 16, len(unix_ms), dtype=np.int64
    )


def _timeline_rows(plan: Plan, limit: int, length: int) -> list[tuple[int, int]]:
    """Readers' stored timelines: own notes and fanned-out followees' notes."""
    rows = []
    for r in range(1, READERS + 1):
        followees = plan.followee[plan.follower == r]
        sources = followees[plan.followers_count[followees] <= limit]
        mine = np.isin(plan.post_authors, np.append(sources, r))
        rid = int(plan.account_ids[r])
        rows.extend((rid, int(pid)) for pid in plan.post_ids[mine][-length:])
    return rows


def _sqlite_times(unix_ms: np.ndarray) -> list[str]:
    """Timestamps as Django stores them in SQLite (naive UTC, a space)."""
    text = np.datetime_as_string(unix_ms.astype("datetime64[ms]"), unit="us")
    return [t.replace("T", " ") for t in text.tolist()]


def _pg_times(unix_ms: np.ndarray) -> list[datetime]:
    return [_ms_time(ms) for ms in unix_ms.tolist()]


def _ms_time(unix_ms: int) -> datetime:
    return datetime.fromtimestamp(unix_ms / 1000, tz=UTC)


@contextmanager
def _indexes_built_after(
    cursor: Any, vendor: str, table: str
) -> Iterator[dict[str, float]]:
    """Drop ``table``'s secondary indexes for the block, then build them anew;
    the dict yielded gets the seconds the builds took, as ``"indexes"``.

    One index build sorts once; keeping them during the load would insert
    every row into each in random order. The primary key stays (rows come
    in its order), and on SQLite so do the indexes of inline constraints,
    which cannot be dropped (the seed's rows come in their order too).
    """
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        found = cursor.fetchall()
        drops = [f'DROP INDEX "{name}"' for name, _ in found]
        creates = [sql for _, sql in found]
    else:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),"
            " c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_index i LEFT JOIN pg_constraint c"
            " ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
            [table],
        )
        drops, creates = [], []
        for index, indexdef, constraint, constraintdef in cursor.fetchall():
            if constraint:
                drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                creates.append(
                    f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraintdef}'
                )
            else:
                drops.append(f"DROP INDEX {index}")
                creates.append(indexdef)
    for sql in drops:
        cursor.execute(sql)
    built: dict[str, float] = {}
    yield built
    started = time.perf_counter()
    for sql in creates:
        cursor.execute(sql)
    built["indexes"] = time.perf_counter() - started


def _copy_follows_binary(cursor: Any, plan: Plan, table: str) -> None:
    """COPY the follows in PostgreSQL's binary format, straight from numpy.

    Tens of millions of rows: building a Python tuple for each would take
    longer than PostgreSQL takes to store them.
    """
    fields = ("id", "created_at", "follower_id", "followee_id")
    layout = [("fields", ">i2")]
    for name in fields:
        layout += [(f"{name}_len", ">i4"), (name, ">i8")]
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, extension
    with cursor.copy(
        f"COPY {table} ({', '.join(fields)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(header)
        for lo in range(0, len(plan.follower), ROW_CHUNK):
            a = plan.follower[lo : lo + ROW_CHUNK]
            b = plan.followee[lo : lo + ROW_CHUNK]
            rows = np.empty(len(a), dtype=np.dtype(layout))
            rows["fields"] = len(fields)
            for name in fields:
                rows[f"{name}_len"] = 8
            rows["id"] = np.arange(lo + 1, lo + 1 + len(a))
            rows["created_at"] = (_followed_ms(plan, a, b) - PG_EPOCH_MS) * 1000
            rows["follower_id"] = plan.account_ids[a]
            rows["followee_id"] = plan.account_ids[b]
            copy.write(rows.tobytes())
        copy.write(b"\xff\xff")


def _followed_ms(plan: Plan, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A follow is made an hour after the later of the two accounts joined."""
    return plan.joined_ms[np.maximum(a, b)] + HOUR_MS


def _insert_follows_sqlite(raw: Any, plan: Plan, table: str) -> None:
    followed_at = np.array(_sqlite_times(plan.joined_ms + HOUR_MS), dtype=object)
    sql = (
        f"INSERT INTO {table} (id, created_at, follower_id, followee_id)"
        " VALUES (?, ?, ?, ?)"
    )
    for lo in range(0, len(plan.follower), ROW_CHUNK):
        a = plan.follower[lo : lo + ROW_CHUNK]
        b = plan.followee[lo : lo + ROW_CHUNK]
        raw.executemany(
            sql,
            zip(
                range(lo + 1, lo + 1 + len(a)),
                followed_at[np.maximum(a, b)].tolist(),
                plan.account_ids[a].tolist(),
                plan.account_ids[b].tolist(),
                strict=True,
            ),
        )


def write(plan: Plan) -> dict[str, float]:
    """Write the plan's rows; returns seconds per table."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from hubbub.accounts.models import Account, Follow
    from hubbub.posts.models import Post
    from hubbub.timelines.models import TimelineEntry

    vendor = connection.vendor
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            # No journal while seeding: a seed that fails is redone from
            # scratch anyway. Restored at the end.
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")
            cursor.execute("PRAGMA threads = 2")  # index builds sort in two
        else:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = OFF")
    fk_triggers_off = False
    if vendor == "postgresql":
        # The rows reference each other correctly by construction; skipping
        # the per-row foreign-key triggers makes COPY several times faster.
        # Needs a superuser; without one the triggers simply run.
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            fk_triggers_off = bool(cursor.fetchone()[0])
    times = _sqlite_times if vendor == "sqlite" else _pg_times
    password = make_password(PASSWORD)
    ids = plan.account_ids.tolist()

    def account_rows() -> Iterator[tuple[Any, ...]]:
        joined = times(plan.joined_ms)
        last = plan.last_post.tolist()
        last_at = times(plan.last_post >> 16)
        followers, following = (
            plan.followers_count.tolist(),
            plan.following_count.tolist(),
        )
        posts = plan.posts_count.tolist()
        for i in range(plan.n):
            yield (
                ids[i], password, None, False, _username(i), "", "", "",
                False, True, joined[i], f"User {i}", "", "", False, False,
                followers[i], following[i], posts[i],
                last_at[i] if last[i] else None,
            )  # fmt: skip

    def post_rows() -> Iterator[tuple[Any, ...]]:
        texts, vis = plan.texts, plan.vis_names
        stamps = times(plan.post_ids >> 16)
        authors = plan.post_authors.tolist()
        visibility = plan.post_vis.tolist()
        for k, pid in enumerate(plan.post_ids.tolist()):
            text = texts[k % len(texts)]
            when = stamps[k]
            yield (
                pid, ids[authors[k]], "note", vis[visibility[k]], text,
                f"<p>{text}</p>", pid, 0, 0, 0, when, None, when, when,
            )  # fmt: skip

    def follows(cursor: Any) -> int:
        table = Follow._meta.db_table
        if vendor == "postgresql":
            _copy_follows_binary(cursor.cursor, plan, table)
            # The ids were given: the next follow hubbub makes comes after.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                [max(1, len(plan.follower))],
            )
        else:
            _insert_follows_sqlite(connection.connection, plan, table)
        return len(plan.follower)

    def rows_of(
        model: Any, given: list[str], rows: Iterable[tuple[Any, ...]]
    ) -> Callable[[Any], int]:
        return lambda _cursor: bulk_insert(model, given, rows)

    steps: list[tuple[str, Any, Callable[[Any], int]]] = [
        (
            "accounts",
            Account,
            rows_of(
                Account,
                [
                    "id", "password", "last_login", "is_superuser", "username",
                    "first_name", "last_name", "email", "is_staff", "is_active",
                    "date_joined", "display_name", "bio", "bio_html", "locked",
                    "bot", "followers_count", "following_count", "posts_count",
                    "last_post_at",
                ],
                account_rows(),
            ),
        ),
        ("follows", Follow, follows),
        (
            "notes",
            Post,
            rows_of(
                Post,
                [
                    "id", "author_id", "kind", "visibility", "text", "html",
                    "conversation_id", "replies_count", "reblogs_count",
                    "favourites_count", "created_at", "deleted_at",
                    "fanned_out_at", "fanout_queued_at",
                ],
                post_rows(),
            ),
        ),
        (
            "timelines",
            TimelineEntry,
            rows_of(
                TimelineEntry,
                ["reader_id", "post_id"],
                _timeline_rows(
                    plan,
                    settings.HUBBUB_FANOUT_LIMIT,
                    settings.HUBBUB_TIMELINE_LENGTH,
                ),
            ),
        ),
    ]  # fmt: skip
    for name, model, insert in steps:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if fk_triggers_off:
                cursor.execute("SET LOCAL session_replication_role = replica")
            with _indexes_built_after(cursor, vendor, model._meta.db_table) as built:
                count = insert(cursor)
        timings[name] = time.perf_counter() - started
        timings[f"{name}_indexes"] = built["indexes"]
        print(
            f"  {name}: {count:,} rows in {timings[name]:.1f} s "
            f"(building its indexes {built['indexes']:.1f} s of it)",
            flush=True,
        )
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # What autovacuum would do before long; the planner needs it.
            cursor.execute("ANALYZE")
        else:
            cursor.execute(f"PRAGMA journal_mode = {journal}")
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
    """Whether the database holds exactly this benchmark's data set.

    A graph of another mean (an older seeder's) is not this data set.
    """
    from django.db.models import Avg

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
        and abs(
            Account.objects.aggregate(mean=Avg("followers_count"))["mean"]
            - MEAN_FOLLOWERS
        )
        <= MEAN_TOLERANCE
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
    parser.add_argument(
        "--json", action="store_true", help="end with the timings and graph as JSON"
    )
    args = parser.parse_args(argv)
    env.configure()
    timings = seed(args.accounts, args.notes, force=args.force)
    stats = graph_stats()
    print(json.dumps({**timings, "graph": stats}) if args.json else stats)


if __name__ == "__main__":
    main()
