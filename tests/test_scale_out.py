"""Many hubbub processes, one community, a crash and a flush: nothing lost.

Two web processes, workers and a streaming process share one database
(and Redis, on the scale-out settings). Twenty clients post, reply,
favourite and follow over the Mastodon API for a bounded time, spread over
both web processes; part-way through, one worker is killed by its PID (and
Redis is flushed). Afterwards every home timeline holds every post it
should, exactly once, read through the API, and every streaming client got
an event for each post that reached its timeline while it listened.

Loopback only; every loop is bounded in count and time.
"""

import http.client
import json
import os
import random
import signal
import socket
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from hubbub.accounts.models import Account, Follow
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from tests.api.conftest import make_token
from tests.live import (
    HUBBUB,
    free_port,
    hubbub_env,
    running,
    wait_for,
    wait_until_serving,
)

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"
CHATTY, QUIET = 16, 4  # people who converse; people who only post notes
RUN_SECONDS = 16
KILL_AFTER = 6  # seconds into the run
STREAMED = 6  # chatty people who keep a user stream open
QUIET_POSTS = 30  # under HUBBUB_FOLLOW_BACKFILL, so a follow copies them all


class Api:
    """One person's Mastodon API client, spread over the web processes."""

    def __init__(self, bases: list[str], token: str, seed: int) -> None:
        self.bases, self.token = bases, token
        self.turn = seed

    def call(self, method: str, path: str, data: dict | None = None):
        self.turn += 1
        base = self.bases[self.turn % len(self.bases)]
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 (loopback)
            base + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.status == 200, (method, path, response.status)
            return json.loads(response.read())

    def home_ids(self) -> list[int]:
        """Page through the whole home timeline, newest first."""
        ids: list[int] = []
        path = "/api/v1/timelines/home?limit=40"
        for _ in range(100):
            page = self.call("GET", path)
            if not page:
                return ids
            ids += [int(status["id"]) for status in page]
            path = f"/api/v1/timelines/home?limit=40&max_id={ids[-1]}"
        raise AssertionError("the home timeline did not end")


@dataclass
class Stream:
    """A user stream over SSE: the status ids its update events carried."""

    port: int
    token: str
    updates: list[int] = field(default_factory=list)
    connected_at: float = 0.0

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        self.conn.request(
            "GET",
            "/api/v1/streaming/user",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.readline() == b":)\n"
        self.connected_at = time.time()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while line := self.response.readline():
                if line == b"event: update\n":
                    data = self.response.readline()
                    self.updates.append(int(json.loads(data[len(b"data: ") :])["id"]))
        except OSError:
            pass  # shut down by close()

    def close(self) -> None:
        # Shut the socket so the reader's next read ends, then close.
        self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=5)
        self.conn.close()


def act(api: Api, rng: random.Random, *, quiet, quiet_ids, shared, until):
    """Do what one person does until ``until``: post, reply, favourite, follow."""
    posted = 0
    while time.monotonic() < until:
        if quiet:
            if posted < QUIET_POSTS:
                api.call("POST", "/api/v1/statuses", {"status": f"quiet {posted}"})
                posted += 1
        else:
            roll = rng.random()
            if roll < 0.4 or not shared["chatty_posts"]:
                status = api.call("POST", "/api/v1/statuses", {"status": "hello"})
                shared["chatty_posts"].append(status["id"])
            elif roll < 0.65:
                parent = rng.choice(shared["chatty_posts"])
                api.call(
                    "POST",
                    "/api/v1/statuses",
                    {"status": "a reply", "in_reply_to_id": parent},
                )
            elif roll < 0.85:
                target = rng.choice(shared["chatty_posts"])
                api.call("POST", f"/api/v1/statuses/{target}/favourite")
            else:
                quiet = rng.choice(sorted(quiet_ids))
                api.call("POST", f"/api/v1/accounts/{quiet}/follow")
        time.sleep(rng.uniform(0.3, 0.6))


def expected_home(reader: Account) -> set[int]:
    """Return the ids that fan-out's rules put in ``reader``'s home timeline.

    The chatty people's follows among themselves never change during the
    run, so whom a reply reaches is decided by the follows at the end.
    """
    followed = set(
        Follow.objects.filter(follower=reader).values_list("followee_id", flat=True)
    )
    expected = set()
    for post_id, author_id, answered in Post.objects.filter(
        deleted_at__isnull=True
    ).values_list("id", "author_id", "in_reply_to__author_id"):
        mine = author_id == reader.pk
        pushed = author_id in followed and (
            answered is None
            or answered in (reader.pk, author_id)
            or answered in followed
        )
        if mine or pushed:
            expected.add(post_id)
    return expected


def _readers(post_id: int) -> list[int]:
    return sorted(
        TimelineEntry.objects.filter(post_id=post_id).values_list("reader", flat=True)
    )


def explain(reader: Account, shown: list[int] | set[int]) -> str:
    """Say how what ``reader`` was shown differs from what they should see."""
    wanted = expected_home(reader)
    followed = set(
        Follow.objects.filter(follower=reader).values_list("followee_id", flat=True)
    )
    stored = set(
        TimelineEntry.objects.filter(reader=reader).values_list("post_id", flat=True)
    )
    differ = {"missing": wanted - set(shown), "extra": set(shown) - wanted}
    return "\n".join(
        [f"{reader} follows {sorted(followed)}"]
        + [
            f"{label} {post.id} by {post.author_id} answering "
            f"{post.in_reply_to.author_id if post.in_reply_to else None}, "
            f"stored={post.id in stored} fanned out at {post.fanned_out_at}, "
            f"in the timelines of {_readers(post.id)}"
            for label, ids in differ.items()
            for post in Post.objects.filter(id__in=sorted(ids)[:10]).select_related(
                "in_reply_to"
            )
        ]
    )


def live_posts(reader_id: int, stream: Stream) -> set[int]:
    """Return the posts ``stream`` must have been sent while it listened.

    Those are the posts for its reader by the chatty people, whose follows
    never change; a quiet author's older notes copied in by a new follow
    reach the timeline without an event, as in Mastodon.
    """
    reader = Account.objects.get(pk=reader_id)
    return set(
        Post.objects.filter(
            id__in=expected_home(reader),
            created_at__gt=datetime.fromtimestamp(stream.connected_at, tz=UTC),
            author__username__in=[f"p{n}" for n in range(CHATTY)],
        ).values_list("id", flat=True)
    )


def run_community(tmp_path: Path, env: dict[str, str], *, workers: int, flush):
    """Run the processes and the clients; check every timeline and stream."""
    rng = random.Random(7)
    people = [Account.objects.create(username=f"p{n}") for n in range(CHATTY + QUIET)]
    chatty, quiet = people[:CHATTY], people[CHATTY:]
    for person in chatty:  # the chatty people's fixed follow graph
        for other in rng.sample([p for p in chatty if p != person], 5):
            Follow.objects.create(follower=person, followee=other)
    for person in people:
        followers = Follow.objects.filter(followee=person).count()
        following = Follow.objects.filter(follower=person).count()
        Account.objects.filter(pk=person.pk).update(
            followers_count=followers, following_count=following
        )
    tokens = {p.pk: make_token(p, "read write follow") for p in people}
    (tmp_path / "var" / "static").mkdir(parents=True)  # granian serves it

    web_ports, streaming_port = [free_port(), free_port()], free_port()
    bases = [f"http://127.0.0.1:{port}" for port in web_ports]
    worker_cmd = [HUBBUB, "worker", "--sweep-interval", "1"]
    with ExitStack() as processes:
        for n, port in enumerate(web_ports):
            cmd = [HUBBUB, "web", "--port", str(port)]
            processes.enter_context(running(cmd, env, tmp_path / f"web{n}.log"))
        cmd = [HUBBUB, "streaming", "--port", str(streaming_port)]
        processes.enter_context(running(cmd, env, tmp_path / "streaming.log"))
        pids = [
            processes.enter_context(
                running(worker_cmd, env, tmp_path / f"worker{n}.log")
            )
            for n in range(workers)
        ]
        # Five processes start at once on a small, busy machine.
        for base in bases:
            wait_until_serving(f"{base}/api/v1/instance", timeout=150)
        wait_until_serving(
            f"http://127.0.0.1:{streaming_port}/api/v1/streaming/health", timeout=150
        )
        streams = {
            p.pk: Stream(streaming_port, tokens[p.pk]) for p in chatty[:STREAMED]
        }
        time.sleep(0.5)  # let the streaming server register them

        shared: dict[str, list[str]] = {"chatty_posts": []}
        quiet_ids = {p.pk for p in quiet}
        until = time.monotonic() + RUN_SECONDS
        errors: list[BaseException] = []

        def client(person: Account, seed: int) -> None:
            try:
                act(
                    Api(bases, tokens[person.pk], seed),
                    random.Random(seed),
                    quiet=person.pk in quiet_ids,
                    quiet_ids=quiet_ids,
                    shared=shared,
                    until=until,
                )
            except BaseException as error:  # reported after the join
                errors.append(error)

        threads = [
            threading.Thread(target=client, args=(p, n)) for n, p in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER)
        os.kill(pids[0], signal.SIGKILL)
        flush()
        if workers == 1:  # as a supervisor would, start it again
            processes.enter_context(
                running(worker_cmd, env, tmp_path / "worker-again.log")
            )
        for thread in threads:
            thread.join(timeout=RUN_SECONDS + 60)
        assert not errors, errors

        # Lost fan-outs are re-driven by a sweeper within seconds.
        assert wait_for(
            lambda: not Post.objects.filter(fanned_out_at__isnull=True).exists(),
            timeout=90,
            interval=0.5,
        ), "fan-outs were left unfinished"
        # A busy streaming process may be seconds behind: give it time.
        wanted_live = {pk: live_posts(pk, stream) for pk, stream in streams.items()}
        wait_for(
            lambda: all(
                wanted_live[pk] <= set(stream.updates) for pk, stream in streams.items()
            ),
            timeout=60,
            interval=0.5,
        )
        for stream in streams.values():
            stream.close()

        posts = Post.objects.count()
        assert posts > 50  # the run did real work
        for person in people:
            api = Api(bases, tokens[person.pk], person.pk)
            home = api.home_ids()
            assert len(home) == len(set(home)), f"{person} has duplicates"
            assert set(home) == expected_home(person), explain(person, home)
            # Read again: with Redis, the first read queued a rebuild.
            assert api.home_ids() == home

    for pk, stream in streams.items():
        reader = Account.objects.get(pk=pk)
        assert len(stream.updates) == len(set(stream.updates)), "duplicate events"
        assert set(stream.updates) <= expected_home(reader), explain(
            reader, stream.updates
        )
        missed = wanted_live[pk] - set(stream.updates)
        assert not missed, (reader, sorted(missed))
    return posts


@pytest.mark.database("postgresql")
def test_two_webs_two_workers_and_streaming_on_postgresql_and_redis(
    transactional_db, tmp_path
):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = hubbub_env(
        tmp_path,
        HUBBUB_REDIS_URL=REDIS_URL,
        HUBBUB_TASK_QUEUE="redis",
        HUBBUB_API_RATE_LIMIT="1000000",
        HUBBUB_FANOUT_SWEEP_AFTER="3",
        HUBBUB_STREAMING_HEARTBEAT="1",
    )

    run_community(tmp_path, env, workers=2, flush=client.flushdb)

    # The timelines read after the flush were rebuilt into Redis.
    assert len(list(client.scan_iter(match="hubbub:tl:*"))) >= CHATTY + QUIET


@pytest.mark.database("sqlite")
def test_two_webs_one_worker_and_streaming_on_sqlite(transactional_db, tmp_path):
    env = hubbub_env(
        tmp_path,
        HUBBUB_REDIS_URL="",
        HUBBUB_API_RATE_LIMIT="1000000",
        HUBBUB_FANOUT_SWEEP_AFTER="3",
        HUBBUB_STREAMING_HEARTBEAT="1",
    )

    run_community(tmp_path, env, workers=1, flush=lambda: None)
