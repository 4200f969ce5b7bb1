"""The full-text index stays in step with posts on each database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubbub.posts.models import Post
from hubbub.search import index
from hubbub.search.queries import search_posts
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

# Each index belongs to one database; CI runs the suite on both.
sqlite_only = pytest.mark.database("sqlite")
postgresql_only = pytest.mark.database("postgresql")


def found(word):
    return [p.id for p in search_posts(None, word, limit=20, offset=0)]


def test_new_edited_and_removed_posts_are_searched_as_they_are_now(alice):
    post = PostFactory(author=alice, text="first draft")
    assert found("draft") == [post.id]
    post.text = "final copy"
    post.save()
    assert found("draft") == []
    assert found("final") == [post.id]
    # A save that leaves the text alone keeps it indexed once.
    Post.objects.filter(id=post.id).update(replies_count=3)
    post.save()
    assert found("copy") == [post.id]
    post.delete()
    assert found("final") == []


@sqlite_only
def test_migrations_leave_the_sqlite_index_complete():
    assert index.repair(connection) is False


@sqlite_only
def test_repair_restores_lost_triggers_and_reindexes(alice):
    # Django drops a table's triggers when it rebuilds the table to alter it.
    before = PostFactory(author=alice, text="kept before")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_post_fts_insert")
        cursor.execute("DROP TRIGGER search_post_fts_delete")
    during = PostFactory(author=alice, text="written during")
    before.delete()
    assert found("during") == []
    assert index.repair(connection) is True
    assert found("during") == [during.id]
    assert found("kept") == []
    after = PostFactory(author=alice, text="written after")
    assert found("written") == [after.id, during.id]


@sqlite_only
def test_uninstall_and_install_round_trip(alice):
    post = PostFactory(author=alice, text="round trip")
    index.uninstall(connection)
    assert index.repair(connection) is False
    index.install(connection)
    assert found("trip") == [post.id]


@postgresql_only
def test_postgresql_search_uses_the_gin_index(alice):
    """The query's tsvector expression must be the indexed one, exactly."""
    Post.objects.bulk_create(
        PostFactory.build(author=alice, text=f"filler {n}", conversation_id=1)
        for n in range(500)
    )
    PostFactory(author=alice, text="needle")
    with CaptureQueriesContext(connection) as captured:
        assert found("needle")
    (search_sql,) = [q["sql"] for q in captured.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")
        cursor.execute(f"EXPLAIN {search_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index.PG_INDEX in plan, plan
