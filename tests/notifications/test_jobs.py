"""The jobs that write notifications: idempotent, and only for live causes."""

import pytest

from hubbub.accounts.actions import follow_account, set_locked, unfollow_account
from hubbub.accounts.models import Follow, FollowRequest
from hubbub.notifications.models import Notification, NotificationType
from hubbub.notifications.tasks import (
    notify_boost,
    notify_favourite,
    notify_follow,
    notify_follow_request,
)
from hubbub.posts.actions import (
    boost_post,
    delete_post,
    favourite_post,
    publish_note,
    unboost_post,
)

pytestmark = pytest.mark.django_db


def rows() -> list[tuple[int, int, str, int | None]]:
    return list(
        Notification.objects.values_list("recipient_id", "actor_id", "type", "post_id")
    )


def test_each_job_run_twice_writes_one_notification(alice, bob, carol):
    note = publish_note(alice, text="hello")
    favourite = favourite_post(bob, post=note)
    boost = boost_post(carol, post=note)
    follow = follow_account(bob, followee=alice)
    set_locked(carol, locked=True)
    request = follow_account(alice, followee=carol)

    for _ in range(2):
        notify_favourite.call(favourite.id)
        notify_boost.call(boost.id)
        notify_follow.call(follow.id)
        notify_follow_request.call(request.id)

    assert sorted(rows()) == sorted(
        [
            (alice.pk, bob.pk, NotificationType.FAVOURITE, note.id),
            (alice.pk, carol.pk, NotificationType.REBLOG, note.id),
            (alice.pk, bob.pk, NotificationType.FOLLOW, None),
            (carol.pk, alice.pk, NotificationType.FOLLOW_REQUEST, None),
        ]
    )


def test_jobs_whose_cause_is_gone_write_nothing(alice, bob, carol):
    note = publish_note(alice, text="hello")
    boost = boost_post(carol, post=note)
    unboost_post(carol, post=note)
    follow = follow_account(bob, followee=alice)
    unfollow_account(bob, followee=alice)
    set_locked(carol, locked=True)
    request = follow_account(alice, followee=carol)
    unfollow_account(alice, followee=carol)
    assert not Follow.objects.exists()
    assert not FollowRequest.objects.exists()

    notify_boost.call(boost.id)
    notify_follow.call(follow.id)
    notify_follow_request.call(request.id)
    notify_favourite.call(12345)

    assert rows() == []


def test_boost_job_after_the_original_is_deleted_writes_nothing(alice, bob):
    note = publish_note(alice, text="hello")
    boost = boost_post(bob, post=note)
    delete_post(alice, post=note)

    notify_boost.call(boost.id)

    assert rows() == []
