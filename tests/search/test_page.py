"""The search page, through Django's test client."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from hubbub.posts.models import Tag, Visibility
from hubbub.search.queries import MAX_OFFSET
from tests.conftest import logged_in
from tests.factories import AccountFactory, FollowFactory, PostFactory
from tests.search.test_queries import HOSTILE

pytestmark = pytest.mark.django_db

URL = reverse("web:search")


def get(client, **params):
    # Lone surrogates go out as the invalid UTF-8 bytes a client would send.
    query = urlencode(
        {k: v.encode("utf-8", "surrogatepass") for k, v in params.items()}
    )
    return client.get(f"{URL}?{query}")


def text_of(response):
    return response.content.decode()


def test_the_empty_page_has_a_labelled_search_box(client):
    response = get(client)
    assert response.status_code == 200
    html = text_of(response)
    assert '<label for="search-q">' in html
    assert 'id="search-q" name="q"' in html
    assert 'role="search"' in html
    assert "Accounts (" not in html


def test_the_overview_groups_results_by_type_with_counts(client, alice):
    anna = AccountFactory(username="annakettle", display_name="Anna")
    Tag.objects.create(name="kettle", display="Kettle")
    note = PostFactory(author=anna, text="the kettle sings")
    html = text_of(get(client, q="kettle"))
    assert "Accounts (1)" in html
    assert "Hashtags (1)" in html
    assert "Notes (1)" in html
    assert f'href="{reverse("web:profile", args=["annakettle"])}"' in html
    assert f'href="{reverse("web:note", args=["annakettle", note.id])}"' in html
    assert f'href="{tag_url("kettle")}">#Kettle</a>' in html


def tag_url(name):
    """The tag page, or the notes search for the tag where it is not routed."""
    try:
        return reverse("web:tag", args=[name])
    except NoReverseMatch:
        return f"{URL}?q=%23{name}&amp;type=notes"


def test_the_overview_previews_and_links_to_the_full_list(client):
    for n in range(7):
        AccountFactory(username=f"walrus{n}")
    html = text_of(get(client, q="walrus"))
    assert html.count('<li><a href="/@walrus') == 5
    assert "All 7 accounts" in html
    assert "type=accounts" in html


def test_a_type_pages_by_offset_twenty_at_a_time(client):
    for n in range(25):
        AccountFactory(username=f"otter{n:02}")
    first = text_of(get(client, q="otter", type="accounts"))
    assert first.count('<li><a href="/@otter') == 20
    assert 'rel="next" href="/search?q=otter&amp;type=accounts&amp;offset=20"' in first
    assert 'rel="prev"' not in first
    second = text_of(get(client, q="otter", type="accounts", offset="20"))
    assert second.count('<li><a href="/@otter') == 5
    assert 'rel="prev" href="/search?q=otter&amp;type=accounts"' in second
    assert 'rel="next"' not in second
    assert 'aria-current="page">Accounts (25)' in second


def test_a_leading_at_or_hash_picks_the_type(client, alice):
    Tag.objects.create(name="alice", display="alice")
    by_at = text_of(get(client, q="@alice"))
    assert 'aria-current="page">Accounts (1)' in by_at
    assert 'href="/@alice"' in by_at
    by_hash = text_of(get(client, q="#alice"))
    assert 'aria-current="page">Hashtags (1)' in by_hash
    overview = text_of(get(client, q="@alice", type="all"))
    assert 'aria-current="page">All' in overview
    assert "Notes (0)" in overview


def test_notes_respect_visibility_on_the_page(client, alice, bob):
    PostFactory(author=alice, text="open secret")
    PostFactory(author=alice, text="closed secret", visibility=Visibility.FOLLOWERS)
    stranger = text_of(get(client, q="secret", type="notes"))
    assert "open secret" in stranger
    assert "closed secret" not in stranger
    FollowFactory(follower=bob, followee=alice)
    follower = text_of(get(logged_in(Client(), bob), q="secret", type="notes"))
    assert "open secret" in follower
    assert "closed secret" in follower
    assert "Notes (2)" in follower


def test_the_overview_costs_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    for n in range(5):
        PostFactory(author=AccountFactory(), text=f"busy {n}")
    # A count and a page for each of the three kinds.
    with django_assert_num_queries(6):
        assert get(client, q="busy").status_code == 200


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_render_a_page(q, client, alice):
    PostFactory(author=alice, text="an ordinary note")
    # The overview runs every search and count; a typed page, the paging.
    for kind in ("", "notes"):
        assert get(client, q=q, type=kind).status_code == 200


@pytest.mark.parametrize(
    ("q", "shown"),
    [("x" * 201, "x" * 200), ("x" * 10_000, "x" * 200), ("\x00" * 10_000, "")],
)
def test_an_overlong_query_is_a_clear_error(q, shown, client):
    response = get(client, q=q)
    assert response.status_code == 400
    html = text_of(response)
    assert "Search for at most 200 characters." in html
    assert 'aria-invalid="true"' in html
    # The box shows what fits, cleaned, not the whole paste.
    assert f'name="q" value="{shown}"' in html
    assert "\x00" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"type": "statuses"},
        {"type": "-user__password"},
        {"offset": "-1"},
        {"offset": "abc"},
        {"offset": "1e3"},
        {"offset": "9" * 30},
        {"offset": "٣"},
    ],
)
def test_bad_parameters_are_a_clear_error(params, client):
    response = get(client, q="x", **params)
    assert response.status_code == 400
    assert 'role="alert"' in text_of(response)


def test_an_offset_past_the_deepest_page_is_empty(client):
    AccountFactory(username="deep")
    response = get(client, q="deep", type="accounts", offset=str(MAX_OFFSET + 20))
    assert response.status_code == 200
    assert "No accounts found." in text_of(response)


def test_the_query_is_escaped_in_the_page(client):
    html = text_of(get(client, q='<script>alert("x")</script>'))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_only_get_is_allowed(client):
    assert client.post(URL, {"q": "x"}).status_code == 405
