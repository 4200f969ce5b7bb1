"""A note's page in its conversation, replying through it, and tag pages.

Forms are posted through a CSRF-enforcing client, with the token taken from
the page that shows the form, as a browser does.
"""

import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from tests.conftest import logged_in, make_account
from tests.factories import PostFactory
from tests.posts.test_threads import deep_thread as chain
from tests.posts.test_threads import wide_thread

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HX_HEADERS = re.compile(r"hx-headers='([^']+)'")


def page_of(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def submit(client: Client, page: str, data: dict, **kwargs):
    """Fill in the form on ``page`` and post it to /notes."""
    token = _TOKEN.search(page_of(client, page))
    assert token, f"no form on {page}"
    return client.post("/notes", {**data, "csrfmiddlewaretoken": token[1]}, **kwargs)


def htmx_submit(client: Client, page: str, data: dict):
    token = json.loads(_HX_HEADERS.search(page_of(client, page))[1])["X-CSRFToken"]
    return client.post(
        "/notes", data, headers={"HX-Request": "true", "X-CSRFToken": token}
    )


def url(post: Post) -> str:
    return f"/@{post.author.username}/{post.id}"


def reply(parent: Post, author: Account | None = None, **fields) -> Post:
    return PostFactory(in_reply_to=parent, author=author or parent.author, **fields)


@pytest.fixture
def alice_client(csrf_client, alice):
    return logged_in(csrf_client, alice)


# --- the note page ------------------------------------------------------------


def test_note_page_shows_ancestors_the_note_and_nested_replies(csrf_client, alice, bob):
    root = publish_note(alice, text="the root")
    middle = publish_note(bob, text="the middle", in_reply_to=root)
    below = publish_note(alice, text="a reply below", in_reply_to=middle)
    beside = publish_note(bob, text="a second answer", in_reply_to=root)

    html = page_of(csrf_client, url(middle))
    html = html[html.index("<main") :]

    # Ancestors first, then the note, marked as the page's own, then replies.
    assert html.index("the root") < html.index("the middle") < html.index("a reply")
    assert f'id="post-{middle.id}" aria-current="page"' in html
    assert 'class="post h-entry focus"' in html
    assert f'<ol class="thread" id="replies-{middle.id}"' in html
    assert f'href="{url(below)}"' in html
    assert "a second answer" not in html  # a sibling, not a reply to this note
    assert f'in reply to <a class="u-in-reply-to" href="{url(root)}">@alice</a>' in html

    html = page_of(csrf_client, url(root))
    # Replies nest: the reply below sits in a list inside the middle's item.
    nested = html[
        html.index(f'id="post-{middle.id}"') : html.index(f'id="post-{beside.id}"')
    ]
    assert '<ol class="thread">' in nested
    assert f'id="post-{below.id}"' in nested
    assert nested.count("</ol></li>") == 1


def test_deleted_note_with_replies_shows_a_placeholder(csrf_client, alice, bob):
    root = publish_note(alice, text="root")
    gone = publish_note(bob, text="regrettable", in_reply_to=root)
    publish_note(alice, text="still here", in_reply_to=gone)
    Post.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())

    html = page_of(csrf_client, url(root))

    assert "This note was deleted." in html
    assert "regrettable" not in html
    assert "still here" in html
    page_of(csrf_client, url(gone), status=404)


def test_deep_branches_end_in_a_show_more_link(csrf_client, alice):
    posts = chain(alice, 9)

    html = page_of(csrf_client, url(posts[0]))

    # Six levels of replies are shown; the seventh is behind the link.
    for post in posts[1:7]:
        assert f'id="post-{post.id}"' in html
    assert f'id="post-{posts[7].id}"' not in html
    assert html.count("Show more replies") == 1
    assert f'<a href="{url(posts[6])}">Show more replies' in html
    # The deeper page carries on from there.
    deeper = page_of(csrf_client, url(posts[6]))
    assert f'id="post-{posts[9].id}"' in deeper


def test_show_more_under_a_deleted_note_links_to_a_visible_one(csrf_client, alice):
    posts = chain(alice, 8)
    Post.objects.filter(pk=posts[6].pk).update(deleted_at=timezone.now())

    html = page_of(csrf_client, url(posts[0]))

    assert f'<a href="{url(posts[7])}">Show more replies' in html


def test_a_wide_thread_lists_every_reply_in_order(csrf_client, alice, bob):
    root = PostFactory(author=alice)
    replies = [reply(root, bob) for _ in range(30)]

    html = page_of(csrf_client, url(root))

    positions = [html.index(f'id="post-{r.id}"') for r in replies]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda a: chain(a, 1), id="one reply"),
        pytest.param(lambda a: chain(a, 50), id="depth 50"),
        pytest.param(lambda a: [PostFactory(author=a)], id="no replies"),
        pytest.param(lambda a: wide_thread(a, 100), id="100 siblings"),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_note_page_query_count_is_constant_in_thread_size(
    csrf_client, alice, bob, build, signed_in, django_assert_num_queries
):
    posts = build(alice)
    if signed_in:
        logged_in(csrf_client, bob)
    # Anonymous: the note and its thread. Signed in: the account and whom a
    # reply addresses too, and the session unless Redis caches it.
    session = 0 if settings.SESSION_ENGINE.endswith("cached_sessions") else 1
    with django_assert_num_queries(4 + session if signed_in else 2):
        html = page_of(csrf_client, url(posts[0]))
    assert f'id="post-{posts[-1].id}"' in html or len(posts) > 7


def test_a_500_deep_chain_renders(csrf_client, alice):
    # B-71: neither the query nor the template recurses, and the page shows
    # the root and the nearest ancestors, with one link for the rest.
    posts = chain(alice, 500)

    assert "Show more replies" in page_of(csrf_client, url(posts[0]))
    html = page_of(csrf_client, url(posts[-1]))
    shown = [p for p in posts if f'id="post-{p.id}"' in html]
    assert shown == [posts[0], *posts[-7:]]
    assert (
        f'<a href="{url(posts[1])}">493 earlier notes in this conversation</a>' in html
    )


# --- visibility on the page ---------------------------------------------------


def test_hidden_replies_never_show_on_a_public_thread(csrf_client, alice, bob, carol):
    root = publish_note(alice, text="public root")
    publish_note(
        bob, text="secret to carol @carol", visibility="direct", in_reply_to=root
    )
    publish_note(bob, text="for my followers", visibility="followers", in_reply_to=root)

    for client in (csrf_client, logged_in(Client(), make_account("dave"))):
        html = page_of(client, url(root))
        assert "secret to carol" not in html
        assert "for my followers" not in html
    html = page_of(logged_in(Client(), carol), url(root))
    assert "secret to carol" in html
    assert "for my followers" not in html


def test_direct_note_page_is_404_for_strangers(csrf_client, alice, bob):
    note = publish_note(alice, text="@bob hi", visibility="direct")

    page_of(csrf_client, url(note), status=404)
    page_of(logged_in(csrf_client, make_account("dave")), url(note), status=404)
    assert "@<span>bob</span></a></span> hi" in page_of(
        logged_in(Client(), bob), url(note)
    )


def test_a_boost_permalink_shows_the_original(csrf_client, alice, bob):
    original = publish_note(alice, text="original")
    shared = PostFactory(author=bob, reblog_of=original, text="", html="")

    response = csrf_client.get(f"/@bob/{shared.id}")

    assert response.status_code == 302
    assert response["Location"] == url(original)


# --- the reply form -----------------------------------------------------------


def test_reply_form_addresses_everyone_in_the_exchange_but_you(
    alice_client, alice, bob, carol
):
    root = publish_note(bob, text="hi @alice and @carol")

    html = page_of(alice_client, url(root))

    assert '<label for="id_text">Reply to @bob</label>' in html
    assert ">@bob @carol </textarea>" in html
    assert f'name="in_reply_to" value="{root.id}"' in html
    assert '<form id="reply"' in html
    assert f'href="{url(root)}#reply"' in html
    # The counter counts the pre-filled handles: "@bob @carol" is 11.
    assert ">11 / 140<" in html


def test_reply_form_starts_with_the_notes_visibility(alice_client, alice, bob):
    follow_account(alice, followee=bob)
    root = publish_note(bob, text="friends", visibility="followers")

    html = page_of(alice_client, url(root))

    assert '<label for="id_visibility">Who can see it</label>' in html
    assert '<option value="followers" selected>Followers only</option>' in html
    assert '<option value="direct">Mentioned people only</option>' in html


def test_anonymous_visitors_are_asked_to_log_in_to_reply(csrf_client, alice):
    root = publish_note(alice, text="root")

    html = page_of(csrf_client, url(root))

    assert "to reply." in html
    assert 'name="in_reply_to"' not in html


def test_reply_without_javascript(alice_client, alice, bob, run_jobs):
    root = publish_note(bob, text="root")

    with run_jobs():
        response = submit(
            alice_client,
            url(root),
            {"text": "@bob agreed", "in_reply_to": root.id, "next": url(root)},
        )

    answer = Post.objects.get(author=alice)
    assert response.status_code == 302
    assert response["Location"] == f"{url(root)}#post-{answer.id}"
    assert answer.in_reply_to_id == root.id
    assert answer.visibility == "public"
    html = page_of(alice_client, url(root))
    assert f'id="post-{answer.id}"' in html
    assert "1 reply" in html


def test_reply_with_htmx_inserts_it_into_the_thread(alice_client, alice, bob):
    root = publish_note(bob, text="root")

    response = htmx_submit(
        alice_client,
        url(root),
        {"text": "@bob quick", "in_reply_to": root.id, "visibility": "unlisted"},
    )

    assert response.status_code == 201
    html = response.content.decode()
    answer = Post.objects.get(author=alice)
    assert answer.visibility == "unlisted"
    assert html.startswith('<form id="reply"')
    assert ">@bob </textarea>" in html  # a fresh form, addressed again
    assert f'hx-swap-oob="beforeend:#replies-{root.id}"' in html
    assert f'id="post-{answer.id}"' in html
    assert "<html" not in html


def test_a_too_long_reply_keeps_the_draft(alice_client, alice, bob):
    root = publish_note(bob, text="root")

    response = submit(
        alice_client, url(root), {"text": "x" * 141, "in_reply_to": root.id}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "character limit" in html
    assert "x" * 141 + "</textarea>" in html
    assert "Reply to @bob" in html
    assert not Post.objects.filter(author=alice).exists()

    response = htmx_submit(
        alice_client, url(root), {"text": "y" * 141, "in_reply_to": root.id}
    )
    assert response.status_code == 422
    assert "y" * 141 + "</textarea>" in response.content.decode()


@pytest.mark.parametrize("target", ["deleted", "private", "missing", "garbage"])
def test_reply_to_an_unavailable_note_is_404_and_writes_nothing(
    alice_client, alice, bob, target
):
    root = publish_note(bob, text="root")
    private = publish_note(bob, text="friends", visibility="followers")
    in_reply_to = {
        "deleted": root.id,
        "private": private.id,
        "missing": root.id + 7,
        "garbage": "12abc",
    }[target]
    page = url(root)
    if target == "deleted":
        Post.objects.filter(pk=root.pk).update(deleted_at=timezone.now())
        page = "/"

    response = submit(alice_client, page, {"text": "hi", "in_reply_to": in_reply_to})

    assert response.status_code == 404
    assert "That note is not available." in response.content.decode()
    assert not Post.objects.filter(author=alice).exists()

    response = htmx_submit(
        alice_client, page, {"text": "kept draft", "in_reply_to": in_reply_to}
    )
    assert response.status_code == 404
    html = response.content.decode()
    assert "That note is not available." in html
    assert "kept draft</textarea>" in html
    assert not Post.objects.filter(author=alice).exists()


def test_reply_needs_csrf(alice_client, alice, bob):
    root = publish_note(bob, text="root")

    response = alice_client.post("/notes", {"text": "hi", "in_reply_to": root.id})

    assert response.status_code == 403
    assert not Post.objects.filter(author=alice).exists()


# --- the composer's visibility ------------------------------------------------


def test_composer_offers_every_visibility_with_a_label(alice_client):
    html = page_of(alice_client, "/")

    assert '<label for="id_visibility">Who can see it</label>' in html
    for value, label in [
        ("public", "Public"),
        ("unlisted", "Unlisted"),
        ("followers", "Followers only"),
        ("direct", "Mentioned people only"),
    ]:
        assert f'<option value="{value}"' in html
        assert f">{label}</option>" in html


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers", "direct"])
def test_post_with_a_visibility(alice_client, alice, visibility):
    response = submit(alice_client, "/", {"text": "hi", "visibility": visibility})

    assert response.status_code == 302
    assert Post.objects.get().visibility == visibility


def test_unknown_visibility_is_400(alice_client):
    response = submit(alice_client, "/", {"text": "hi", "visibility": "everyone"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Post.objects.exists()


# --- tags ---------------------------------------------------------------------


def test_hashtags_link_to_a_page_of_public_notes(csrf_client, alice, bob):
    follow_account(bob, followee=alice)
    tagged = publish_note(alice, text="Fresh #Bread today")
    publish_note(alice, text="#bread unlisted", visibility="unlisted")
    publish_note(alice, text="#bread friends", visibility="followers")
    publish_note(alice, text="#bread @bob", visibility="direct")

    assert 'href="/tags/bread"' in page_of(csrf_client, url(tagged))
    for client in (csrf_client, logged_in(Client(), bob)):
        for path in ("/tags/bread", "/tags/BREAD"):
            html = page_of(client, path)
            assert "<h1>#Bread</h1>" in html
            assert f'id="post-{tagged.id}"' in html
            assert html.count('class="post h-entry') == 1


def test_tag_page_with_unicode_and_paging(csrf_client, alice, settings):
    settings.HUBBUB_PAGE_SIZE = 2
    notes = [publish_note(alice, text=f"#Café number {n}") for n in range(3)]

    first = page_of(csrf_client, "/tags/caf%C3%A9")
    assert "<h1>#Café</h1>" in first
    assert f'id="post-{notes[2].id}"' in first
    assert f'id="post-{notes[0].id}"' not in first
    older = re.search(r'href="([^"]+max_id=\d+)"', first)[1]
    assert f'id="post-{notes[0].id}"' in page_of(csrf_client, older)


def test_unknown_tag_page_is_empty_not_an_error(csrf_client):
    html = page_of(csrf_client, "/tags/nothing")

    assert "No public notes tagged #nothing yet." in html
