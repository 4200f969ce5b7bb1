"""Prepared queries give what the ORM gives, compiled once per shape."""

import pytest
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from hubbub.accounts.models import Account
from hubbub.core.prepared import PreparedQueries, Stand, id_in
from hubbub.posts.models import Post
from hubbub.posts.queries import visible_posts, with_authors, with_viewer_flags
from tests.factories import AccountFactory, PostFactory

pytestmark = pytest.mark.django_db


def flagged_posts(viewer: Account) -> QuerySet[Post]:
    return with_viewer_flags(with_authors(visible_posts(viewer)), viewer)


def test_rows_match_the_orm_for_every_viewer_and_fragment(alice, bob, carol):
    posts = [PostFactory(author=author) for author in (alice, bob, carol, bob)]
    PostFactory(author=bob, visibility="direct")  # visible to bob alone
    builds: list[int] = []

    def build(stand: Stand) -> QuerySet[Post]:
        builds.append(1)
        viewer = Account(pk=stand.value("viewer"))
        return (
            flagged_posts(viewer)
            .filter(id__in=stand.fragment("ids"), id__lt=stand.value("below"))
            .order_by("-id")
        )

    prepared = PreparedQueries(Post)
    below = posts[-1].id + 1
    all_ids = Post.objects.values("id")
    for viewer in (alice, bob, carol):
        for ids in (
            RawSQL("SELECT id FROM posts_post WHERE author_id <> %s", [carol.pk]),
            [posts[0].id, posts[2].id],
            [],
        ):
            got = prepared.run(
                "page",
                build,
                values={"viewer": viewer.pk, "below": below},
                fragments={"ids": ids},
            )
            wanted = list(
                flagged_posts(viewer)
                .filter(
                    id__in=ids
                    if isinstance(ids, list)
                    else all_ids.exclude(author=carol),
                    id__lt=below,
                )
                .order_by("-id")
            )
            assert [p.id for p in got] == [p.id for p in wanted]
            for mine, theirs in zip(got, wanted, strict=True):
                assert mine.author.username == theirs.author.username
                assert (mine.favourited, mine.boosted) == (
                    theirs.favourited,
                    theirs.boosted,
                )
                assert mine.created_at == theirs.created_at
    assert len(builds) == 1


def test_an_id_list_keeps_a_shape_one_statement_planned_once(alice):
    posts = [PostFactory(author=alice) for _ in range(3)]
    prepared = PreparedQueries(Post)
    using = router.db_for_read(Post)

    def build(stand: Stand) -> QuerySet[Post]:
        return Post.objects.filter(id__in=stand.fragment("ids")).order_by("id")

    for some in (posts[:1], posts):
        sql, params = id_in("listed.id", [p.id for p in some], using)
        fragment = RawSQL(  # noqa: S611
            f"SELECT listed.id FROM posts_post listed WHERE {sql}",  # noqa: S608
            params,
        )
        got = prepared.run("ids", build, values={}, fragments={"ids": fragment})
        assert got == some
    if connections[using].vendor == "postgresql":
        # One server-side statement for both lengths, planned once for any
        # values: both runs used its generic plan.
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE %s",
                ["%posts_post listed%"],
            )
            assert cursor.fetchall() == [(2, 0)]


def test_a_value_the_query_does_not_take_is_refused(alice):
    def build(stand: Stand) -> QuerySet[Post]:
        stand.value("unused")
        return Post.objects.filter(author_id=alice.pk)

    with pytest.raises(ValueError, match="unused"):
        PreparedQueries(Post).run("k", build, values={"unused": 1})


def test_shapes_are_kept_apart(alice):
    mine = PostFactory(author=alice)
    other = PostFactory(author=AccountFactory())
    prepared = PreparedQueries(Post)

    def by(author_field: str):
        def build(stand: Stand) -> QuerySet[Post]:
            return Post.objects.filter(**{author_field: stand.value("who")})

        return build

    assert prepared.run("author", by("author_id"), values={"who": alice.pk}) == [mine]
    # Another key builds its own query, even from the same values.
    assert prepared.run(
        "not",
        lambda s: Post.objects.exclude(author_id=s.value("who")),
        values={"who": alice.pk},
    ) == [other]


def test_a_rows_columns_read_as_the_instances_hold_them(alice, bob):
    note = PostFactory(author=bob)
    boost = PostFactory(author=alice, reblog_of=note)
    rows = PreparedQueries(Post).rows(
        "boosts",
        lambda s: with_authors(Post.objects.filter(author_id=s.value("who"))),
        values={"who": alice.pk},
    )

    (row,) = rows.rows
    assert rows.column("id")(row) == boost.id
    # Converted as the model holds it (a string on SQLite before that).
    assert rows.column("reblog_of", "created_at")(row) == note.created_at
    assert rows.column("reblog_of", "author", "username")(row) == bob.username
    # The same rows, built into instances once.
    assert rows.instances() == [boost]
    assert rows.instances()[0] is rows.instances()[0]
