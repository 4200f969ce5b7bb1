"""Account actions: signing up, profiles and follows, on the real database."""

import pytest
from django.core.exceptions import ValidationError

from hubbub.accounts.actions import (
    follow_account,
    sign_up,
    unfollow_account,
    update_profile,
)
from hubbub.accounts.models import Account, Follow
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Visibility
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def home_ids(account: Account) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds(limit=40))]


def counts(account: Account) -> tuple[int, int]:
    account.refresh_from_db()
    return account.followers_count, account.following_count


# --- sign_up -----------------------------------------------------------------


def test_sign_up_creates_an_account_that_can_log_in():
    account = sign_up(username="dave", password=PASSWORD, display_name=" Dave ")

    stored = Account.objects.get(pk=account.pk)
    assert stored.username == "dave"
    assert stored.display_name == "Dave"
    assert stored.check_password(PASSWORD)
    assert (stored.followers_count, stored.following_count, stored.posts_count) == (
        0,
        0,
        0,
    )


def test_sign_up_accepts_30_characters():
    name = "a" * 30

    assert sign_up(username=name, password=PASSWORD).username == name


@pytest.mark.parametrize(
    ("username", "code"),
    [
        pytest.param("ALICE", "taken", id="duplicate-differing-in-case"),
        pytest.param("Alice", "taken", id="duplicate-capitalised"),
        pytest.param("admin", "reserved", id="reserved"),
        pytest.param("Admin", "reserved", id="reserved-any-case"),
        pytest.param("well-known", "invalid", id="reserved-with-dash"),
        pytest.param("\u0430lice", "invalid", id="cyrillic-a"),
        pytest.param("\uff41\uff4c\uff49\uff43\uff45", "invalid", id="fullwidth"),
        pytest.param("alice\u0301", "invalid", id="combining-mark"),
        pytest.param("al ice", "invalid", id="space"),
        pytest.param("al.ice", "invalid", id="dot"),
        pytest.param("a" * 31, "long", id="31-characters"),
        pytest.param("", "blank", id="empty"),
        pytest.param("   ", "blank", id="only-spaces"),
    ],
)
def test_sign_up_rejects_bad_usernames_and_writes_nothing(alice, username, code):
    before = Account.objects.count()

    with pytest.raises(ValidationError) as caught:
        sign_up(username=username, password=PASSWORD)

    assert caught.value.code == code
    assert Account.objects.count() == before


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("short", id="too-short"),
        pytest.param("password", id="common"),
        pytest.param("84736251937", id="numeric"),
        pytest.param("dave_the_user", id="like-the-username"),
    ],
)
def test_sign_up_rejects_weak_passwords_and_writes_nothing(password):
    with pytest.raises(ValidationError) as caught:
        sign_up(username="dave_the_user", password=password)

    assert all(e.code.startswith("password") for e in caught.value.error_list)
    assert not Account.objects.exists()


def test_sign_up_rejects_display_name_over_30():
    with pytest.raises(ValidationError, match="at most 30"):
        sign_up(username="dave", password=PASSWORD, display_name="d" * 31)

    assert not Account.objects.exists()


# --- update_profile ----------------------------------------------------------


def test_update_profile_saves_name_and_renders_bio(alice, bob):
    update_profile(
        alice, display_name="Alice A.", bio="I like https://example.com and @bob"
    )

    alice.refresh_from_db()
    assert alice.display_name == "Alice A."
    assert alice.bio == "I like https://example.com and @bob"
    assert 'href="https://example.com"' in alice.bio_html
    assert 'href="/@bob"' in alice.bio_html
    assert alice.name == "Alice A."


def test_update_profile_escapes_markup_in_bio(alice):
    update_profile(alice, display_name="", bio="<script>alert(1)</script>")

    alice.refresh_from_db()
    assert "<script" not in alice.bio_html
    assert alice.name == "alice"


def test_update_profile_accepts_500_character_bio(alice):
    update_profile(alice, display_name="A", bio="b" * 500)

    alice.refresh_from_db()
    assert len(alice.bio) == 500


@pytest.mark.parametrize(
    ("display_name", "bio", "message"),
    [
        pytest.param("A", "b" * 501, "Bios are at most 500", id="bio-501"),
        pytest.param("d" * 31, "", "Display names are at most 30", id="name-31"),
        pytest.param("A\x00", "", "not allowed", id="nul-in-name"),
        pytest.param("A", "b\ud800", "not allowed", id="surrogate-in-bio"),
    ],
)
def test_update_profile_rejects_and_writes_nothing(alice, display_name, bio, message):
    update_profile(alice, display_name="Before", bio="before")

    with pytest.raises(ValidationError, match=message):
        update_profile(alice, display_name=display_name, bio=bio)

    stored = Account.objects.get(pk=alice.pk)
    assert (stored.display_name, stored.bio) == ("Before", "before")
    assert stored.bio_html == "<p>before</p>"


# --- follow_account ----------------------------------------------------------


def test_follow_keeps_counters_exact(alice, bob, carol):
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    follow_account(alice, followee=carol)

    assert counts(alice) == (0, 2)
    assert counts(bob) == (2, 0)
    assert counts(carol) == (1, 1)
    assert Follow.objects.count() == 3


def test_following_twice_is_a_no_op(alice, bob):
    first = follow_account(alice, followee=bob)

    second = follow_account(alice, followee=bob)

    assert second.pk == first.pk
    assert Follow.objects.filter(follower=alice, followee=bob).count() == 1
    assert counts(alice) == (0, 1)
    assert counts(bob) == (1, 0)


def test_following_yourself_is_rejected_and_writes_nothing(alice):
    with pytest.raises(ValidationError) as caught:
        follow_account(alice, followee=alice)

    assert caught.value.code == "self"
    assert not Follow.objects.exists()
    assert counts(alice) == (0, 0)


def test_follow_puts_followees_recent_notes_in_home_at_once(alice, bob):
    # No job runs in this test: the notes must be there straight away.
    older = publish_note(bob, text="older")
    newer = publish_note(bob, text="newer")
    followers_only = publish_note(
        bob, text="for followers", visibility=Visibility.FOLLOWERS
    )
    direct = publish_note(bob, text="just for someone", visibility=Visibility.DIRECT)

    follow_account(alice, followee=bob)

    assert home_ids(alice) == [followers_only.id, newer.id, older.id]
    assert not TimelineEntry.objects.filter(reader=alice, post=direct).exists()


def test_follow_backfill_is_bounded_by_the_setting(alice, bob, settings):
    settings.HUBBUB_FOLLOW_BACKFILL = 2
    notes = [publish_note(bob, text=f"note {n}") for n in range(4)]

    follow_account(alice, followee=bob)

    assert home_ids(alice) == [notes[3].id, notes[2].id]


# --- unfollow_account --------------------------------------------------------


def test_unfollow_keeps_counters_exact(alice, bob, carol):
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)

    unfollow_account(alice, followee=bob)

    assert counts(alice) == (0, 1)
    assert counts(bob) == (0, 0)
    assert counts(carol) == (1, 0)
    assert not Follow.objects.filter(follower=alice, followee=bob).exists()


def test_unfollow_removes_followees_posts_from_home(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    with run_jobs():
        by_bob = publish_note(bob, text="from bob")
        by_carol = publish_note(carol, text="from carol")
        by_alice = publish_note(alice, text="from alice")
    assert home_ids(alice) == [by_alice.id, by_carol.id, by_bob.id]

    unfollow_account(alice, followee=bob)

    assert home_ids(alice) == [by_alice.id, by_carol.id]
    assert not TimelineEntry.objects.filter(reader=alice, post=by_bob).exists()
    # Bob's own timeline is untouched.
    assert home_ids(bob) == [by_bob.id]


def test_unfollow_when_not_following_is_a_no_op(alice, bob, carol):
    follow_account(carol, followee=bob)

    unfollow_account(alice, followee=bob)

    assert counts(alice) == (0, 0)
    assert counts(bob) == (1, 0)
    assert Follow.objects.count() == 1


def test_follow_again_after_unfollow(alice, bob):
    note = publish_note(bob, text="hello")
    follow_account(alice, followee=bob)
    unfollow_account(alice, followee=bob)

    follow_account(alice, followee=bob)

    assert counts(alice) == (0, 1)
    assert counts(bob) == (1, 0)
    assert home_ids(alice) == [note.id]
