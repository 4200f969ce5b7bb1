"""The server-rendered pages, through a CSRF-enforcing client.

Every form post first GETs the page that shows the form and takes the CSRF
token from its HTML, as a browser does.
"""

import json
import re

import pytest
from django.test import Client

from hubbub.accounts.actions import follow_account, update_profile
from hubbub.accounts.models import Account, Follow
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from tests.conftest import logged_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LONG_URL = "https://example.com/" + "a" * 280
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HX_HEADERS = re.compile(r"hx-headers='([^']+)'")


def csrf_token(client: Client, page: str) -> str:
    """GET ``page`` and return the CSRF token its form carries."""
    response = client.get(page)
    assert response.status_code == 200
    match = _TOKEN.search(response.content.decode())
    assert match, f"no form with a CSRF token on {page}"
    return match.group(1)


def submit(client: Client, page: str, action: str, data: dict, **kwargs):
    """Fill in the form shown on ``page`` and post it to ``action``."""
    token = csrf_token(client, page)
    return client.post(action, {**data, "csrfmiddlewaretoken": token}, **kwargs)


def htmx_post(client: Client, page: str, action: str, data: dict):
    """Post as htmx does: the token from the page's hx-headers, as a header."""
    response = client.get(page)
    match = _HX_HEADERS.search(response.content.decode())
    assert match
    token = json.loads(match.group(1))["X-CSRFToken"]
    return client.post(
        action, data, headers={"HX-Request": "true", "X-CSRFToken": token}
    )


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def alice_client(csrf_client, alice):
    return logged_in(csrf_client, alice)


# --- signing up, in and out -----------------------------------------------------


def test_sign_up_logs_in_and_goes_home(csrf_client):
    response = submit(
        csrf_client,
        "/signup",
        "/signup",
        {"username": "dave", "display_name": "Dave", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    dave = Account.objects.get(username="dave")
    assert dave.display_name == "Dave"
    home = csrf_client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user.pk == dave.pk
    assert "Log out @dave" in text_of(home)


def test_sign_up_duplicate_in_other_case_is_refused(csrf_client, alice):
    response = submit(
        csrf_client, "/signup", "/signup", {"username": "ALICE", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert "That username is taken." in text_of(response)
    assert Account.objects.count() == 1
    assert not csrf_client.get("/").wsgi_request.user.is_authenticated


def test_sign_up_weak_password_shows_the_error(csrf_client):
    response = submit(
        csrf_client, "/signup", "/signup", {"username": "dave", "password": "short"}
    )

    assert response.status_code == 400
    assert "too short" in text_of(response)
    assert not Account.objects.exists()


def test_log_in_and_log_out(csrf_client, alice):
    response = submit(
        csrf_client, "/login", "/login", {"username": "Alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert csrf_client.get("/").wsgi_request.user.pk == alice.pk

    # Logging out is a POST from the form in the header.
    assert csrf_client.get("/logout").status_code == 405
    response = submit(csrf_client, "/", "/logout", {})

    assert response.status_code == 302
    assert response["Location"] == "/public"
    assert csrf_client.get("/")["Location"] == "/public"


def test_log_in_with_a_wrong_password_is_refused(csrf_client, alice):
    response = submit(
        csrf_client, "/login", "/login", {"username": "alice", "password": "nope"}
    )

    assert response.status_code == 400
    assert "enter a correct username and password" in text_of(response)
    assert not csrf_client.get("/public").wsgi_request.user.is_authenticated


def test_pages_that_need_a_login_redirect_to_it(csrf_client):
    response = csrf_client.get("/settings/profile")

    assert response.status_code == 302
    assert response["Location"] == "/login?next=/settings/profile"


# --- profile ----------------------------------------------------------------------


def test_edit_profile(alice_client, alice):
    response = submit(
        alice_client,
        "/settings/profile",
        "/settings/profile",
        {"display_name": "Alice Liddell", "bio": "Down the https://rabbit.example"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/@alice"
    alice.refresh_from_db()
    assert alice.display_name == "Alice Liddell"
    page = text_of(alice_client.get("/@alice"))
    assert "Alice Liddell" in page
    assert 'href="https://rabbit.example"' in page


def test_edit_profile_with_too_long_bio_changes_nothing(alice_client, alice):
    update_profile(alice, display_name="Before", bio="before")

    response = submit(
        alice_client,
        "/settings/profile",
        "/settings/profile",
        {"display_name": "After", "bio": "b" * 501},
    )

    assert response.status_code == 400
    assert "Bios are at most 500 characters." in text_of(response)
    alice.refresh_from_db()
    assert (alice.display_name, alice.bio) == ("Before", "before")


def test_profile_page_shows_notes_and_counts(csrf_client, alice, bob, carol):
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    follow_account(bob, followee=carol)
    publish_note(bob, text="first from bob")
    publish_note(bob, text="second from bob")

    page = text_of(csrf_client.get("/@BOB"))

    assert "first from bob" in page
    assert "second from bob" in page
    assert "<strong>2</strong> followers" in page
    assert "<strong>1</strong> following" in page
    assert "<strong>2</strong> notes" in page


def test_unknown_profile_is_404(csrf_client):
    assert csrf_client.get("/@nobody").status_code == 404


def test_follower_and_following_lists(csrf_client, alice, bob):
    follow_account(alice, followee=bob)

    followers = text_of(csrf_client.get("/@bob/followers"))
    following = text_of(csrf_client.get("/@alice/following"))

    assert "@alice" in followers
    assert "@bob" in following


# --- notes ------------------------------------------------------------------------


def test_post_a_note_through_the_form(alice_client, alice):
    response = submit(alice_client, "/", "/notes", {"text": "hello world", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    note = Post.objects.get()
    assert note.text == "hello world"
    assert f'id="post-{note.id}"' in text_of(alice_client.get("/"))


def test_post_redirect_ignores_a_foreign_next(alice_client):
    response = submit(
        alice_client, "/", "/notes", {"text": "hi", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_141_character_note_is_refused(alice_client, alice):
    response = submit(alice_client, "/", "/notes", {"text": "a" * 141})

    assert response.status_code == 400
    page = text_of(response)
    assert "character limit" in page
    # The draft is kept, and the counter shows the server's count.
    assert "a" * 141 + "</textarea>" in page
    assert "141 / 140" in page
    assert not Post.objects.exists()
    assert not TimelineEntry.objects.exists()
    alice.refresh_from_db()
    assert alice.posts_count == 0


@pytest.mark.parametrize("text", ["", "   ", "\u3000\u200b"])
def test_empty_note_is_refused(alice_client, text):
    response = submit(alice_client, "/", "/notes", {"text": text})

    assert response.status_code == 400
    assert "be blank" in text_of(response)
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("/notes", {"text": "forged"}),
        ("/@bob/follow", {}),
        ("/settings/profile", {"display_name": "forged", "bio": ""}),
        ("/logout", {}),
    ],
)
def test_post_without_csrf_token_is_403_and_writes_nothing(
    alice_client, alice, bob, action, data
):
    response = alice_client.post(action, data)

    assert response.status_code == 403
    assert not Post.objects.exists()
    assert not Follow.objects.exists()
    alice.refresh_from_db()
    assert alice.display_name == ""
    assert alice_client.get("/").wsgi_request.user.pk == alice.pk


def test_post_with_a_wrong_csrf_token_is_403(alice_client):
    csrf_token(alice_client, "/")

    response = alice_client.post(
        "/notes", {"text": "x", "csrfmiddlewaretoken": "x" * 64}
    )

    assert response.status_code == 403
    assert not Post.objects.exists()


def test_posting_needs_a_login(csrf_client):
    response = submit(csrf_client, "/signup", "/notes", {"text": "anonymous"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    assert not Post.objects.exists()


def test_note_permalink(csrf_client, bob):
    note = publish_note(bob, text="permanent")

    response = csrf_client.get(f"/@bob/{note.id}")

    assert response.status_code == 200
    assert "permanent" in text_of(response)


def test_note_under_the_wrong_username_redirects(csrf_client, alice, bob):
    note = publish_note(bob, text="whose?")

    response = csrf_client.get(f"/@alice/{note.id}")

    assert response.status_code == 301
    assert response["Location"] == f"/@bob/{note.id}"


@pytest.mark.parametrize(
    "post_id",
    [
        pytest.param("12345", id="unknown"),
        pytest.param("9" * 19, id="19-digits-over-64-bits"),
        pytest.param("1" * 30, id="30-digits"),
        pytest.param("abc", id="not-a-number"),
    ],
)
def test_missing_note_is_404(csrf_client, bob, post_id):
    publish_note(bob, text="the only note")

    assert csrf_client.get(f"/@bob/{post_id}").status_code == 404


def test_direct_note_is_404_for_others(csrf_client, alice, bob):
    note = publish_note(bob, text="psst", visibility="direct")

    assert csrf_client.get(f"/@bob/{note.id}").status_code == 404
    assert logged_in(csrf_client, bob).get(f"/@bob/{note.id}").status_code == 200


# --- paging -----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/", "/public", "/@alice"])
@pytest.mark.parametrize(
    "query",
    ["max_id=abc", "min_id=-1", "max_id=1.5", "max_id=%EF%BC%91", "max_id=" + "1" * 20],
)
def test_bad_cursor_is_400(alice_client, page, query):
    response = alice_client.get(f"{page}?{query}")

    assert response.status_code == 400
    assert "must be a post id" in text_of(response)


@pytest.mark.parametrize("page", ["/", "/public", "/@alice"])
def test_cursor_beyond_64_bits_is_an_empty_page_not_an_error(alice_client, alice, page):
    publish_note(alice, text="hello")

    response = alice_client.get(f"{page}?min_id={'9' * 19}")

    assert response.status_code == 200
    assert "hello" not in text_of(response)


def test_home_pages_with_older_and_newer_links(alice_client, alice, settings):
    settings.HUBBUB_PAGE_SIZE = 3
    notes = [publish_note(alice, text=f"note number {n}") for n in range(5)]

    first = text_of(alice_client.get("/"))
    assert [f"note number {n}" in first for n in range(5)] == [False] * 2 + [True] * 3
    assert f'href="/?max_id={notes[2].id}"' in first
    assert "min_id" not in first

    second = text_of(alice_client.get(f"/?max_id={notes[2].id}"))
    assert "note number 1" in second
    assert "note number 0" in second
    assert "note number 2" not in second
    assert f'href="/?min_id={notes[1].id}"' in second


# --- following --------------------------------------------------------------------


def test_follow_and_unfollow_through_the_form(alice_client, alice, bob):
    publish_note(bob, text="bob was here")

    response = submit(alice_client, "/@bob", "/@bob/follow", {})

    assert response.status_code == 302
    assert response["Location"] == "/@bob"
    assert Follow.objects.filter(follower=alice, followee=bob).exists()
    page = text_of(alice_client.get("/@bob"))
    assert "Unfollow @bob" in page
    assert "<strong>1</strong> followers" in page
    assert "bob was here" in text_of(alice_client.get("/"))

    response = submit(alice_client, "/@bob", "/@bob/unfollow", {})

    assert response.status_code == 302
    assert not Follow.objects.exists()
    page = text_of(alice_client.get("/@bob"))
    assert "Follow @bob" in page
    assert "<strong>0</strong> followers" in page
    assert "bob was here" not in text_of(alice_client.get("/"))


def test_follow_yourself_is_400_with_a_clear_error(alice_client, alice):
    response = submit(alice_client, "/", "/@alice/follow", {})

    assert response.status_code == 400
    assert "You can&#x27;t follow yourself." in text_of(response)
    assert not Follow.objects.exists()
    alice.refresh_from_db()
    assert alice.following_count == 0


def test_follow_unknown_account_is_404(alice_client):
    response = submit(alice_client, "/", "/@nobody/follow", {})

    assert response.status_code == 404


def test_follow_with_htmx_returns_the_button(alice_client, alice, bob):
    response = htmx_post(alice_client, "/@bob", "/@bob/follow", {})

    assert response.status_code == 200
    page = text_of(response)
    assert page.startswith('<div class="follow" id="follow-bob">')
    assert "Unfollow @bob" in page
    assert "<strong>1</strong> followers" in page


# --- htmx compose ---------------------------------------------------------------


def test_htmx_post_returns_the_note_and_a_fresh_form(alice_client, alice):
    response = htmx_post(alice_client, "/", "/notes", {"text": "from htmx"})

    assert response.status_code == 201
    page = text_of(response)
    note = Post.objects.get()
    assert note.text == "from htmx"
    assert page.startswith('<form id="compose"')
    assert re.search(r"<textarea[^>]*></textarea>", page)
    assert 'hx-swap-oob="afterbegin:#timeline"' in page
    assert f'id="post-{note.id}"' in page
    assert "<p>from htmx</p>" in page
    assert "<html" not in page


def test_htmx_post_with_bad_text_is_422_with_the_error(alice_client):
    response = htmx_post(alice_client, "/", "/notes", {"text": "b" * 141})

    assert response.status_code == 422
    page = text_of(response)
    assert "character limit" in page
    assert "b" * 141 + "</textarea>" in page
    assert 'aria-invalid="true"' in page
    assert "hx-swap-oob" not in page
    assert not Post.objects.exists()


def test_compose_count_uses_the_servers_rule(alice_client):
    response = htmx_post(alice_client, "/", "/compose/count", {"text": LONG_URL})

    assert response.status_code == 200
    assert ">23 / 140</output>" in text_of(response)


@pytest.mark.parametrize(
    ("draft", "shown"),
    [
        ("", "0 / 140"),
        ("  hi\r\n  ", "2 / 140"),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "1 / 140"),
        ("@alice@very-long.example", "6 / 140"),
        ("a" * 141, "141 / 140: too long"),
    ],
)
def test_compose_count_cases(alice_client, draft, shown):
    response = htmx_post(alice_client, "/", "/compose/count", {"text": draft})

    assert f">{shown}</output>" in text_of(response)
    assert ("over" in text_of(response)) == shown.endswith("too long")
