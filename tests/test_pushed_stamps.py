"""The stamp pushed to web processes, and API reads counted in batches,
across real processes: two ``hubbub web`` servers on the test database
and Redis, called over HTTP (PostgreSQL with Redis only).

A write answered by one server is seen by a kept read through the other
at once, also while the servers' subscriptions are killed or Redis is
flushed; the per-token limit on reads holds across the two servers
within its documented bound (``ratelimits._batched_hit``).
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email.message import Message
from pathlib import Path

import pytest
import redis
from django.conf import settings

from hubbub.core import stamps
from hubbub.core.ratelimits import BATCH
from hubbub.posts.actions import publish_note
from tests import live
from tests.api.conftest import make_token
from tests.conftest import make_account

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.database("postgresql"),
]


@contextmanager
def two_webs(tmp_path: Path, **extra: str) -> Iterator[list[str]]:
    """Run two web servers (one process each); yield their base URLs."""
    env = live.hubbub_env(tmp_path, HUBBUB_REDIS_URL=settings.REDIS_URL, **extra)
    (tmp_path / "var" / "static").mkdir(parents=True)  # granian serves it
    bases = []
    with ExitStack() as processes:
        for n in range(2):
            port = live.free_port()
            cmd = [live.HUBBUB, "web", "--port", str(port)]
            processes.enter_context(live.running(cmd, env, tmp_path / f"web{n}.log"))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            live.wait_until_serving(f"{base}/api/v1/instance", timeout=150)
        yield bases


def call(url: str, token: str, method: str = "GET") -> tuple[int, dict, object]:
    request = urllib.request.Request(  # noqa: S310 - loopback test servers
        url, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, lowered(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, lowered(error.headers), json.load(error)


def lowered(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def subscribers(client: redis.Redis) -> list[str]:
    """Return the ids of the stamp subscriptions on this test's database."""
    prefix = f"{stamps.channel(settings.REDIS_URL)}:"
    return [
        str(entry["id"])
        for entry in client.client_list(_type="pubsub")
        if entry.get("name", "").startswith(prefix)
    ]


def test_a_write_through_one_process_is_seen_through_the_other_at_once(tmp_path):
    alice = make_account("alice")
    post = publish_note(alice, text="kept or not")
    token = make_token(alice, "read write")
    client = redis.Redis.from_url(settings.REDIS_URL)

    with two_webs(tmp_path, HUBBUB_API_RATE_LIMIT="100000") as (writer, reader):

        def favourited() -> bool:
            status, _, body = call(f"{reader}/api/v1/timelines/home", token)
            assert status == 200, body
            assert isinstance(body, list)
            assert body[0]["id"] == str(post.pk)
            return bool(body[0]["favourited"])

        def flip(to: bool) -> None:
            action = "favourite" if to else "unfavourite"
            url = f"{writer}/api/v1/statuses/{post.pk}/{action}"
            assert call(url, token, "POST")[0] == 200

        state = favourited()
        call(f"{writer}/api/v1/timelines/home", token)
        # Both servers hold a subscription once they have read a stamp.
        assert len(subscribers(client)) >= 2
        for _ in range(10):
            assert favourited() == state  # kept, the stamp unmoved
            state = not state
            flip(state)
            assert favourited() == state

        # Subscriptions killed: the reader reads the key until it can
        # subscribe again, and never answers from before the write.
        for _ in range(3):
            assert favourited() == state
            for client_id in subscribers(client):
                client.client_kill_filter(_id=client_id)
            state = not state
            flip(state)
            assert favourited() == state
            assert favourited() == state

        # Each subscribes again at a request after its retry delay (a
        # second, doubled after each failure), and kept answers still
        # follow every write.
        def both_subscribed() -> bool:
            favourited()
            call(f"{writer}/api/v1/timelines/home", token)
            return len(subscribers(client)) >= 2

        assert live.wait_for(both_subscribed, timeout=4 * stamps.RETRY_FIRST + 5)
        for _ in range(3):
            state = not state
            flip(state)
            assert favourited() == state

        # A flushed Redis loses the key and the timelines, not a write.
        for _ in range(3):
            assert favourited() == state
            client.flushdb()
            assert favourited() == state
            state = not state
            flip(state)
            assert favourited() == state


def test_the_read_limit_holds_across_processes_within_its_bound(tmp_path):
    alice = make_account("alice")
    token = make_token(alice, "read")
    limit, period = 40, 600
    # A window's end would reset the count midway: start well inside one.
    if period - time.time() % period < 60:
        time.sleep(period - time.time() % period + 1)

    with two_webs(
        tmp_path, HUBBUB_API_RATE_LIMIT=str(limit), HUBBUB_API_RATE_PERIOD=str(period)
    ) as bases:
        answers = [
            call(f"{bases[n % 2]}/api/v1/timelines/home", token) for n in range(120)
        ]

    allowed = [n for n, (status, _, _) in enumerate(answers) if status == 200]
    refused = [n for n, (status, _, _) in enumerate(answers) if status == 429]
    assert len(allowed) + len(refused) == len(answers)
    # Each process lets through at most BATCH - 1 reads Redis has not
    # counted yet; counted per process, it would be 2 x limit.
    assert limit <= len(allowed) <= limit + 2 * (BATCH - 1)
    assert refused
    assert min(refused) > max(allowed)
    remaining = [int(headers["x-ratelimit-remaining"]) for _, headers, _ in answers]
    assert all(0 <= left < limit for left in remaining)
    assert remaining[-10:] == [0] * 10
    assert all(headers["x-ratelimit-limit"] == str(limit) for _, headers, _ in answers)
