"""Reading notifications: the list, its filter, the unread count."""

import pytest

from hubbub.accounts.actions import follow_account, mute_account
from hubbub.accounts.models import Account
from hubbub.notifications.actions import mark_all_read
from hubbub.notifications.models import NotificationType
from hubbub.notifications.queries import notifications_for, unread_count
from hubbub.posts.actions import boost_post, favourite_post, publish_note

pytestmark = pytest.mark.django_db


def kinds(account: Account, **filters) -> list[str]:
    return [n.type for n in notifications_for(account, **filters)]


@pytest.fixture
def busy_alice(alice, bob, carol, run_jobs) -> Account:
    """Alice, followed by bob, then favourited by carol, then boosted by bob."""
    note = publish_note(alice, text="look at this")
    with run_jobs():
        follow_account(bob, followee=alice)
    with run_jobs():
        favourite_post(carol, post=note)
    with run_jobs():
        boost_post(bob, post=note)
    return alice


def test_notifications_newest_first(busy_alice):
    assert kinds(busy_alice) == [
        NotificationType.REBLOG,
        NotificationType.FAVOURITE,
        NotificationType.FOLLOW,
    ]


def test_filter_by_type(busy_alice):
    assert kinds(busy_alice, types=[NotificationType.FAVOURITE]) == [
        NotificationType.FAVOURITE
    ]
    assert kinds(busy_alice, exclude_types=[NotificationType.REBLOG]) == [
        NotificationType.FAVOURITE,
        NotificationType.FOLLOW,
    ]


def test_mark_all_read_zeroes_the_unread_count(busy_alice, carol, run_jobs):
    assert unread_count(busy_alice) == 3

    mark_all_read(busy_alice)

    assert unread_count(busy_alice) == 0
    busy_alice.refresh_from_db()
    assert unread_count(busy_alice) == 0
    with run_jobs():
        follow_account(carol, followee=busy_alice)
    assert unread_count(busy_alice) == 1
    # Reading marks, it does not delete.
    assert len(kinds(busy_alice)) == 4


def test_muting_someone_clears_their_notifications(busy_alice, bob):
    mute_account(busy_alice, target=bob)

    assert kinds(busy_alice) == [NotificationType.FAVOURITE]
    assert unread_count(busy_alice) == 1
