"""Who gets a post in their home timeline: mentions, visibility, replies,
mutes, blocks and boosts, pushed on write and merged at read time.

Jobs run through the real worker; tests assert timeline rows and pages.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account, Block, Mute
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from hubbub.timelines.tasks import fan_out_post
from tests.conftest import make_account
from tests.factories import AccountFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dave(db) -> Account:
    return make_account("dave")


def readers_of(post: Post) -> set[int]:
    return set(
        TimelineEntry.objects.filter(post=post).values_list("reader_id", flat=True)
    )


def home_ids(account: Account) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds(limit=40))]


def follow(*pairs: tuple[Account, Account]) -> None:
    for follower, followee in pairs:
        follow_account(follower, followee=followee)


def boost(booster: Account, original: Post) -> Post:
    """A boost row as the boost action writes it, fanned out by the job."""
    post = PostFactory(author=booster, reblog_of=original, text="", html="")
    fan_out_post.call(post.id)
    return post


@pytest.fixture(params=["pushed", "merged"])
def delivery(request, settings):
    """Run a test with authors under and over the fan-out limit."""
    settings.HUBBUB_FANOUT_LIMIT = 10_000 if request.param == "pushed" else 0
    return request.param


# --- mentions and visibility ---------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers", "direct"])
def test_mentioned_people_get_the_post_whether_or_not_they_follow(
    alice, bob, carol, visibility, run_jobs, delivery
):
    with run_jobs():
        note = publish_note(alice, text="hey @bob", visibility=visibility)

    assert home_ids(bob) == [note.id]
    assert home_ids(carol) == []
    assert bob.pk in readers_of(note)


def test_direct_posts_reach_only_the_mentioned_and_the_author(
    alice, bob, carol, dave, run_jobs, delivery
):
    follow((carol, alice), (bob, alice))

    with run_jobs():
        note = publish_note(alice, text="@dave just you", visibility="direct")

    assert readers_of(note) == {alice.pk, dave.pk}
    assert home_ids(dave) == [note.id]
    assert home_ids(alice) == [note.id]
    assert home_ids(bob) == home_ids(carol) == []


def test_followers_only_reaches_followers_and_the_mentioned(
    alice, bob, carol, dave, run_jobs
):
    follow((bob, alice))

    with run_jobs():
        note = publish_note(alice, text="friends and @dave", visibility="followers")

    assert readers_of(note) == {alice.pk, bob.pk, dave.pk}
    assert home_ids(carol) == []


# --- replies ------------------------------------------------------------------


def test_a_reply_reaches_followers_who_also_follow_the_account_answered(
    alice, bob, carol, dave, run_jobs, delivery
):
    # bob answers alice. carol follows both; dave follows only bob.
    follow((carol, bob), (carol, alice), (dave, bob))
    root = publish_note(alice, text="root")

    with run_jobs():
        answer = publish_note(bob, text="no mention here", in_reply_to=root)

    assert answer.id in home_ids(carol)
    assert answer.id not in home_ids(dave)
    # alice does not follow bob and is not mentioned: no home entry for her.
    assert answer.id not in home_ids(alice)


def test_a_reply_reaches_the_account_answered_when_it_follows_the_replier(
    alice, bob, run_jobs, delivery
):
    follow((alice, bob))
    root = publish_note(alice, text="root")

    with run_jobs():
        answer = publish_note(bob, text="back at you", in_reply_to=root)

    assert answer.id in home_ids(alice)


def test_a_reply_that_mentions_reaches_the_mentioned(alice, bob, dave, run_jobs):
    follow((dave, bob))
    root = publish_note(alice, text="root")

    with run_jobs():
        answer = publish_note(bob, text="@alice @dave see", in_reply_to=root)

    assert answer.id in home_ids(alice)
    assert answer.id in home_ids(dave)


def test_a_self_reply_reaches_every_follower(alice, bob, run_jobs, delivery):
    follow((bob, alice))

    with run_jobs():
        root = publish_note(alice, text="a thread 1/2")
        more = publish_note(alice, text="2/2", in_reply_to=root)

    assert home_ids(bob) == [more.id, root.id]


# --- mutes and blocks ---------------------------------------------------------


@pytest.mark.parametrize(
    "relation",
    [
        pytest.param(lambda r, a: Mute.objects.create(account=r, target=a), id="mutes"),
        pytest.param(
            lambda r, a: Block.objects.create(account=r, target=a), id="blocks"
        ),
        pytest.param(
            lambda r, a: Block.objects.create(account=a, target=r), id="blocked"
        ),
    ],
)
def test_readers_who_mute_or_block_the_author_are_skipped(
    alice, bob, carol, relation, run_jobs, delivery
):
    follow((bob, alice), (carol, alice))
    relation(bob, alice)

    with run_jobs():
        note = publish_note(alice, text="hello all")
        mention = publish_note(alice, text="and @bob")

    assert bob.pk not in readers_of(note) | readers_of(mention)
    assert home_ids(bob) == []
    assert home_ids(carol) == [mention.id, note.id]


# --- boosts -------------------------------------------------------------------


def test_a_boost_reaches_the_boosters_followers(alice, bob, carol, run_jobs):
    follow((carol, bob))
    with run_jobs():
        original = publish_note(alice, text="worth sharing")

    shared = boost(bob, original)

    assert readers_of(shared) == {carol.pk}
    assert home_ids(carol) == [shared.id]


def test_a_boost_skips_the_originals_author(alice, bob, run_jobs):
    follow((alice, bob))
    with run_jobs():
        original = publish_note(alice, text="mine")

    shared = boost(bob, original)

    assert alice.pk not in readers_of(shared)
    assert home_ids(alice) == [original.id]


def test_a_boost_skips_readers_who_have_the_original(alice, bob, carol, run_jobs):
    follow((carol, alice), (carol, bob))
    with run_jobs():
        original = publish_note(alice, text="seen it")

    shared = boost(bob, original)

    assert carol.pk not in readers_of(shared)
    assert home_ids(carol) == [original.id]


def test_a_post_boosted_twice_shows_once(alice, bob, carol, dave, run_jobs):
    follow((dave, bob), (dave, carol))
    with run_jobs():
        original = publish_note(alice, text="popular")

    first = boost(bob, original)
    second = boost(carol, original)

    assert home_ids(dave) == [first.id]
    assert dave.pk not in readers_of(second)
    # Re-running the first boost's fan-out changes nothing.
    Post.objects.filter(pk=first.pk).update(fanned_out_at=None)
    fan_out_post.call(first.id)
    assert home_ids(dave) == [first.id]


def test_an_undone_boost_does_not_hide_a_later_one(alice, bob, carol, dave, run_jobs):
    follow((dave, bob), (dave, carol))
    with run_jobs():
        original = publish_note(alice, text="popular")
    first = boost(bob, original)
    Post.objects.filter(pk=first.pk).update(deleted_at=first.created_at)

    second = boost(carol, original)

    assert home_ids(dave) == [second.id]


def test_a_boost_skips_readers_who_mute_the_originals_author(
    alice, bob, carol, run_jobs
):
    follow((carol, bob))
    Mute.objects.create(account=carol, target=alice)
    with run_jobs():
        original = publish_note(alice, text="muted voice")

    shared = boost(bob, original)

    assert carol.pk not in readers_of(shared)


def test_a_boost_of_a_big_accounts_post_skips_its_followers(
    alice, bob, carol, dave, settings, run_jobs
):
    # Over the limit of one follower, alice is merged at read time; bob,
    # with one follower, is pushed.
    settings.HUBBUB_FANOUT_LIMIT = 1
    follow((carol, alice), (dave, alice), (carol, bob))
    with run_jobs():
        original = publish_note(alice, text="from a big account")
    assert readers_of(original) == {alice.pk}

    shared = boost(bob, original)

    assert carol.pk not in readers_of(shared)
    assert home_ids(carol) == [original.id]


# --- the read-time merge keeps the same rules ---------------------------------


def test_merge_leaves_out_replies_to_strangers_and_keeps_replies_to_you(
    alice, bob, carol, dave, settings, run_jobs
):
    settings.HUBBUB_FANOUT_LIMIT = 0
    follow((carol, bob), (bob, carol))
    stranger_root = publish_note(dave, text="root by a stranger")
    carols_root = publish_note(carol, text="root by carol")

    with run_jobs():
        to_stranger = publish_note(bob, text="hi", in_reply_to=stranger_root)
        to_carol = publish_note(bob, text="hi", in_reply_to=carols_root)

    page = home_ids(carol)
    assert to_carol.id in page
    assert to_stranger.id not in page


def test_merge_leaves_out_muted_big_accounts(alice, bob, settings, run_jobs):
    settings.HUBBUB_FANOUT_LIMIT = 0
    follow((bob, alice))
    Mute.objects.create(account=bob, target=alice)

    with run_jobs():
        publish_note(alice, text="loud")

    assert home_ids(bob) == []


def test_merge_leaves_out_boosts_of_your_own_and_stored_posts(
    alice, bob, carol, settings, run_jobs
):
    follow((alice, bob), (carol, bob), (carol, alice))
    with run_jobs():
        original = publish_note(alice, text="original")
    settings.HUBBUB_FANOUT_LIMIT = 0  # bob's boosts are merged now

    shared = PostFactory(author=bob, reblog_of=original, text="", html="")
    fan_out_post.call(shared.id)

    assert home_ids(alice) == [original.id]
    assert home_ids(carol) == [original.id]
    newcomer = AccountFactory()
    follow((newcomer, bob))
    assert shared.id in home_ids(newcomer)


# --- batches stay single statements -------------------------------------------


def test_each_batch_is_one_insert_select(alice, settings):
    settings.HUBBUB_FANOUT_BATCH_SIZE = 2
    followers = AccountFactory.create_batch(5)
    for follower in followers:
        follow((follower, alice))
    root = publish_note(followers[0], text="root")
    answer = publish_note(alice, text="@" + followers[1].username, in_reply_to=root)
    # Written first, so that only the answer's statements are counted: a
    # job also writes the other small posts waiting.
    fan_out_post.call(root.id)

    with CaptureQueriesContext(connection) as queries:
        fan_out_post.call(answer.id)

    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")
    ]
    # One for the mentioned, then one per batch of two followers.
    assert len(inserts) == 1 + 3
    assert all("ON CONFLICT" in sql and "SELECT" in sql for sql in inserts)
    assert readers_of(answer) == {alice.pk, followers[0].pk, followers[1].pk}
