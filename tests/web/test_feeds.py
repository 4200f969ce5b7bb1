"""Atom and RSS feeds, read by feedparser as a feed reader reads them."""

import feedparser
import pytest
from django.test import Client

from hubbub.blog import actions
from hubbub.blog.content import check_content
from hubbub.posts.actions import publish_note

pytestmark = pytest.mark.django_db

FEEDS = ["atom", "rss"]


def parse(url: str):
    response = Client().get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return response, parsed


@pytest.fixture
def article(alice):
    return actions.publish_article(
        alice,
        article_id=None,
        content=check_content(
            title="Bread & <butter>",
            source="The <b>teaser</b> & more.\n\n<!--more-->\n\nThe rest ]]> of it.",
            tags="baking",
        ),
    )


@pytest.mark.parametrize("fmt", FEEDS)
def test_site_author_and_tag_feeds_list_the_article(alice, article, fmt):
    for url in (f"/feed.{fmt}", f"/@alice/feed.{fmt}", f"/tags/baking/feed.{fmt}"):
        response, parsed = parse(url)
        assert response["Content-Type"].startswith(f"application/{fmt}+xml")
        [entry] = parsed.entries
        assert entry.title == "Bread & <butter>"
        assert entry.link.endswith(f"/@alice/blog/{article.post_id}/bread-butter")
        assert entry.id.startswith("tag:127.0.0.1,")
        assert entry.id.endswith(f":post:{article.post_id}")
        assert "teaser" in entry.summary
        assert "&lt;b&gt;" in entry.summary  # the raw tag stayed text
        assert "The rest ]]&gt; of it." in entry.content[0].value
        assert entry.published_parsed
        assert [t.term for t in entry.tags] == ["baking"]
        if fmt == "atom":
            # RSS 2.0 has no updated date for an item; Atom requires one.
            assert "updated_parsed" in entry
            assert entry.author == alice.name


def test_entry_id_is_stable_and_updated_moves_on_edit(alice, article):
    _, before = parse("/feed.atom")
    actions.edit_article(
        alice,
        article_id=article.id,
        content=check_content(title="A new title", source="New text."),
    )
    _, after = parse("/feed.atom")
    assert after.entries[0].id == before.entries[0].id
    assert after.entries[0].title == "A new title"
    assert after.entries[0].updated_parsed >= before.entries[0].updated_parsed
    assert after.entries[0].link != before.entries[0].link


@pytest.mark.parametrize("fmt", FEEDS)
def test_conversation_feed_has_the_comments(alice, bob, article, fmt):
    mine = publish_note(
        alice, text="Thanks for @bob's question", in_reply_to=article.post
    )
    _, parsed = parse(f"/conversations/{article.post_id}/feed.{fmt}")
    titles = [e.title for e in parsed.entries]
    assert titles == [f"@alice: {mine.text}", "Bread & <butter>"]
    # Mention links are absolute for feed readers.
    assert 'href="http://testserver/@bob"' in parsed.entries[0].summary


def test_feeds_404_and_empty(db):
    client = Client()
    assert client.get("/@nobody/feed.atom").status_code == 404
    assert client.get("/conversations/1/feed.rss").status_code == 404
    assert client.get("/feed.json").status_code == 404
    _, parsed = parse("/tags/nothing/feed.atom")
    assert parsed.entries == []


def test_pages_advertise_their_feeds(alice, article):
    page = Client().get(f"/@alice/blog/{article.post_id}/{article.slug}")
    html = page.content.decode()
    for href in (
        "/feed.atom",
        "/feed.rss",
        "/@alice/feed.atom",
        f"/conversations/{article.post_id}/feed.atom",
    ):
        assert f'href="{href}"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
