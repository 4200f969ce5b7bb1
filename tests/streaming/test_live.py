"""Mastodon.py 2.3.3 and a raw HTTP read against a live hubbub's streams."""

import http.client
import time
from urllib.parse import urlsplit

import orjson
import pytest
from mastodon import Mastodon, StreamListener

from hubbub.core import events
from tests.api.live import live_hubbub, mastodon_client, people
from tests.live import wait_for

pytestmark = pytest.mark.slow
PASSWORD = "a long client password"


@pytest.fixture
def server(transactional_db, tmp_path):
    people("ann", "ben", password=PASSWORD)
    with live_hubbub(tmp_path, HUBBUB_STREAMING_HEARTBEAT="1") as base:
        yield base


def _client(base: str, username: str) -> Mastodon:
    return mastodon_client(base, username, PASSWORD)


class Collector(StreamListener):
    """Keeps what arrives, with when it arrived."""

    def __init__(self) -> None:
        self.updates: list[tuple[float, dict]] = []
        self.deletes: list[int] = []

    def on_update(self, status):
        self.updates.append((time.monotonic(), status))

    def on_delete(self, status_id):
        self.deletes.append(status_id)


def _connected(handle) -> None:
    assert wait_for(handle.is_receiving, timeout=15), "the stream did not connect"
    time.sleep(0.3)  # let the server register the listener


def test_mastodon_py_streams_updates_deletes_and_revocation(server):
    ann, ben = _client(server, "ann"), _client(server, "ben")
    ben.account_follow(ann.me().id)
    home, public = Collector(), Collector()
    user_stream = ben.stream_user(home, run_async=True)
    public_stream = ann.stream_public(public, run_async=True)
    try:
        _connected(user_stream)
        _connected(public_stream)

        posted_at = time.monotonic()
        status = ann.status_post("streaming now")
        assert wait_for(lambda: home.updates and public.updates, timeout=10)
        assert home.updates[0][1].id == status.id
        assert home.updates[0][1].account.username == "ann"
        assert public.updates[0][1].content == status.content
        # "New posts arrive within 1 second" (the promise).
        assert home.updates[0][0] - posted_at < 1.0
        assert public.updates[0][0] - posted_at < 1.0

        # No delete endpoint on this branch yet: publish as it will.
        events.publish_post_deleted(int(status.id), int(ann.me().id))
        assert wait_for(lambda: home.deletes and public.deletes, timeout=5)
        assert [int(d) for d in home.deletes] == [int(status.id)]

        revoked_at = time.monotonic()
        ben.revoke_access_token(allow_http=True)
        assert wait_for(lambda: not user_stream.is_alive(), timeout=5)
        assert time.monotonic() - revoked_at < 5
        assert public_stream.is_alive()
    finally:
        user_stream.close()
        public_stream.close()


def test_sse_wire_format(server):
    ann = _client(server, "ann")
    streaming = urlsplit(ann.instance_v1().urls.streaming_api.replace("ws", "http", 1))
    assert streaming.scheme == "http"
    conn = http.client.HTTPConnection(streaming.hostname, streaming.port, timeout=10)
    conn.request(
        "GET",
        "/api/v1/streaming/public/local",
        headers={"Authorization": f"Bearer {ann.access_token}"},
    )
    response = conn.getresponse()
    try:
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        assert response.readline() == b":)\n"
        # HUBBUB_STREAMING_HEARTBEAT=1 here; the default is 10 s.
        assert response.readline() == b":thump\n"
        posted_at = time.monotonic()
        status = ann.status_post("on the wire #Wire")
        line = response.readline()
        while line == b":thump\n":
            line = response.readline()
        assert time.monotonic() - posted_at < 1.0
        assert line == b"event: update\n"
        data = response.readline()
        assert data.startswith(b"data: {")
        assert data.endswith(b"}\n")
        assert b"\r" not in data
        assert orjson.loads(data[len(b"data: ") :])["id"] == status.id
        assert response.readline() == b"\n"
    finally:
        conn.close()

    for path, status_code in [
        ("/api/v1/streaming/user", 401),
        ("/api/v1/streaming/hashtag", 400),
        ("/api/v1/streaming/nope", 404),
    ]:
        conn = http.client.HTTPConnection(
            streaming.hostname, streaming.port, timeout=10
        )
        conn.request("GET", path)
        assert conn.getresponse().status == status_code
        conn.close()


def test_mastodon_py_websocket_subscriptions(server):
    ann, ben = _client(server, "ann"), _client(server, "ben")
    ben.account_follow(ann.me().id)
    home, tagged = Collector(), Collector()
    handle = ben.stream_open_websocket(home)
    try:
        assert wait_for(handle.is_receiving, timeout=15)
        handle.subscribe("user")
        handle.subscribe("hashtag", listener=tagged, tag="Cats")
        time.sleep(0.5)  # the subscribe frames are asynchronous
        first = ann.status_post("look #cats")
        assert wait_for(lambda: home.updates and tagged.updates, timeout=5)
        assert home.updates[0][1].id == tagged.updates[0][1].id == first.id

        handle.unsubscribe("hashtag", tag="Cats")
        time.sleep(0.5)
        second = ann.status_post("more #cats")
        assert wait_for(lambda: len(home.updates) == 2, timeout=5)
        assert home.updates[1][1].id == second.id
        assert len(tagged.updates) == 1
    finally:
        handle.close()
