"""Kept home timelines are sent again only while nothing they show changed.

A live server (real HTTP, its own thread and database connection) serves
the signed-in home page and the API's home timeline. Each test loads one,
checks the second load is the kept response (the timeline query does not
run), then changes something through the real actions, from this
thread's connection or from another process, and checks the next load
is made afresh and is exactly what a server with nothing kept sends.
"""

import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from importlib import import_module
from pathlib import Path
from unittest import mock

import orjson
import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db import transaction
from django.test import Client
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import timezone
from oauth2_provider.models import AccessToken

from hubbub.accounts.actions import (
    block_account,
    follow_account,
    unfollow_account,
    update_profile,
)
from hubbub.accounts.models import Account
from hubbub.core import kept_responses
from hubbub.moderation.actions import hide_post, suspend_account
from hubbub.posts.actions import delete_post, favourite_post, publish_note
from hubbub.posts.models import Post
from hubbub.timelines import queries
from hubbub.web import fragments
from tests.api.conftest import make_token
from tests.conftest import make_account, run_queued_tasks
from tests.live import HUBBUB, hubbub_env

pytestmark = pytest.mark.django_db(transaction=True)

KEPT_TRIES = 5

# Where a page carries its CSRF token: each request has its own.
_TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


class Reader:
    """Someone reading their home timeline over HTTP, on the page or in
    the API, and how often the server ran the timeline query for them."""

    def __init__(self, base: str, account: Account, kind: str, runs: list[int]) -> None:
        self.base, self.account, self.kind, self.runs = base, account, kind, runs
        if kind == "page":
            client = Client()
            client.force_login(account)
            client.get("/public")  # for the CSRF cookie
            self.session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.headers = {
                "Cookie": "; ".join(f"{k}={m.value}" for k, m in client.cookies.items())
            }
        else:
            token = make_token(account, "read")
            self.headers = {"Authorization": f"Bearer {token}"}
        # A first load may ask for work (with Redis, rebuilding the
        # reader's stored timeline), which is done before the test goes on.
        self.load()
        run_queued_tasks()

    def load(self) -> tuple[int, str]:
        """Return the status and body of the home timeline, the page's
        CSRF tokens blanked (each request has its own)."""
        return self.request()[:2]

    def request(self) -> tuple[int, str, Message]:
        path = "/" if self.kind == "page" else "/api/v1/timelines/home"
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.base + path, headers=self.headers
        )
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(request, timeout=30) as response:
                status, body = response.status, response.read().decode()
                headers = response.headers
        except urllib.error.HTTPError as e:
            status, body, headers = e.code, e.read().decode(), e.headers
            e.close()
        return status, _TOKENS.sub(r'\1"', body), headers

    def kept(self) -> tuple[int, str, Message]:
        """Load until a load is answered without the timeline query, and
        return it (the response made before it, kept).

        Any write to the database server moves the stamp, and on
        PostgreSQL that includes other databases' and its own background
        work, so a load may be made afresh now and then; a few tries
        always find the kept one when nothing changes.
        """
        self.request()
        for _ in range(KEPT_TRIES):
            runs = len(self.runs)
            answer = self.request()
            if len(self.runs) == runs:
                return answer
        pytest.fail(f"none of {KEPT_TRIES} loads was kept")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _OneThreadServer(LiveServerThread):
    """A live server answering on one thread with one database connection,
    as each of a web worker's threads does (Django's own starts a thread,
    and so a connection, per request)."""

    def _create_server(self, connections_override: object = None) -> WSGIServer:
        return WSGIServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


@pytest.fixture
def server(transactional_db) -> Iterator[str]:
    """Serve hubbub on a loopback port; yield its address."""
    thread = _OneThreadServer("127.0.0.1", lambda app: app)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=30)
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    forget_everything()
    yield
    forget_everything()


def forget_everything() -> None:
    kept_responses.responses.clear()
    fragments.pages.clear()
    fragments.kept.clear()


@pytest.fixture
def timeline_runs() -> Iterator[list[int]]:
    """Count the server's runs of the home timeline query."""
    runs: list[int] = []
    original = queries.home_timeline_rows

    def counted(*args: object, **kwargs: object) -> object:
        runs.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(queries, "home_timeline_rows", counted):
        yield runs


@pytest.fixture
def world() -> dict[str, object]:
    """Alice follows Bob, who has two notes in her timeline."""
    alice, bob, mod = make_account("alice"), make_account("bob"), make_account("mod")
    mod.is_staff = True
    mod.save(update_fields=["is_staff"])
    follow_account(alice, followee=bob)
    older = publish_note(bob, text="an older note")
    newer = publish_note(bob, text="a newer note")
    run_queued_tasks()
    return {"alice": alice, "bob": bob, "mod": mod, "older": older, "newer": newer}


def fresh(reader: Reader) -> tuple[int, str]:
    """Return what a server with nothing kept sends the reader now."""
    forget_everything()
    return reader.load()


def _posted(w: dict) -> None:
    publish_note(w["bob"], text="news from bob")
    run_queued_tasks()


def _favourited(w: dict) -> None:
    favourite_post(make_account("carol"), post=w["newer"])


def _own_favourite(w: dict) -> None:
    favourite_post(w["alice"], post=w["older"])


def _deleted(w: dict) -> None:
    delete_post(w["bob"], post=w["newer"])
    run_queued_tasks()


def _renamed(w: dict) -> None:
    update_profile(w["bob"], display_name="Robert", bio="")


def _blocked(w: dict) -> None:
    block_account(w["alice"], target=w["bob"])
    run_queued_tasks()


def _unfollowed(w: dict) -> None:
    unfollow_account(w["alice"], followee=w["bob"])
    run_queued_tasks()


def _hidden(w: dict) -> None:
    hide_post(w["mod"], post=w["newer"], reason="spam")


def _suspended(w: dict) -> None:
    suspend_account(w["mod"], account=w["bob"], reason="spam")


CHANGES: dict[str, Callable[[dict], None]] = {
    "a followed account posts": _posted,
    "someone favourites a note": _favourited,
    "the reader favourites a note": _own_favourite,
    "a note is deleted": _deleted,
    "its author is renamed": _renamed,
    "the reader blocks its author": _blocked,
    "the reader unfollows its author": _unfollowed,
    "a moderator hides a note": _hidden,
    "a moderator suspends its author": _suspended,
}


@pytest.mark.parametrize("kind", ["page", "api"])
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_is_shown_at_once(server, world, timeline_runs, kind, change):
    reader = Reader(server, world["alice"], kind, timeline_runs)
    status, before, _ = reader.kept()
    assert status == 200

    CHANGES[change](world)
    after = reader.load()

    assert after != (status, before)
    assert after == fresh(reader)


@pytest.mark.parametrize("kind", ["page", "api"])
def test_a_change_made_by_another_process_is_shown(
    server, world, timeline_runs, kind, tmp_path: Path
):
    reader = Reader(server, world["alice"], kind, timeline_runs)
    reader.kept()

    script = (
        "from hubbub.accounts.models import Account\n"
        "from hubbub.accounts.actions import update_profile\n"
        "update_profile(Account.objects.get(username='bob'),"
        " display_name='Bobby Tables', bio='')\n"
    )
    subprocess.run(
        [HUBBUB, "shell", "-c", script],
        env=hubbub_env(tmp_path),
        check=True,
        timeout=120,
    )
    after = reader.load()
    assert "Bobby Tables" in after[1]
    assert after == fresh(reader)


def test_a_kept_page_carries_the_requests_own_token_and_its_forms_work(
    server, world, timeline_runs
):
    reader = Reader(server, world["alice"], "page", timeline_runs)
    _, _, headers = reader.kept()
    # The kept page still passes through the CSRF middleware, which
    # refreshes the cookie its token belongs to.
    cookies = headers.get_all("Set-Cookie") or []
    assert any(c.startswith(f"{settings.CSRF_COOKIE_NAME}=") for c in cookies)
    request = urllib.request.Request(  # noqa: S310 (loopback)
        server + "/", headers=reader.headers
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    post = urllib.request.Request(  # noqa: S310 (loopback)
        server + "/notes",
        data=f"csrfmiddlewaretoken={token[1]}&text=posted+from+a+kept+page".encode(),
        headers={**reader.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(_NoRedirects).open(post, timeout=30)
    answer.value.close()
    assert answer.value.code == 302  # back to the timeline: posted
    assert Post.objects.filter(text="posted from a kept page").exists()


def test_a_kept_api_answer_counts_toward_the_rate_limit_and_keeps_its_link(
    server, world, timeline_runs
):
    reader = Reader(server, world["alice"], "api", timeline_runs)
    _, _, fresh_headers = reader.request()
    _, _, kept_headers = reader.kept()
    # Counted after the fresh one, so fewer requests remain.
    assert int(kept_headers["X-RateLimit-Remaining"]) < int(
        fresh_headers["X-RateLimit-Remaining"]
    )
    # The view's own header is kept with it.
    assert kept_headers["Link"] == fresh_headers["Link"]
    assert "min_id=" in kept_headers["Link"]


def test_each_api_answer_is_counted_once(server, world, timeline_runs):
    reader = Reader(server, world["alice"], "api", timeline_runs)
    reader.kept()
    first, second = reader.request()[2], reader.request()[2]
    assert _remaining(second) == _remaining(first) - 1


def test_a_token_revoked_since_it_was_kept_is_counted_per_address(
    server, world, timeline_runs
):
    reader = Reader(server, world["alice"], "api", timeline_runs)
    reader.kept()
    AccessToken.objects.all().delete()

    status, _, revoked = reader.request()
    reader.headers = {"Authorization": "Bearer never-issued"}
    _, _, never_issued = reader.request()

    assert status == 401
    # Both counted against the address, one after the other.
    assert _remaining(never_issued) == _remaining(revoked) - 1


def _remaining(headers: Message) -> int:
    return int(headers["X-RateLimit-Remaining"])


def test_signing_out_or_revoking_the_token_ends_the_kept_answer(
    server, world, timeline_runs
):
    page = Reader(server, world["alice"], "page", timeline_runs)
    api = Reader(server, world["alice"], "api", timeline_runs)
    assert page.kept()[0] == api.kept()[0] == 200

    # As signing out does: the session goes from the database and cache.
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(page.session_key).delete()
    AccessToken.objects.all().delete()

    assert page.load()[0] == 302  # to the public timeline
    assert api.load()[0] == 401


def test_a_kept_page_is_not_sent_once_its_session_has_expired(
    server, world, timeline_runs
):
    reader = Reader(server, world["alice"], "page", timeline_runs)
    assert reader.kept()[0] == 200
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with mock.patch("django.utils.timezone.now", return_value=later):
        status, _ = reader.load()
    assert status == 302


def test_each_session_gets_its_own_page(server, world, timeline_runs):
    alice = Reader(server, world["alice"], "page", timeline_runs)
    bob = Reader(server, world["bob"], "page", timeline_runs)
    mine, theirs = alice.kept()[:2], bob.kept()[:2]
    assert mine != theirs
    assert 'href="/@alice"' in mine[1]
    assert alice.kept()[:2] == mine
    assert bob.kept()[:2] == theirs


def test_a_response_made_inside_a_transaction_is_never_kept(world):
    client = Client()
    client.force_login(world["alice"])
    with transaction.atomic():
        assert client.get("/").status_code == 200
    assert len(kept_responses.responses) == 0


def test_a_kept_api_answer_is_the_same_json(server, world, timeline_runs):
    reader = Reader(server, world["alice"], "api", timeline_runs)
    made = orjson.loads(reader.request()[1])
    kept = orjson.loads(reader.kept()[1])
    assert kept == made
    assert [s["content"] for s in kept] == [
        "<p>a newer note</p>",
        "<p>an older note</p>",
    ]
