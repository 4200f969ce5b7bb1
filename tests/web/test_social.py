"""Favourites, boosts, deleting, notifications, follow requests, blocks and
mutes through the pages, with a CSRF-enforcing client.

Each form post first GETs a page that shows the form and takes its CSRF
token, as a browser does; htmx posts send the token as a header.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hubbub.accounts.actions import block_account, follow_account, set_locked
from hubbub.accounts.models import Account, Block, Follow, FollowRequest, Mute
from hubbub.notifications.models import Notification
from hubbub.posts.actions import boost_post, favourite_post, publish_note
from hubbub.posts.models import Favourite, Post, Visibility
from tests.conftest import logged_in
from tests.factories import AccountFactory
from tests.web.test_pages import csrf_token, htmx_post, submit, text_of

pytestmark = pytest.mark.django_db


def note_url(post: Post) -> str:
    return f"/@{post.author.username}/{post.id}"


@pytest.fixture
def alice_client(csrf_client, alice) -> Client:
    return logged_in(csrf_client, alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return logged_in(Client(enforce_csrf_checks=True), bob)


@pytest.fixture
def note(alice) -> Post:
    return publish_note(alice, text="a note worth a star")


# --- favourites ------------------------------------------------------------------


def test_favourite_without_js_redirects_back(bob_client, bob, note):
    response = submit(
        bob_client,
        note_url(note),
        f"/notes/{note.id}/favourite",
        {"next": note_url(note)},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{note_url(note)}#post-{note.id}"
    assert Favourite.objects.filter(account=bob, post=note).exists()
    note.refresh_from_db()
    assert note.favourites_count == 1


def test_favourite_and_unfavourite_with_htmx_swap_the_buttons(bob_client, note):
    response = htmx_post(bob_client, "/public", f"/notes/{note.id}/favourite", {})

    assert response.status_code == 200
    page = text_of(response)
    assert page.startswith(f'<div class="post-actions" id="actions-{note.id}">')
    assert "★ Unfavourite" in page
    assert f'href="/@alice/{note.id}/favourited_by">1<' in page

    response = htmx_post(bob_client, "/public", f"/notes/{note.id}/unfavourite", {})

    page = text_of(response)
    assert "★ Favourite" in page
    assert f'href="/@alice/{note.id}/favourited_by">0<' in page
    assert not Favourite.objects.exists()


def test_favourite_needs_the_csrf_token(bob_client, note):
    response = bob_client.post(f"/notes/{note.id}/favourite")

    assert response.status_code == 403
    assert not Favourite.objects.exists()


def test_favourite_needs_a_login(csrf_client, note):
    token = csrf_token(csrf_client, "/login")
    response = csrf_client.post(
        f"/notes/{note.id}/favourite", {"csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    assert not Favourite.objects.exists()


def test_favourite_of_a_post_you_may_not_see_is_404(bob_client, alice):
    secret = publish_note(alice, text="just friends", visibility=Visibility.FOLLOWERS)

    response = submit(bob_client, "/", f"/notes/{secret.id}/favourite", {})

    assert response.status_code == 404
    assert not Favourite.objects.exists()


def test_favourited_by_and_boosted_by_pages(csrf_client, bob, carol, note):
    favourite_post(bob, post=note)
    favourite_post(carol, post=note)
    boost_post(carol, post=note)

    favourites = text_of(csrf_client.get(f"/@alice/{note.id}/favourited_by"))
    boosts = text_of(csrf_client.get(f"/@alice/{note.id}/boosted_by"))

    assert favourites.index("@carol") < favourites.index("@bob")
    assert "@carol" in boosts
    assert "@bob" not in boosts


def test_favourited_by_under_the_wrong_name_redirects(csrf_client, note):
    response = csrf_client.get(f"/@bob/{note.id}/favourited_by")

    assert response.status_code == 302
    assert response["Location"] == f"/@alice/{note.id}/favourited_by"


def test_favourited_by_a_hidden_post_is_404(csrf_client, alice):
    secret = publish_note(alice, text="just friends", visibility=Visibility.FOLLOWERS)

    assert csrf_client.get(f"/@alice/{secret.id}/favourited_by").status_code == 404
    assert csrf_client.get(f"/@alice/{secret.id}/boosted_by").status_code == 404


# --- boosts ----------------------------------------------------------------------


def test_boost_and_unboost_with_htmx(bob_client, bob, note):
    response = htmx_post(bob_client, "/public", f"/notes/{note.id}/boost", {})

    assert response.status_code == 200
    assert "🔁 Unboost" in text_of(response)
    boost = Post.objects.get(reblog_of=note)
    assert boost.author_id == bob.pk

    # Taking it back from the boost as shown in a timeline.
    response = htmx_post(bob_client, "/public", f"/notes/{boost.id}/unboost", {})

    assert response.status_code == 200
    page = text_of(response)
    assert page.startswith(f'<div class="post-actions" id="actions-{boost.id}">')
    assert "🔁 Boost" in page
    note.refresh_from_db()
    assert note.reblogs_count == 0


def test_boosting_a_followers_only_note_is_refused(bob_client, alice, bob):
    follow_account(bob, followee=alice)
    secret = publish_note(alice, text="just friends", visibility=Visibility.FOLLOWERS)
    page = text_of(bob_client.get(note_url(secret)))
    assert "Followers-only notes can\u2019t be boosted" in page
    before = Post.objects.count()

    response = submit(bob_client, note_url(secret), f"/notes/{secret.id}/boost", {})
    htmx = htmx_post(bob_client, note_url(secret), f"/notes/{secret.id}/boost", {})

    assert response.status_code == 400
    assert "can&#x27;t be boosted" in text_of(response)
    assert htmx.status_code == 400
    assert 'role="alert"' in text_of(htmx)
    assert Post.objects.count() == before


# --- deleting --------------------------------------------------------------------


def test_delete_from_the_notes_own_page_goes_to_the_profile(alice_client, note):
    page = text_of(alice_client.get(note_url(note)))
    assert "Yes, delete it" in page

    response = submit(
        alice_client,
        note_url(note),
        f"/notes/{note.id}/delete",
        {"next": note_url(note)},
    )

    assert response.status_code == 302
    assert response["Location"] == "/@alice"
    assert alice_client.get(note_url(note)).status_code == 404
    assert "a note worth a star" not in text_of(alice_client.get("/"))


def test_delete_with_htmx_leaves_a_tombstone(alice_client, note):
    response = htmx_post(alice_client, "/", f"/notes/{note.id}/delete", {})

    assert response.status_code == 200
    assert "This note was deleted." in text_of(response)
    note.refresh_from_db()
    assert note.deleted_at is not None


def test_deleting_someone_elses_note_is_404(bob_client, note):
    assert "Yes, delete it" not in text_of(bob_client.get(note_url(note)))

    response = submit(bob_client, "/", f"/notes/{note.id}/delete", {})

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.deleted_at is None


# --- notifications ---------------------------------------------------------------


@pytest.fixture
def noticed_alice(alice, bob, carol, note, run_jobs) -> Account:
    with run_jobs():
        follow_account(carol, followee=alice)
    with run_jobs():
        favourite_post(bob, post=note)
    return alice


def test_notifications_page_lists_newest_first(alice_client, noticed_alice):
    page = text_of(alice_client.get("/notifications"))

    assert page.index("favourited your note") < page.index("followed you")
    assert page.count('class="notification ') == 2
    assert page.count(" unread") >= 2


def test_notifications_filter_by_type(alice_client, noticed_alice):
    page = text_of(alice_client.get("/notifications?type=follow"))

    assert "followed you" in page
    assert "favourited your note" not in page
    assert alice_client.get("/notifications?type=nonsense").status_code == 400


def test_unread_count_fragment_and_mark_all_read(alice_client, noticed_alice):
    badge = text_of(alice_client.get("/notifications/unread"))
    assert '<span class="badge">2</span>' in badge

    response = submit(
        alice_client,
        "/notifications",
        "/notifications/read",
        {"next": "/notifications?type=follow"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/notifications?type=follow"
    assert "badge" not in text_of(alice_client.get("/notifications/unread"))
    # Reading marks; it does not delete.
    assert Notification.objects.filter(recipient=noticed_alice).count() == 2


def test_header_loads_the_unread_count_lazily(alice_client, noticed_alice):
    with CaptureQueriesContext(connection) as queries:
        page = text_of(alice_client.get("/"))

    assert 'hx-get="/notifications/unread"' in page
    assert '<a href="/notifications"' in page
    assert not any("notifications_notification" in q["sql"] for q in queries)


def test_notification_pages_need_a_login(csrf_client):
    assert csrf_client.get("/notifications").status_code == 302
    assert text_of(csrf_client.get("/notifications/unread")).strip() == (
        '<span id="unread-count"></span>'
    )


# --- locked accounts and follow requests -----------------------------------------


def test_lock_the_account_in_profile_settings(alice_client, alice):
    page = text_of(alice_client.get("/settings/profile"))
    assert '<label for="id_locked">Approve followers manually</label>' in page

    response = submit(
        alice_client,
        "/settings/profile",
        "/settings/profile",
        {"display_name": "Alice", "bio": "", "locked": "on"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.locked


def test_request_then_approve_through_the_pages(
    alice_client, bob_client, alice, bob, run_jobs
):
    set_locked(alice, locked=True)
    assert "Ask to follow @alice" in text_of(bob_client.get("/@alice"))

    with run_jobs():
        response = submit(bob_client, "/@alice", "/@alice/follow", {})

    assert response.status_code == 302
    assert FollowRequest.objects.filter(follower=bob, followee=alice).exists()
    assert "Requested: withdraw" in text_of(bob_client.get("/@alice"))
    assert "asked to follow you" in text_of(alice_client.get("/notifications"))
    assert "@bob" in text_of(alice_client.get("/settings/follow-requests"))

    response = submit(alice_client, "/settings/follow-requests", "/@bob/approve", {})

    assert response.status_code == 302
    assert Follow.objects.filter(follower=bob, followee=alice).exists()
    assert not FollowRequest.objects.exists()
    assert "Unfollow @alice" in text_of(bob_client.get("/@alice"))


def test_reject_with_htmx_replaces_the_row(alice_client, alice, bob):
    set_locked(alice, locked=True)
    follow_account(bob, followee=alice)

    response = htmx_post(alice_client, "/settings/follow-requests", "/@bob/reject", {})

    assert response.status_code == 200
    assert text_of(response).strip() == '<li role="status">Rejected @bob.</li>'
    assert not FollowRequest.objects.exists()
    assert not Follow.objects.exists()


def test_approving_someone_who_did_not_ask_is_400(alice_client, bob):
    response = submit(alice_client, "/settings/follow-requests", "/@bob/approve", {})

    assert response.status_code == 400
    assert "has not asked to follow you" in text_of(response)
    assert not Follow.objects.exists()


# --- blocks and mutes ------------------------------------------------------------


def test_block_through_the_profile(alice_client, bob_client, alice, bob, note):
    follow_account(bob, followee=alice)
    follow_account(alice, followee=bob)

    response = submit(alice_client, "/@bob", "/@bob/block", {})

    assert response.status_code == 302
    assert Block.objects.filter(account=alice, target=bob).exists()
    assert not Follow.objects.exists()
    assert "You block @bob" in text_of(alice_client.get("/@bob"))
    # Bob can't see alice's note, nor follow her again.
    assert bob_client.get(note_url(note)).status_code == 404
    refused = submit(bob_client, "/@alice", "/@alice/follow", {})
    assert refused.status_code == 400
    assert "You can&#x27;t follow @alice." in text_of(refused)
    assert not Follow.objects.exists()


def test_block_with_htmx_swaps_the_profile_buttons(alice_client, alice, bob):
    follow_account(alice, followee=bob)

    response = htmx_post(alice_client, "/@bob", "/@bob/block", {})

    page = text_of(response)
    assert page.startswith('<div class="follow" id="follow-bob">')
    assert "You block @bob" in page
    assert "Unblock @bob" in page
    assert "<strong>0</strong> followers" in page


def test_blocking_yourself_is_400(alice_client):
    response = submit(alice_client, "/@alice", "/@alice/block", {})

    assert response.status_code == 400
    assert "You can&#x27;t block yourself." in text_of(response)
    assert not Block.objects.exists()


def test_blocks_list_and_unblock_in_place(alice_client, alice, bob):
    block_account(alice, target=bob)
    assert "@bob" in text_of(alice_client.get("/settings/blocks"))

    response = htmx_post(
        alice_client, "/settings/blocks", "/@bob/unblock", {"row": "1"}
    )

    assert text_of(response).strip() == '<li role="status">Unblocked @bob.</li>'
    assert not Block.objects.exists()
    assert "You block nobody." in text_of(alice_client.get("/settings/blocks"))


def test_mute_and_unmute_through_the_forms(alice_client, alice, bob):
    response = submit(alice_client, "/@bob", "/@bob/mute", {"next": "/@bob"})

    assert response.status_code == 302
    assert Mute.objects.filter(account=alice, target=bob).exists()
    assert "@bob" in text_of(alice_client.get("/settings/mutes"))
    assert "Unmute @bob" in text_of(alice_client.get("/@bob"))

    submit(alice_client, "/settings/mutes", "/@bob/unmute", {})

    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    "page",
    [
        "/notifications",
        "/settings/follow-requests",
        "/settings/blocks",
        "/settings/mutes",
    ],
)
def test_settings_pages_need_a_login(csrf_client, page):
    response = csrf_client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_notifications_page_queries_do_not_grow_with_the_page(
    alice_client, alice, run_jobs
):
    note = publish_note(alice, text="popular")

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get("/notifications").status_code == 200
        return len(queries)

    def favourites(n: int) -> None:
        with run_jobs():
            for fan in AccountFactory.create_batch(n):
                favourite_post(fan, post=note)

    favourites(1)
    few = page_queries()
    favourites(5)

    assert page_queries() == few
