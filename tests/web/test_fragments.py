"""Timeline pages reuse rendered notes, and never show one stale.

``hubbub.web.fragments`` keeps each note's rendering under a digest of what
it shows. These tests change what a note shows, through the real actions,
between two loads of the same page, and check that the page follows.
"""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubbub.accounts.actions import follow_account, update_profile
from hubbub.posts.actions import (
    boost_post,
    delete_post,
    favourite_post,
    publish_note,
    unfavourite_post,
)
from hubbub.posts.models import Post
from hubbub.web import fragments
from hubbub.web.templatetags.hubbub import ago, ago_changes_at
from tests.conftest import logged_in
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

_TOKENS = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_cache():
    fragments.kept.clear()
    fragments.pages.clear()


@pytest.fixture
def alice_client(csrf_client, alice) -> Client:
    return logged_in(csrf_client, alice)


@pytest.fixture
def note(alice, bob, run_jobs) -> Post:
    follow_account(alice, followee=bob)
    with run_jobs():
        return publish_note(bob, text="a note worth reading")


def article(client: Client, post: Post) -> str:
    """Return ``post``'s article on the home page, loaded now."""
    page = client.get("/").content.decode()
    match = re.search(rf'<article[^>]* id="post-{post.id}".*?</article>', page, re.S)
    assert match, f"post {post.id} is not on the page"
    return match.group(0)


def test_a_second_load_comes_from_the_cache_and_matches_the_first(alice_client, note):
    first = article(alice_client, note)
    # The note, the composer above it and the site's header.
    assert len(fragments.kept) == 3

    second = article(alice_client, note)

    # Only the forms' CSRF tokens differ (each page masks its own).
    assert _TOKENS.sub("", first) == _TOKENS.sub("", second)
    assert "a note worth reading" in second


def test_the_forms_carry_the_pages_own_token_and_it_works(alice_client, note):
    article(alice_client, note)  # warm the cache
    page = alice_client.get("/").content.decode()
    tokens = set(_TOKENS.findall(page))

    assert len(tokens) == 1
    assert fragments._token_stand_in(settings.SECRET_KEY) not in page
    response = alice_client.post(
        f"/notes/{note.id}/favourite",
        {"csrfmiddlewaretoken": tokens.pop(), "next": "/"},
    )
    assert response.status_code == 302
    assert "★ Unfavourite" in article(alice_client, note)


def favourites_shown(html: str) -> str:
    match = re.search(r'>(\d+)<span class="visually-hidden"> favourite', html)
    assert match
    return match.group(1)


def test_a_favourite_by_someone_else_shows_in_the_count(alice_client, note, carol):
    assert favourites_shown(article(alice_client, note)) == "0"

    favourite_post(carol, post=note)

    assert favourites_shown(article(alice_client, note)) == "1"


def test_the_viewers_own_favourite_flips_the_button(alice_client, alice, note):
    assert "★ Favourite" in article(alice_client, note)

    favourite_post(alice, post=note)
    assert "★ Unfavourite" in article(alice_client, note)

    unfavourite_post(alice, post=note)
    assert "★ Favourite" in article(alice_client, note)


def test_a_deleted_note_leaves_the_page(alice_client, bob, note):
    article(alice_client, note)

    delete_post(bob, post=note)

    assert f'id="post-{note.id}"' not in alice_client.get("/").content.decode()


def test_a_reply_shows_when_its_parent_is_deleted(alice_client, bob, note, run_jobs):
    with run_jobs():
        reply = publish_note(bob, text="and another thing", in_reply_to=note)
    assert "in reply to <a" in article(alice_client, reply)
    # The reply counter on the parent moved too.
    assert "1 reply" in article(alice_client, note)

    delete_post(bob, post=note)

    assert "in reply to a deleted note" in article(alice_client, reply)


def test_a_new_display_name_shows_at_once(alice_client, bob, note):
    assert "Bobby Tables" not in article(alice_client, note)

    update_profile(bob, display_name="Bobby Tables", bio="")

    assert "Bobby Tables" in article(alice_client, note)


def test_a_boost_shows_in_the_count_and_for_the_booster(alice_client, alice, bob, note):
    carol = AccountFactory()
    boost_post(carol, post=note)
    assert re.search(
        r">1<span class=\"visually-hidden\"> boost", article(alice_client, note)
    )

    boost_post(alice, post=note)
    assert "🔁 Unboost" in article(alice_client, note)


def test_each_viewer_sees_their_own_buttons(alice_client, alice, bob, note):
    bob_client = logged_in(Client(), bob)

    assert "Delete" in article(bob_client, note)
    assert "Delete" not in article(alice_client, note)


def test_the_home_page_is_at_most_three_queries(alice_client, bob, note, run_jobs):
    with run_jobs():
        for n in range(25):
            publish_note(bob, text=f"note {n}")
    alice_client.get("/")

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get("/")

    assert response.status_code == 200
    # The session (unless Redis caches it), the account and the page.
    session = 0 if settings.SESSION_ENGINE.endswith("cached_sessions") else 1
    assert len(queries) == 2 + session, [q["sql"][:80] for q in queries]


def test_the_header_follows_the_reader_and_the_page(alice_client, alice):
    home = alice_client.get("/").content.decode()
    public = alice_client.get("/public").content.decode()
    assert re.search(r'href="/" aria-current="page">Home', home)
    assert re.search(r'href="/public" aria-current="page">Public', public)
    assert not re.search(r'aria-current="page">Home', public)
    assert "Moderation</a>" not in public

    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    public = alice_client.get("/public").content.decode()

    assert "Moderation</a>" in public
    assert "Log out @alice" in public


def test_a_second_home_load_is_the_kept_page_with_its_own_token(alice_client, note):
    first = alice_client.get("/").content.decode()
    assert len(fragments.pages) == 1

    second = alice_client.get("/").content.decode()

    assert len(fragments.pages) == 1
    # Only the CSRF tokens differ: the forms' and the one htmx sends.
    tokens = re.compile(r"\b[A-Za-z0-9]{64}\b")
    assert tokens.sub("", first) == tokens.sub("", second)
    assert fragments._token_stand_in(settings.SECRET_KEY) not in second
    assert len(set(tokens.findall(second))) == 1  # one per page, as Django masks it
    assert not set(tokens.findall(first)) & set(tokens.findall(second))


def test_another_session_gets_its_own_token_not_the_kept_one(alice, note):
    first = logged_in(Client(enforce_csrf_checks=True), alice)
    other = logged_in(Client(enforce_csrf_checks=True), alice)
    first_token = _TOKENS.findall(first.get("/").content.decode())[0]
    page = other.get("/").content.decode()
    assert len(fragments.pages) == 1  # the same page, kept
    token = _TOKENS.findall(page)[0]

    # Each token goes with its own session's cookie, not the other's.
    refused = other.post(
        f"/notes/{note.id}/favourite", {"csrfmiddlewaretoken": first_token, "next": "/"}
    )
    accepted = other.post(
        f"/notes/{note.id}/favourite", {"csrfmiddlewaretoken": token, "next": "/"}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302


def test_a_new_note_or_setting_makes_a_new_page(
    alice_client, alice, bob, note, run_jobs
):
    alice_client.get("/")
    with run_jobs():
        publish_note(bob, text="something newer")
    assert "something newer" in alice_client.get("/").content.decode()

    alice.promotional_posts = "show"
    alice.save(update_fields=["promotional_posts"])
    alice_client.get("/")

    assert len(fragments.pages) == 3


def test_a_page_with_a_message_is_rendered_afresh(alice_client, bob, note):
    alice_client.get("/")
    # A message waiting in the browser's cookie, as a redirecting view
    # leaves it.
    storage = CookieStorage(HttpRequest())
    storage.add(messages.SUCCESS, "Your story is on the news page.")
    carrier = HttpResponse()
    storage.update(carrier)
    alice_client.cookies["messages"] = carrier.cookies["messages"].value

    page = alice_client.get("/").content.decode()

    assert "Your story is on the news page." in page
    assert (
        "Your story is on the news page." not in alice_client.get("/").content.decode()
    )


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ago_at(moment: datetime, now: datetime) -> str:
    with mock.patch("django.utils.timezone.now", return_value=now):
        return ago(moment)


@pytest.mark.parametrize(
    "age",
    [
        timedelta(0),
        timedelta(seconds=59, microseconds=999_999),
        timedelta(seconds=60),
        timedelta(minutes=59, seconds=30),
        timedelta(hours=1),
        timedelta(hours=23, minutes=59, seconds=59),
        timedelta(days=6, hours=23),
        timedelta(days=13),
        timedelta(days=27, hours=23, minutes=59, seconds=59),
        timedelta(seconds=-30),  # a clock a little ahead of ours
    ],
)
def test_ago_changes_exactly_when_it_says(age):
    moment = NOW - age
    changes = ago_changes_at(moment, NOW)

    assert changes is not None
    assert changes > NOW
    last_same = changes - timedelta(microseconds=1)
    assert ago_at(moment, last_same) == ago_at(moment, NOW)
    assert ago_at(moment, changes) != ago_at(moment, NOW)


def test_ago_past_four_weeks_is_left_to_the_wording():
    assert ago_changes_at(NOW - timedelta(days=28), NOW) is None
    assert ago_changes_at(NOW - timedelta(days=400), NOW) is None


def test_a_kept_page_is_rendered_again_when_its_wording_changes(alice_client, note):
    assert "just now" in article(alice_client, note)
    later = note.created_at + timedelta(seconds=61)

    with mock.patch("django.utils.timezone.now", return_value=later):
        shown = article(alice_client, note)

    assert "1\xa0minute ago" in shown
    assert len(fragments.pages) == 1  # the same page, kept afresh


def test_a_kept_page_of_old_notes_lasts_while_their_wording_does():
    # Past four weeks the wording follows the calendar, so it is kept and
    # compared rather than given an end.
    old = timezone.now() - timedelta(days=45)
    page = fragments._KeptPage.render([old], lambda: "<p>a page</p>")

    assert page.until is None
    assert page.current()
    assert not replace(page, older=((old, "2\xa0months ago"),)).current()
