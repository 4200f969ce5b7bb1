"""An author writes an article with a <!--more--> marker; a reader finds
its excerpt on the blog, reads it in full (and through the API and its
feed) and comments; the author approves the first comment, and a follower
finds the article's card at home."""

import json
import urllib.request

import feedparser
import pytest
from playwright.sync_api import expect

from hubbub.posts.models import Post
from tests.e2e.test_conversation import follow, reload_until
from tests.e2e.test_microblog import sign_up

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SOURCE = (
    "The starter woke at four and so did I.\n\n"
    "<!--more-->\n\n"
    "By six the kitchen smelled of *toast* and the first loaves were out."
)


def test_write_read_and_comment_on_an_article(live_hubbub, new_page, screenshot_dir):
    base = live_hubbub
    ann, ben = new_page(), new_page(mobile=True)
    sign_up(ann, base, "ann")
    sign_up(ben, base, "ben")
    follow(ben, base, "ann")

    ann.goto(f"{base}/blog/new")
    ann.get_by_label("Title").fill("Bread at dawn")
    ann.get_by_label("Text (Markdown)").fill(SOURCE)
    ann.get_by_label("Tags").fill("baking")
    ann.get_by_role("button", name="Preview").click()
    expect(ann.locator(".preview")).to_contain_text("The starter woke at four")
    ann.get_by_role("button", name="Publish").click()
    expect(ann.get_by_role("heading", name="Bread at dawn")).to_be_visible()
    article_url = ann.url

    # The blog's index shows the excerpt and a "Continue reading" link.
    ben.goto(f"{base}/@ann/blog")
    summary = ben.locator(".article-summary")
    expect(summary).to_contain_text("The starter woke at four")
    expect(summary).not_to_contain_text("By six the kitchen")
    ben.get_by_role("link", name="Continue reading").click()
    expect(ben.locator(".article-body")).to_contain_text("By six the kitchen")
    expect(ben.locator(".article-body")).not_to_contain_text("more")
    assert ben.url == article_url

    # The same article over HTTP, as a Mastodon client and a feed reader
    # get it from the live server.
    post = Post.objects.get(kind="article")
    url = f"{base}/api/v1/statuses/{post.id}"
    with urllib.request.urlopen(url) as response:  # noqa: S310 (loopback http)
        status = json.load(response)
    assert status["url"] == article_url
    assert "The starter woke at four" in status["content"]
    assert "By six the kitchen" not in status["content"]
    feed = feedparser.parse(f"{base}/@ann/feed.atom")
    assert not feed.bozo
    assert [entry.link for entry in feed.entries] == [article_url]
    ben.screenshot(path=f"{screenshot_dir}/hubbub-article.png", full_page=True)

    # ben comments; his first comment waits for ann's approval.
    ben.get_by_label("Your comment").fill("Now I want toast.")
    ben.get_by_role("button", name="Reply").click()
    expect(ben.locator("#comments")).to_contain_text("Now I want toast.")
    ben.goto(article_url)
    expect(ben.locator("#comments")).to_contain_text("Waiting for the article")

    ann.goto(f"{base}/blog/comments")
    expect(ann.locator(".held-comments")).to_contain_text("Now I want toast.")
    ann.get_by_role("button", name="Approve @ben\u2019s comment").click()
    expect(ann.locator(".held-comments")).to_contain_text("No comments are waiting")
    ann.goto(article_url)
    expect(ann.locator("#comments")).to_contain_text("Now I want toast.")
    expect(ann.locator("#comments")).not_to_contain_text("Waiting for the article")

    # The article reached ben's home timeline as a card.
    reload_until(ben, f"{base}/", "#timeline", "Bread at dawn")
    card = ben.locator("#timeline .article-card").first
    expect(card).to_contain_text("The starter woke at four")
    expect(card.get_by_role("link", name="Continue reading")).to_be_visible()
    ben.screenshot(path=f"{screenshot_dir}/hubbub-article-card.png", full_page=True)
