"""What a digg writes: favourites get time-sortable ids, on SQLite neither
table numbers its rows through sqlite_sequence, and the digging limit's
counter commits with the digg."""

import time

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hubbub.core.ids import id_to_unix_ms
from hubbub.core.ratelimits import RateLimitedError
from hubbub.moderation.models import RateCounter
from hubbub.news.actions import digg_story
from hubbub.news.models import StoryVote
from hubbub.posts.actions import favourite_post, publish_note
from hubbub.posts.models import Favourite
from tests.news.conftest import member, story_by

_TABLES = (Favourite._meta.db_table, StoryVote._meta.db_table)
_BEFORE = [
    ("posts", "0004_drop_favourite_account_index"),
    ("news", "0005_upcoming_topic_index_with_topic"),
]
_AFTER = [("posts", "0005_rowid_ids"), ("news", "0006_rowid_ids")]


def _table_sql() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_schema WHERE name IN (%s, %s)", list(_TABLES)
        )
        return [row[0] for row in cursor.fetchall()]


def _sequence_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_sequence WHERE name IN (%s, %s)", list(_TABLES)
        )
        return [row[0] for row in cursor.fetchall()]


def test_favourite_ids_say_when_they_were_made_whichever_path_wrote_them(
    submitter,
):
    digger, fan = member(), member()
    before_ms = int(time.time() * 1000)
    digg_story(digger, story=story_by(submitter))
    note = publish_note(submitter, text="A note to like.")
    favourite_post(fan, post=note)
    after_ms = int(time.time() * 1000)
    dugg = Favourite.objects.get(account=digger)
    liked = Favourite.objects.get(account=fan)
    assert before_ms <= id_to_unix_ms(dugg.id) <= id_to_unix_ms(liked.id) <= after_ms
    assert dugg.id < liked.id


@pytest.mark.database("sqlite")
def test_a_digg_on_sqlite_writes_no_sqlite_sequence_row(submitter):
    digg_story(member(), story=story_by(submitter))
    assert StoryVote.objects.count() == 1
    assert _sequence_rows() == []
    assert not any("AUTOINCREMENT" in sql for sql in _table_sql())


@pytest.mark.django_db(transaction=True)
def test_the_id_migrations_keep_existing_diggs_both_ways(submitter):
    story = story_by(submitter)
    first, second = member(), member()
    digg_story(first, story=story)
    rows = sorted(Favourite.objects.values_list("id", "account_id", "post_id"))
    votes = sorted(StoryVote.objects.values_list("id", "account_id", "weight"))

    executor = MigrationExecutor(connection)
    executor.migrate(_BEFORE)
    if connection.vendor == "sqlite":
        assert all("AUTOINCREMENT" in sql for sql in _table_sql())
    executor.loader.build_graph()
    executor.migrate(_AFTER)

    assert sorted(Favourite.objects.values_list("id", "account_id", "post_id")) == rows
    assert sorted(StoryVote.objects.values_list("id", "account_id", "weight")) == votes
    if connection.vendor == "sqlite":
        assert not any("AUTOINCREMENT" in sql for sql in _table_sql())
    # Diggs go on after the rebuild, numbered after the rows kept.
    digg_story(second, story=story)
    assert Favourite.objects.get(account=second).id > max(row[0] for row in rows)
    assert StoryVote.objects.get(account=second).id > max(vote[0] for vote in votes)


@pytest.mark.database("sqlite")
@pytest.mark.django_db(transaction=True)
def test_a_digg_on_sqlite_commits_once_with_its_rate_counter(submitter, rate_limits):
    rate_limits(digg__account=(5, 3600))
    story, digger = story_by(submitter), member()
    statements: list[str] = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(statements.append)
    try:
        digg_story(digger, story=story)
    finally:
        connection.connection.set_trace_callback(None)
    begins = [n for n, sql in enumerate(statements) if sql.startswith("BEGIN")]
    commits = [n for n, sql in enumerate(statements) if sql == "COMMIT"]
    assert len(begins) == len(commits) == 1
    counted = [n for n, sql in enumerate(statements) if "moderation_ratecounter" in sql]
    assert len(counted) == 1
    assert begins[0] < counted[0] < commits[0]
    assert RateCounter.objects.get().used == 1


# In the test's transaction, and committing on its own (SQLite's digg then
# begins and commits on the driver's connection).
@pytest.mark.parametrize(
    "committed",
    [False, pytest.param(True, marks=pytest.mark.django_db(transaction=True))],
    ids=["in_a_transaction", "committed"],
)
def test_a_digg_over_the_limit_writes_nothing(submitter, rate_limits, committed):
    rate_limits(digg__account=(1, 3600))
    digger = member()
    digg_story(digger, story=story_by(submitter))
    second = story_by(submitter, url="https://example.com/b")
    with pytest.raises(RateLimitedError):
        digg_story(digger, story=second)
    assert not Favourite.objects.filter(post_id=second.pk).exists()
    assert not StoryVote.objects.filter(story=second).exists()
