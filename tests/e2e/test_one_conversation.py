"""One conversation across surfaces: an article submitted to news shares
its comments with the story, wherever they are written."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_microblog import sign_up

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SOURCE = (
    "Small servers keep conversations human.\n\n"
    "<!--more Read the argument-->\n\n"
    "Big platforms optimise for reach; small ones for replies."
)


def test_article_submitted_to_news_shares_its_comments(live_hubbub, new_page):
    base = live_hubbub
    ann, ben = new_page(), new_page(mobile=True)
    sign_up(ann, base, "ann")
    sign_up(ben, base, "ben")

    ann.goto(f"{base}/blog/new")
    ann.get_by_label("Title").fill("Why small servers")
    ann.get_by_label("Text (Markdown)").fill(SOURCE)
    ann.get_by_role("button", name="Publish").click()
    expect(ann.get_by_role("heading", name="Why small servers")).to_be_visible()
    article_url = ann.url

    # The blog index shows the excerpt with the marker's own link label.
    ben.goto(f"{base}/@ann/blog")
    expect(ben.locator(".article-summary")).to_contain_text("keep conversations")
    ben.get_by_role("link", name="Read the argument").click()
    assert ben.url == article_url

    # "Submit to news" opens the submit form with the article filled in.
    ben.get_by_role("link", name="Submit to news").click()
    expect(ben.get_by_label("Link")).to_have_value(article_url)
    expect(ben.get_by_label("Title")).to_have_value("Why small servers")
    ben.get_by_label("Blurb (optional)").fill("A short case for small servers.")
    ben.get_by_role("button", name="Submit").click()
    expect(ben.locator(".shared-conversation")).to_contain_text("Why small servers")
    story_url = ben.url

    # The author answers on the story page...
    ann.goto(story_url)
    ann.get_by_label("Add a comment").fill("Thanks for sharing it here.")
    ann.get_by_role("button", name="Comment").click()
    expect(ann.locator(".comments-section")).to_contain_text("Thanks for sharing")

    # ...and readers of the article see it there, beside the story's link.
    ben.goto(article_url)
    expect(ben.locator(".on-the-news")).to_contain_text("Why small servers")
    expect(ben.locator("#comments")).to_contain_text("Thanks for sharing it here.")
