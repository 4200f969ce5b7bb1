"""The conversation signal: measured, stored after fan-out, shown, and used
to quiet broadcasters."""

import pytest

from hubbub.accounts.actions import follow_account, set_quiet_broadcasters
from hubbub.accounts.models import Account
from hubbub.accounts.signal import (
    BROADCASTER_MIN_POSTS,
    WINDOW,
    ConversationSignal,
    measure_signal,
)
from hubbub.posts.actions import boost_post, publish_note
from hubbub.posts.models import Visibility
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.api.conftest import ApiClient, make_token
from tests.conftest import logged_in
from tests.factories import AccountFactory
from tests.web.test_pages import submit, text_of

pytestmark = pytest.mark.django_db


def stored(account: Account) -> tuple[int, int, int]:
    account.refresh_from_db()
    return (account.signal_posts, account.signal_exchanges, account.signal_replies)


def test_exchanges_replies_and_broadcasts_are_told_apart(alice, bob, carol):
    answered = publish_note(alice, text="what do you think?")
    publish_note(bob, text="I think so", in_reply_to=answered)
    reply = publish_note(
        alice, text="@carol agreed", in_reply_to=publish_note(carol, text="x")
    )
    publish_note(carol, text="thanks", in_reply_to=reply)  # an answered reply
    publish_note(alice, text="@bob hm", in_reply_to=publish_note(bob, text="y"))
    publish_note(alice, text="a broadcast")
    own_thread = publish_note(alice, text="1/2")
    publish_note(alice, text="2/2", in_reply_to=own_thread)  # self-replies: no one
    # Private posts and replies say nothing to the public signal.
    publish_note(alice, text="psst", visibility=Visibility.FOLLOWERS)
    publish_note(
        bob, text="private answer", visibility=Visibility.DIRECT, in_reply_to=own_thread
    )

    signal = measure_signal(alice.pk)

    assert signal == ConversationSignal(posts=6, exchanges=2, replies=1)
    assert signal.broadcasts == 3
    assert not signal.only_broadcasts


def test_only_the_newest_window_counts(alice, bob):
    first = publish_note(alice, text="old question")
    publish_note(bob, text="old answer", in_reply_to=first)
    for n in range(WINDOW):
        publish_note(alice, text=f"advert {n}")
    signal = measure_signal(alice.pk)
    assert (signal.posts, signal.exchanges) == (WINDOW, 0)
    assert signal.only_broadcasts


def test_fan_out_stores_the_signal_of_the_author_and_the_answered(alice, bob, run_jobs):
    with run_jobs():
        question = publish_note(alice, text="anyone?")
    assert stored(alice) == (1, 0, 0)
    with run_jobs():
        publish_note(bob, text="me", in_reply_to=question)
    assert stored(alice) == (1, 1, 0)
    assert stored(bob) == (1, 0, 1)
    with run_jobs():
        boost_post(bob, post=question)  # a boost changes nothing
    assert stored(bob) == (1, 0, 1)


def _broadcast(account: Account, run_jobs, count: int = BROADCASTER_MIN_POSTS) -> None:
    with run_jobs():
        for n in range(count):
            publish_note(account, text=f"{account.username} announces {n}")


def test_quiet_broadcasters_leave_them_out_of_home(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    shouter = AccountFactory()
    _broadcast(bob, run_jobs)
    _broadcast(shouter, run_jobs)
    with run_jobs():
        talk = publish_note(carol, text="what's up?")
        publish_note(alice, text="not much", in_reply_to=talk)
        boost = boost_post(carol, post=shouter.posts.first())
    bounds = PageBounds(limit=40)
    everything = {p.id for p in home_timeline(alice, bounds)}

    set_quiet_broadcasters(alice, quiet=True)
    quiet = {p.id for p in home_timeline(alice, bounds)}

    bob_posts = {p.id for p in bob.posts.all()}
    assert bob_posts <= everything
    assert boost.id in everything
    assert not quiet & bob_posts
    # Carol talks, but her boost of a broadcaster stays out too.
    assert talk.id in quiet
    assert boost.id not in quiet
    # A reader's own posts always stay.
    assert alice.posts.get().id in quiet


def test_too_few_posts_are_not_yet_broadcasting(alice, bob, run_jobs):
    follow_account(alice, followee=bob)
    _broadcast(bob, run_jobs, count=BROADCASTER_MIN_POSTS - 1)
    set_quiet_broadcasters(alice, quiet=True)
    assert len(home_timeline(alice, PageBounds(limit=40))) == BROADCASTER_MIN_POSTS - 1


def test_the_profile_and_the_api_show_the_signal(alice, bob, csrf_client, run_jobs):
    _broadcast(bob, run_jobs)
    page = text_of(csrf_client.get("/@bob"))
    assert f"Of @bob\u2019s last {BROADCASTER_MIN_POSTS} public posts" in page
    assert "Only broadcasts" in page
    account = ApiClient().get(f"/api/v1/accounts/{bob.pk}").json()
    assert account["hubbub"]["conversation"] == {
        "recent_posts": BROADCASTER_MIN_POSTS,
        "exchanges": 0,
        "replies": 0,
        "broadcasts": BROADCASTER_MIN_POSTS,
        "only_broadcasts": True,
    }
    quiet = ApiClient(make_token(alice, "read")).get(f"/api/v1/accounts/{alice.pk}")
    assert quiet.json()["hubbub"]["conversation"]["recent_posts"] == 0
    assert "public post" not in text_of(csrf_client.get("/@alice"))


def test_the_reading_setting_through_its_page(alice, csrf_client):
    client = logged_in(csrf_client, alice)
    page = text_of(client.get("/settings/reading"))
    assert '<label for="id_quiet_broadcasters">Quiet broadcasters</label>' in page
    response = submit(
        client, "/settings/reading", "/settings/reading", {"quiet_broadcasters": "on"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.quiet_broadcasters
    submit(client, "/settings/reading", "/settings/reading", {})
    alice.refresh_from_db()
    assert not alice.quiet_broadcasters
    assert (
        client.post("/settings/reading", {"quiet_broadcasters": "on"}).status_code
        == 403
    )
