"""Locked accounts, follow requests, blocks and mutes, on the real database."""

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import (
    approve_follow_request,
    block_account,
    follow_account,
    mute_account,
    reject_follow_request,
    set_locked,
    unblock_account,
    unfollow_account,
    unmute_account,
)
from hubbub.accounts.models import Account, Block, Follow, FollowRequest, Mute
from hubbub.accounts.queries import (
    Relationship,
    blocked_accounts,
    follow_requesters,
    muted_accounts,
    relationship,
    relationships,
)
from hubbub.notifications.actions import notify
from hubbub.notifications.models import Notification, NotificationType
from hubbub.posts.actions import favourite_post, publish_note
from hubbub.posts.models import Visibility
from hubbub.posts.queries import get_post
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.conftest import make_account
from tests.factories import AccountFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def home_ids(account: Account) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds(limit=40))]


def counts(account: Account) -> tuple[int, int]:
    account.refresh_from_db()
    return account.followers_count, account.following_count


def kinds_for(account: Account) -> list[str]:
    return list(
        Notification.objects.filter(recipient=account)
        .order_by("id")
        .values_list("type", flat=True)
    )


def table_sizes() -> tuple[int, ...]:
    return (
        Follow.objects.count(),
        FollowRequest.objects.count(),
        Block.objects.count(),
        Mute.objects.count(),
        Notification.objects.count(),
        DBTaskResult.objects.count(),
    )


@pytest.fixture
def locked_bob(bob) -> Account:
    set_locked(bob, locked=True)
    return bob


# --- follow notifications --------------------------------------------------------


def test_follow_notifies_after_commit_once(alice, bob, run_jobs):
    with run_jobs():
        follow_account(alice, followee=bob)
        follow_account(alice, followee=bob)
    with run_jobs():
        unfollow_account(alice, followee=bob)
        follow_account(alice, followee=bob)

    assert kinds_for(bob) == [NotificationType.FOLLOW]
    assert counts(bob) == (1, 0)


# --- locked accounts -------------------------------------------------------------


def test_following_a_locked_account_asks_instead(alice, locked_bob, run_jobs):
    secret = publish_note(locked_bob, text="mine", visibility=Visibility.FOLLOWERS)

    with run_jobs():
        request = follow_account(alice, followee=locked_bob)

    assert isinstance(request, FollowRequest)
    assert (request.follower_id, request.followee_id) == (alice.pk, locked_bob.pk)
    assert not Follow.objects.exists()
    assert counts(locked_bob) == (0, 0)
    assert counts(alice) == (0, 0)
    assert home_ids(alice) == []
    with pytest.raises(Http404):
        get_post(alice, secret.id)
    assert kinds_for(locked_bob) == [NotificationType.FOLLOW_REQUEST]
    assert relationship(alice, locked_bob) == Relationship(requested=True)
    assert relationship(locked_bob, alice) == Relationship(requested_by=True)
    assert list(follow_requesters(locked_bob)) == [alice]


def test_asking_twice_is_a_no_op(alice, locked_bob, run_jobs):
    with run_jobs():
        first = follow_account(alice, followee=locked_bob)
        second = follow_account(alice, followee=locked_bob)

    assert second.pk == first.pk
    assert FollowRequest.objects.count() == 1
    assert kinds_for(locked_bob) == [NotificationType.FOLLOW_REQUEST]


def test_approve_follows_with_counters_and_backfill(alice, locked_bob, run_jobs):
    secret = publish_note(locked_bob, text="mine", visibility=Visibility.FOLLOWERS)
    with run_jobs():
        follow_account(alice, followee=locked_bob)

    follow = approve_follow_request(locked_bob, follower=alice)

    assert (follow.follower_id, follow.followee_id) == (alice.pk, locked_bob.pk)
    assert not FollowRequest.objects.exists()
    assert counts(locked_bob) == (1, 0)
    assert counts(alice) == (0, 1)
    assert home_ids(alice) == [secret.id]
    assert get_post(alice, secret.id) == secret
    # The request is answered, so its notification goes.
    assert kinds_for(locked_bob) == []
    assert relationship(alice, locked_bob) == Relationship(following=True)


def test_approving_twice_returns_the_follow(alice, locked_bob):
    follow_account(alice, followee=locked_bob)
    first = approve_follow_request(locked_bob, follower=alice)

    second = approve_follow_request(locked_bob, follower=alice)

    assert second.pk == first.pk
    assert counts(locked_bob) == (1, 0)


def test_approving_someone_who_did_not_ask_is_refused(alice, locked_bob):
    before = table_sizes()

    with pytest.raises(ValidationError) as caught:
        approve_follow_request(locked_bob, follower=alice)

    assert caught.value.code == "no_request"
    assert table_sizes() == before


def test_following_again_while_following_is_a_no_op(alice, locked_bob):
    follow_account(alice, followee=locked_bob)
    first = approve_follow_request(locked_bob, follower=alice)

    again = follow_account(alice, followee=locked_bob)

    assert again == first
    assert not FollowRequest.objects.exists()


def test_reject_removes_the_request_and_its_notification(alice, locked_bob, run_jobs):
    with run_jobs():
        follow_account(alice, followee=locked_bob)

    reject_follow_request(locked_bob, follower=alice)
    reject_follow_request(locked_bob, follower=alice)

    assert not FollowRequest.objects.exists()
    assert not Follow.objects.exists()
    assert kinds_for(locked_bob) == []
    assert counts(locked_bob) == (0, 0)


def test_unfollow_withdraws_a_pending_request(alice, locked_bob, run_jobs):
    with run_jobs():
        follow_account(alice, followee=locked_bob)

    unfollow_account(alice, followee=locked_bob)

    assert not FollowRequest.objects.exists()
    assert kinds_for(locked_bob) == []


def test_unlocking_approves_everyone_waiting(alice, carol, locked_bob):
    follow_account(alice, followee=locked_bob)
    follow_account(carol, followee=locked_bob)

    set_locked(locked_bob, locked=False)

    assert not FollowRequest.objects.exists()
    assert set(Follow.objects.values_list("follower_id", flat=True)) == {
        alice.pk,
        carol.pk,
    }
    assert counts(locked_bob) == (2, 0)
    assert not Account.objects.get(pk=locked_bob.pk).locked


# --- blocks ----------------------------------------------------------------------


def test_block_removes_follows_requests_timelines_and_notifications(
    alice, bob, carol, run_jobs
):
    with run_jobs():
        follow_account(alice, followee=bob)
        follow_account(bob, followee=alice)
        follow_account(carol, followee=bob)
        by_alice = publish_note(alice, text="from alice")
        by_bob = publish_note(bob, text="from bob")
        favourite_post(bob, post=by_alice)
    assert by_bob.id in home_ids(alice)
    assert by_alice.id in home_ids(bob)
    assert kinds_for(alice) == [NotificationType.FOLLOW, NotificationType.FAVOURITE]

    block = block_account(alice, target=bob)

    assert (block.account_id, block.target_id) == (alice.pk, bob.pk)
    assert list(Follow.objects.values_list("follower_id", "followee_id")) == [
        (carol.pk, bob.pk)
    ]
    assert counts(alice) == (0, 0)
    assert counts(bob) == (1, 0)
    assert home_ids(alice) == [by_alice.id]
    assert home_ids(bob) == [by_bob.id]
    assert kinds_for(alice) == []
    # Carol's follow of bob is still news to him; alice's is gone.
    assert list(
        Notification.objects.filter(recipient=bob).values_list("actor_id", flat=True)
    ) == [carol.pk]
    assert relationship(alice, bob) == Relationship(blocking=True)
    assert relationship(bob, alice) == Relationship(blocked_by=True)
    # Neither sees the other's posts, in either direction.
    with pytest.raises(Http404):
        get_post(bob, by_alice.id)
    with pytest.raises(Http404):
        get_post(alice, by_bob.id)


def test_block_removes_follow_requests_both_ways(alice, bob):
    set_locked(alice, locked=True)
    set_locked(bob, locked=True)
    follow_account(alice, followee=bob)
    follow_account(bob, followee=alice)

    block_account(bob, target=alice)

    assert not FollowRequest.objects.exists()


def test_blocking_twice_is_a_no_op(alice, bob):
    first = block_account(alice, target=bob)

    second = block_account(alice, target=bob)

    assert second.pk == first.pk
    assert Block.objects.count() == 1


def test_blocking_yourself_is_refused_and_writes_nothing(alice):
    before = table_sizes()

    with pytest.raises(ValidationError) as caught:
        block_account(alice, target=alice)

    assert caught.value.code == "self"
    assert table_sizes() == before


@pytest.mark.parametrize(
    ("blocker", "code"), [("bob", "blocked"), ("alice", "blocking")]
)
def test_following_across_a_block_is_refused_and_writes_nothing(
    alice, bob, blocker, code, run_jobs
):
    if blocker == "bob":
        block_account(bob, target=alice)
    else:
        block_account(alice, target=bob)
    before = table_sizes()

    with run_jobs(), pytest.raises(ValidationError) as caught:
        follow_account(alice, followee=bob)

    assert caught.value.code == code
    assert table_sizes() == before
    assert counts(alice) == (0, 0)
    assert counts(bob) == (0, 0)


def test_blocked_account_cannot_notify(alice, bob):
    block_account(alice, target=bob)
    note = publish_note(alice, text="hello")

    assert notify(alice.pk, actor_id=bob.pk, kind=NotificationType.FOLLOW) is None
    with pytest.raises(Http404):
        favourite_post(bob, post=note)
    assert not Notification.objects.exists()


def test_unblock_lets_them_follow_again(alice, bob):
    follow_account(bob, followee=alice)
    block_account(alice, target=bob)

    unblock_account(alice, target=bob)
    unblock_account(alice, target=bob)

    assert not Block.objects.exists()
    # The follow the block removed stays removed.
    assert not Follow.objects.exists()
    follow_account(bob, followee=alice)
    assert counts(alice) == (1, 0)


# --- mutes -----------------------------------------------------------------------


def test_mute_hides_their_posts_and_notifications(alice, bob, run_jobs):
    with run_jobs():
        follow_account(alice, followee=bob)
        follow_account(bob, followee=alice)
        by_bob = publish_note(bob, text="noisy")
    assert by_bob.id in home_ids(alice)
    assert kinds_for(alice) == [NotificationType.FOLLOW]

    mute = mute_account(alice, target=bob)

    assert (mute.account_id, mute.target_id) == (alice.pk, bob.pk)
    assert home_ids(alice) == []
    assert kinds_for(alice) == []
    # Follows are untouched, and bob is not told anything.
    assert Follow.objects.count() == 2
    assert relationship(alice, bob) == Relationship(
        following=True, followed_by=True, muting=True
    )
    assert relationship(bob, alice) == Relationship(following=True, followed_by=True)
    # New notifications from bob don't reach alice.
    note = publish_note(alice, text="hello")
    with run_jobs():
        favourite_post(bob, post=note)
    assert kinds_for(alice) == []


def test_unmute_brings_back_followed_notes(alice, bob):
    follow_account(alice, followee=bob)
    by_bob = publish_note(bob, text="back again")
    mute_account(alice, target=bob)
    assert home_ids(alice) == []

    unmute_account(alice, target=bob)
    unmute_account(alice, target=bob)

    assert not Mute.objects.exists()
    assert home_ids(alice) == [by_bob.id]


def test_muting_twice_is_a_no_op_and_yourself_is_refused(alice, bob):
    first = mute_account(alice, target=bob)
    assert mute_account(alice, target=bob).pk == first.pk

    with pytest.raises(ValidationError) as caught:
        mute_account(alice, target=alice)

    assert caught.value.code == "self"
    assert Mute.objects.count() == 1


# --- relationship queries --------------------------------------------------------


def test_relationship_is_one_query(alice, bob, django_assert_num_queries):
    follow_account(alice, followee=bob)

    with django_assert_num_queries(1):
        found = relationship(alice, bob)

    assert found == Relationship(following=True)


def test_relationship_with_yourself_or_anonymous_needs_no_query(
    alice, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert relationship(alice, alice) == Relationship()
        assert relationship(None, alice) == Relationship()


def test_relationships_answers_many_in_one_query(
    alice, bob, carol, django_assert_num_queries
):
    follow_account(alice, followee=bob)
    mute_account(alice, target=carol)

    with django_assert_num_queries(1):
        found = relationships(alice, [bob.pk, carol.pk, alice.pk, 12345])

    assert found == {
        bob.pk: Relationship(following=True),
        carol.pk: Relationship(muting=True),
        alice.pk: Relationship(),
    }


def test_block_and_mute_lists_newest_first(alice, bob, carol):
    dave = make_account("dave")
    block_account(alice, target=bob)
    block_account(alice, target=dave)
    block_account(carol, target=alice)
    mute_account(alice, target=carol)

    assert [a.username for a in blocked_accounts(alice)] == ["dave", "bob"]
    assert [a.username for a in muted_accounts(alice)] == ["carol"]
    assert list(blocked_accounts(bob)) == []


# --- concurrency -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_interleaved_follow_and_unfollow_keep_counters_exact():
    follower, followee = AccountFactory.create_batch(2)

    def toggle(n: int) -> None:
        for i in range(n):
            if i % 2:
                unfollow_account(follower, followee=followee)
            else:
                follow_account(follower, followee=followee)

    assert run_together([lambda: toggle(9)] * 8) == []

    following = Follow.objects.filter(follower=follower, followee=followee).count()
    assert counts(followee) == (following, 0)
    assert counts(follower) == (0, following)


@pytest.mark.django_db(transaction=True)
def test_block_racing_follows_leaves_no_follow():
    alice, bob = AccountFactory.create_batch(2)

    calls = [lambda: block_account(alice, target=bob)] + [
        lambda: _try_follow(bob, alice)
    ] * 5

    assert run_together(calls) == []

    assert not Follow.objects.exists()
    assert counts(alice) == (0, 0)
    assert counts(bob) == (0, 0)


def _try_follow(follower: Account, followee: Account) -> None:
    # Each follow lands before the block (which removes it) or after it
    # (and is refused); either way none is left.
    with contextlib.suppress(ValidationError):
        follow_account(follower, followee=followee)
