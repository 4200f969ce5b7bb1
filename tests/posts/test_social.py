"""Favourites, boosts and deletion, on the real database.

Jobs run through the real worker (``run_jobs``); refusals are checked by
counting rows before and after.
"""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import block_account, follow_account
from hubbub.accounts.models import Account
from hubbub.notifications.models import Notification, NotificationType
from hubbub.posts.actions import (
    boost_post,
    delete_post,
    favourite_post,
    publish_note,
    unboost_post,
    unfavourite_post,
)
from hubbub.posts.models import Favourite, Mention, Post, Visibility
from hubbub.posts.queries import (
    boosted_by,
    favourited_by,
    get_post,
    get_post_with_flags,
)
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.conftest import make_account
from tests.factories import AccountFactory, PostFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def home_ids(account: Account) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds(limit=40))]


def counters(post: Post) -> tuple[int, int, int]:
    post.refresh_from_db()
    return post.favourites_count, post.reblogs_count, post.replies_count


def notifications(kind: NotificationType) -> list[tuple[int, int, int | None]]:
    return list(
        Notification.objects.filter(type=kind).values_list(
            "recipient_id", "actor_id", "post_id"
        )
    )


def table_sizes() -> tuple[int, ...]:
    return (
        Post.objects.count(),
        Favourite.objects.count(),
        TimelineEntry.objects.count(),
        Notification.objects.count(),
        DBTaskResult.objects.count(),
    )


@pytest.fixture
def note(alice) -> Post:
    return publish_note(alice, text="a public note")


# --- favourites ------------------------------------------------------------------


def test_favourite_counts_flags_and_notifies_after_commit(alice, bob, note, run_jobs):
    with run_jobs():
        favourite = favourite_post(bob, post=note)

    assert (favourite.account_id, favourite.post_id) == (bob.pk, note.id)
    assert counters(note) == (1, 0, 0)
    assert get_post_with_flags(bob, note.id).favourited
    assert not get_post_with_flags(alice, note.id).favourited
    assert notifications(NotificationType.FAVOURITE) == [(alice.pk, bob.pk, note.id)]


def test_favourite_is_queued_only_after_commit(
    alice, bob, note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        favourite_post(bob, post=note)
        assert not DBTaskResult.objects.exists()

    assert len(callbacks) == 1
    callbacks[0]()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "hubbub.notifications.tasks.notify_favourite"
    assert not Notification.objects.exists()


def test_favouriting_twice_is_a_no_op(alice, bob, note, run_jobs):
    with run_jobs():
        first = favourite_post(bob, post=note)
        second = favourite_post(bob, post=note)

    assert second.pk == first.pk
    assert Favourite.objects.count() == 1
    assert counters(note) == (1, 0, 0)
    assert len(notifications(NotificationType.FAVOURITE)) == 1


def test_favouriting_a_boost_favourites_its_original(alice, bob, carol, note):
    boost = boost_post(carol, post=note)

    favourite_post(bob, post=boost)

    assert Favourite.objects.get().post_id == note.id
    assert counters(note) == (1, 1, 0)
    assert get_post_with_flags(bob, boost.id).favourited


def test_your_own_favourite_notifies_nobody(alice, note, run_jobs):
    with run_jobs():
        favourite_post(alice, post=note)

    assert counters(note) == (1, 0, 0)
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "make_target",
    [
        pytest.param(
            lambda alice, carol: publish_note(
                alice, text="followers", visibility=Visibility.FOLLOWERS
            ),
            id="followers-only",
        ),
        pytest.param(
            lambda alice, carol: publish_note(
                alice, text="@carol psst", visibility=Visibility.DIRECT
            ),
            id="direct-to-someone-else",
        ),
        pytest.param(
            lambda alice, carol: PostFactory(author=alice, deleted_at=timezone.now()),
            id="deleted",
        ),
    ],
)
def test_favourite_of_a_post_you_may_not_see_is_404_and_writes_nothing(
    alice, bob, carol, make_target, django_capture_on_commit_callbacks
):
    target = make_target(alice, carol)
    before = table_sizes()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Http404),
    ):
        favourite_post(bob, post=target)

    assert table_sizes() == before
    assert counters(target)[0] == 0


def test_favourite_across_a_block_is_404(alice, bob, note):
    block_account(alice, target=bob)

    with pytest.raises(Http404):
        favourite_post(bob, post=note)

    assert not Favourite.objects.exists()


def test_unfavourite_withdraws_count_and_notification(alice, bob, note, run_jobs):
    with run_jobs():
        favourite_post(bob, post=note)

    unfavourite_post(bob, post=note)

    assert not Favourite.objects.exists()
    assert counters(note) == (0, 0, 0)
    assert not Notification.objects.exists()
    assert not get_post_with_flags(bob, note.id).favourited


def test_unfavourite_without_a_favourite_is_a_no_op(alice, bob, carol, note):
    favourite_post(carol, post=note)

    unfavourite_post(bob, post=note)
    unfavourite_post(bob, post=note)

    assert counters(note) == (1, 0, 0)
    assert Favourite.objects.get().account_id == carol.pk


def test_unfavourite_before_the_job_runs_leaves_no_notification(
    alice, bob, note, run_jobs
):
    with run_jobs():
        favourite_post(bob, post=note)
        unfavourite_post(bob, post=note)

    assert not Notification.objects.exists()


def test_favourite_again_after_unfavourite_notifies_again(alice, bob, note, run_jobs):
    with run_jobs():
        favourite_post(bob, post=note)
    unfavourite_post(bob, post=note)
    with run_jobs():
        favourite_post(bob, post=note)

    assert counters(note) == (1, 0, 0)
    assert len(notifications(NotificationType.FAVOURITE)) == 1


def test_favourited_by_lists_newest_first_and_hides_blocked(alice, bob, carol, note):
    dave = make_account("dave")
    for person in (bob, carol, dave):
        favourite_post(person, post=note)
    block_account(dave, target=bob)

    assert [a.username for a in favourited_by(None, note.id)] == [
        "dave",
        "carol",
        "bob",
    ]
    assert [a.username for a in favourited_by(bob, note.id)] == ["carol", "bob"]
    assert [a.username for a in favourited_by(dave, note.id)] == ["dave", "carol"]


def test_favourited_by_a_post_you_may_not_see_is_404(alice, bob):
    secret = publish_note(alice, text="for followers", visibility=Visibility.FOLLOWERS)
    favourite_post(alice, post=secret)

    with pytest.raises(Http404):
        favourited_by(bob, secret.id)
    with pytest.raises(Http404):
        boosted_by(None, secret.id)


# --- boosts ----------------------------------------------------------------------


def test_boost_is_a_new_post_in_timelines_and_notifies(
    alice, bob, carol, note, run_jobs
):
    follow_account(carol, followee=bob)

    with run_jobs():
        boost = boost_post(bob, post=note)
        # The booster sees it at once, before any job.
        assert home_ids(bob)[0] == boost.id

    stored = Post.objects.get(pk=boost.pk)
    assert stored.reblog_of_id == note.id
    assert (stored.text, stored.html) == ("", "")
    assert stored.visibility == Visibility.PUBLIC
    assert stored.author_id == bob.pk
    assert counters(note) == (0, 1, 0)
    assert boost.id in home_ids(carol)
    assert get_post_with_flags(bob, note.id).boosted
    assert get_post_with_flags(bob, boost.id).boosted
    assert not get_post_with_flags(carol, note.id).boosted
    assert notifications(NotificationType.REBLOG) == [(alice.pk, bob.pk, note.id)]
    assert [a.username for a in boosted_by(carol, note.id)] == ["bob"]
    bob.refresh_from_db()
    assert bob.posts_count == 0  # a boost is not a note of one's own


def test_boost_can_be_unlisted(alice, bob, note):
    boost = boost_post(bob, post=note, visibility=Visibility.UNLISTED)

    assert boost.visibility == Visibility.UNLISTED


def test_boosting_twice_returns_the_same_boost(alice, bob, note, run_jobs):
    with run_jobs():
        first = boost_post(bob, post=note)
        second = boost_post(bob, post=note)

    assert second.pk == first.pk
    assert Post.objects.filter(reblog_of=note).count() == 1
    assert counters(note) == (0, 1, 0)
    assert len(notifications(NotificationType.REBLOG)) == 1


def test_boosting_a_boost_boosts_its_original(alice, bob, carol, note):
    boost = boost_post(bob, post=note)

    again = boost_post(carol, post=boost)

    assert again.reblog_of_id == note.id
    assert counters(note) == (0, 2, 0)


@pytest.mark.parametrize("visibility", [Visibility.FOLLOWERS, Visibility.DIRECT])
@pytest.mark.parametrize("booster", ["author", "follower"])
def test_boosting_a_private_note_is_refused_and_writes_nothing(
    alice, bob, visibility, booster, django_capture_on_commit_callbacks
):
    follow_account(bob, followee=alice)
    private = publish_note(alice, text="@bob only for you", visibility=visibility)
    Mention.objects.get_or_create(post=private, account=bob)  # bob may see it
    account = alice if booster == "author" else bob
    before = table_sizes()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as caught,
    ):
        boost_post(account, post=private)

    assert caught.value.code == "private"
    assert table_sizes() == before
    assert counters(private)[1] == 0


@pytest.mark.parametrize("visibility", [Visibility.FOLLOWERS, Visibility.DIRECT, "x"])
def test_boost_with_a_private_visibility_is_refused(alice, bob, note, visibility):
    with pytest.raises(ValidationError) as caught:
        boost_post(bob, post=note, visibility=visibility)

    assert caught.value.code == "invalid_visibility"
    assert not Post.objects.filter(reblog_of=note).exists()


def test_boosting_what_you_may_not_see_is_404(alice, bob, carol):
    secret = publish_note(alice, text="followers", visibility=Visibility.FOLLOWERS)
    gone = publish_note(alice, text="soon gone")
    delete_post(alice, post=gone)
    before = table_sizes()

    for target in (secret, gone):
        with pytest.raises(Http404):
            boost_post(bob, post=target)

    assert table_sizes() == before


def test_unboost_takes_the_boost_out_of_every_timeline(
    alice, bob, carol, note, run_jobs
):
    follow_account(carol, followee=bob)
    with run_jobs():
        boost = boost_post(bob, post=note)
    assert boost.id in home_ids(carol)

    unboost_post(bob, post=note)

    boost.refresh_from_db()
    assert boost.deleted_at is not None
    assert not TimelineEntry.objects.filter(post=boost).exists()
    assert boost.id not in home_ids(carol)
    assert counters(note) == (0, 0, 0)
    assert not Notification.objects.exists()
    assert not get_post_with_flags(bob, note.id).boosted
    assert list(boosted_by(carol, note.id)) == []


def test_unboost_twice_or_without_a_boost_is_a_no_op(alice, bob, carol, note):
    boost_post(carol, post=note)
    boost_post(bob, post=note)

    unboost_post(bob, post=note)
    unboost_post(bob, post=note)
    unboost_post(alice, post=note)

    assert counters(note) == (0, 1, 0)
    assert Post.objects.filter(reblog_of=note, deleted_at__isnull=True).count() == 1


def test_boost_again_after_unboost(alice, bob, note):
    first = boost_post(bob, post=note)
    unboost_post(bob, post=first)

    second = boost_post(bob, post=note)

    assert second.pk != first.pk
    assert counters(note) == (0, 1, 0)


def test_unboost_before_the_job_runs_leaves_no_notification(alice, bob, note, run_jobs):
    with run_jobs():
        boost_post(bob, post=note)
        unboost_post(bob, post=note)

    assert not Notification.objects.exists()


# --- deleting --------------------------------------------------------------------


def test_delete_removes_the_note_everywhere_and_its_counters(
    alice, bob, carol, run_jobs
):
    follow_account(bob, followee=alice)
    follow_account(carol, followee=bob)
    with run_jobs():
        note = publish_note(alice, text="regrettable")
        boost = boost_post(bob, post=note)
        favourite_post(carol, post=note)
    assert note.id in home_ids(bob)
    assert boost.id in home_ids(carol)
    assert Notification.objects.filter(post=note).count() == 2

    delete_post(alice, post=note)

    note.refresh_from_db()
    boost.refresh_from_db()
    assert note.deleted_at is not None
    assert boost.deleted_at is not None
    assert not TimelineEntry.objects.filter(post__in=[note, boost]).exists()
    for reader in (alice, bob, carol):
        assert home_ids(reader) == []
        with pytest.raises(Http404):
            get_post(reader, note.id)
    assert counters(note)[1] == 0
    alice.refresh_from_db()
    assert alice.posts_count == 0
    assert not Notification.objects.exists()


def test_delete_keeps_replies_and_takes_back_the_reply_count(alice, bob, note):
    reply = PostFactory(author=bob, in_reply_to=note)
    answer = PostFactory(author=alice, in_reply_to=reply)
    Post.objects.filter(id__in=[note.id, reply.id]).update(replies_count=1)

    delete_post(bob, post=reply)

    assert counters(note)[2] == 0
    answer_seen = get_post(None, answer.id)
    assert answer_seen.in_reply_to_id == reply.id
    assert answer_seen.conversation_id == note.id
    delete_post(alice, post=note)
    assert get_post(None, answer.id).in_reply_to_id == reply.id


def test_delete_twice_is_a_no_op(alice, note):
    publish_note(alice, text="another")
    delete_post(alice, post=note)

    delete_post(alice, post=note)

    alice.refresh_from_db()
    assert alice.posts_count == 1


def test_delete_by_someone_else_is_404_and_writes_nothing(alice, bob, note):
    boost_post(bob, post=note)
    before = table_sizes()

    with pytest.raises(Http404):
        delete_post(bob, post=note)

    assert table_sizes() == before
    note.refresh_from_db()
    assert note.deleted_at is None


def test_deleting_a_boost_unboosts(alice, bob, note):
    boost = boost_post(bob, post=note)

    delete_post(bob, post=boost)

    boost.refresh_from_db()
    assert boost.deleted_at is not None
    assert counters(note) == (0, 0, 0)
    note.refresh_from_db()
    assert note.deleted_at is None


def test_a_boost_of_a_deleted_note_is_not_undone_twice(alice, bob, note):
    boost = boost_post(bob, post=note)
    delete_post(alice, post=note)

    unboost_post(bob, post=note)
    delete_post(bob, post=boost)

    assert counters(note) == (0, 0, 0)


# --- concurrency -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_favourites_give_an_exact_count():
    author = AccountFactory()
    note = publish_note(author, text="popular")
    fans = AccountFactory.create_batch(12)
    # Each fan presses twice, so duplicates race too.
    calls = [
        lambda fan=fan: favourite_post(fan, post=note) for fan in fans for _ in (1, 2)
    ]

    assert run_together(calls) == []

    assert Favourite.objects.filter(post=note).count() == len(fans)
    assert counters(note)[0] == len(fans)


@pytest.mark.django_db(transaction=True)
def test_concurrent_favourite_and_unfavourite_keep_the_count_exact():
    author = AccountFactory()
    note = publish_note(author, text="contested")
    fans = AccountFactory.create_batch(8)
    for fan in fans[:4]:
        favourite_post(fan, post=note)
    calls = [lambda fan=fan: favourite_post(fan, post=note) for fan in fans[4:]] + [
        lambda fan=fan: unfavourite_post(fan, post=note) for fan in fans[:4]
    ]

    assert run_together(calls) == []

    assert counters(note)[0] == Favourite.objects.filter(post=note).count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_boosts_by_one_person_make_one_boost():
    author, booster = AccountFactory.create_batch(2)
    note = publish_note(author, text="boost me")

    assert run_together([lambda: boost_post(booster, post=note)] * 6) == []

    assert Post.objects.filter(reblog_of=note, deleted_at__isnull=True).count() == 1
    assert counters(note)[1] == 1
