"""A new follow's backfill follows the same rules as fan-out.

Each scenario is played twice: follow first and let fan-out (the real job)
deliver the followee's posts, or post first and follow afterwards, so the
backfill delivers them. The reader must end up with the same entries.
"""

import pytest

from hubbub.accounts.actions import follow_account, mute_account, unmute_account
from hubbub.accounts.models import Account
from hubbub.posts.actions import boost_post, publish_note
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from tests.conftest import make_account

pytestmark = pytest.mark.django_db


# A scenario is (setup, bob's posts, whether alice gets bob's last post);
# each part takes (alice, bob, carol, dave). alice is the one following bob.
People = tuple[Account, Account, Account, Account]


def nothing(alice: Account, bob: Account, carol: Account, dave: Account) -> None:
    pass


def alice_follows_carol(alice, bob, carol, dave) -> None:
    follow_account(alice, followee=carol)


def alice_follows_dave(alice, bob, carol, dave) -> None:
    follow_account(alice, followee=dave)


def alice_mutes_carol(alice, bob, carol, dave) -> None:
    mute_account(alice, target=carol)


def reply_to_carol(alice, bob, carol, dave) -> list[Post]:
    root = publish_note(carol, text="root")
    return [publish_note(bob, text="an answer", in_reply_to=root)]


def reply_to_alice(alice, bob, carol, dave) -> list[Post]:
    root = publish_note(alice, text="root")
    return [publish_note(bob, text="an answer", in_reply_to=root)]


def self_reply(alice, bob, carol, dave) -> list[Post]:
    root = publish_note(bob, text="root")
    return [root, publish_note(bob, text="and more", in_reply_to=root)]


def boost_of_carol(alice, bob, carol, dave) -> list[Post]:
    return [boost_post(bob, post=publish_note(carol, text="worth sharing"))]


def boost_of_alice(alice, bob, carol, dave) -> list[Post]:
    return [boost_post(bob, post=publish_note(alice, text="mine"))]


def boost_also_by_dave(alice, bob, carol, dave) -> list[Post]:
    original = publish_note(carol, text="worth sharing")
    boost_post(dave, post=original)
    return [boost_post(bob, post=original)]


SCENARIOS = {
    "reply to a stranger": (nothing, reply_to_carol, False),
    "reply to someone followed": (alice_follows_carol, reply_to_carol, True),
    "reply to the reader": (nothing, reply_to_alice, True),
    "self-reply": (nothing, self_reply, True),
    "boost": (nothing, boost_of_carol, True),
    "boost of the reader's own post": (nothing, boost_of_alice, False),
    "boost of a post already had": (alice_follows_carol, boost_of_carol, False),
    "second boost of a post": (alice_follows_dave, boost_also_by_dave, False),
    "boost of a muted author": (alice_mutes_carol, boost_of_carol, False),
}


def people(prefix: str) -> People:
    alice, bob, carol, dave = (
        make_account(f"{prefix}{name}") for name in ("alice", "bob", "carol", "dave")
    )
    return alice, bob, carol, dave


def received(reader: Account, posts: list[Post]) -> list[bool]:
    has = set(
        TimelineEntry.objects.filter(reader=reader).values_list("post_id", flat=True)
    )
    return [post.id in has for post in posts]


@pytest.mark.parametrize(
    ("setup", "write", "gets_last"), SCENARIOS.values(), ids=SCENARIOS
)
def test_backfill_gives_what_fan_out_gives(run_jobs, setup, write, gets_last):
    # Fan-out: alice follows bob, then bob posts.
    first = people("fan")
    with run_jobs():
        setup(*first)
    with run_jobs():
        follow_account(first[0], followee=first[1])
    with run_jobs():
        posts = write(*first)
    fanned_out = received(first[0], posts)
    # Backfill: bob posts, then alice follows him.
    second = people("back")
    with run_jobs():
        setup(*second)
    with run_jobs():
        posts = write(*second)
    with run_jobs():
        follow_account(second[0], followee=second[1])

    assert received(second[0], posts) == fanned_out
    assert fanned_out[-1] is gets_last


def test_unmute_backfills_by_the_same_rules(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    mute_account(alice, target=bob)
    with run_jobs():
        root = publish_note(carol, text="root")
        answer = publish_note(bob, text="an answer", in_reply_to=root)
        note = publish_note(bob, text="a note")

    unmute_account(alice, target=bob)

    assert received(alice, [answer, note]) == [False, True]
