"""Quiet broadcasters over real streaming: a live hubbub (web, worker,
streaming server) and Mastodon.py's user streams."""

import time

import pytest
from django.test import Client
from mastodon import StreamListener

from hubbub.accounts.actions import set_quiet_broadcasters
from hubbub.accounts.models import Account
from hubbub.accounts.signal import BROADCASTER_MIN_POSTS, stored_signal
from tests.api.live import live_hubbub, mastodon_client, people
from tests.conftest import logged_in
from tests.live import wait_for

pytestmark = pytest.mark.slow
PASSWORD = "a long client password"


@pytest.fixture
def server(transactional_db, tmp_path):
    people("ann", "ben", "cat", "dan", password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        yield base


class Collector(StreamListener):
    """Keeps the ids of the updates a stream sends, in order."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def on_update(self, status) -> None:
        self.ids.append(str(status.id))


def _account(username: str) -> Account:
    return Account.objects.get(username=username)


def test_quiet_broadcasters_reach_no_home_stream_page_or_api(server):
    ann, ben, cat, dan = (
        mastodon_client(server, name, PASSWORD) for name in ("ann", "ben", "cat", "dan")
    )
    for reader in (ben, cat):
        for author in (ann, dan):
            reader.account_follow(author.me().id)
    # ann only broadcasts: enough posts, none answered or answering.
    for n in range(BROADCASTER_MIN_POSTS):
        ann.status_post(f"Big sale number {n}, buy now")
    assert wait_for(
        lambda: stored_signal(_account("ann")).only_broadcasts, timeout=60
    ), "the worker did not store ann's conversation signal"
    set_quiet_broadcasters(_account("ben"), quiet=True)

    quiet, everything = Collector(), Collector()
    streams = [
        ben.stream_user(quiet, run_async=True),
        cat.stream_user(everything, run_async=True),
    ]
    try:
        for handle in streams:
            assert wait_for(handle.is_receiving, timeout=15)
        time.sleep(0.3)  # let the server register the listeners
        shout = str(ann.status_post("One more sale, today only").id)
        talk = str(dan.status_post("Anyone around for a chat?").id)
        own = str(ben.status_post("My own news").id)
        assert wait_for(lambda: {shout, talk} <= set(everything.ids), timeout=15)
        assert wait_for(lambda: {talk, own} <= set(quiet.ids), timeout=15)
        # Events go out in order: had the shout been sent, it came first.
        assert shout not in quiet.ids

        # The home timeline leaves ann out too, through the API and the page.
        api_home = ben.timeline_home(limit=40)
        assert {str(s.id) for s in api_home} == {talk, own}
        page = logged_in(Client(), _account("ben")).get("/").content.decode()
        assert "Anyone around for a chat?" in page
        assert "My own news" in page
        assert "sale" not in page.lower()

        # The setting is read per post: switched off, ann's next one arrives
        # on the stream that is already open.
        set_quiet_broadcasters(_account("ben"), quiet=False)
        again = str(ann.status_post("Last sale of the year").id)
        assert wait_for(lambda: again in quiet.ids, timeout=15)
    finally:
        for handle in streams:
            handle.close()
