"""A marketer's event promotion reaches a reader collapsed, then not at all:
a note in their timeline and a story on the front page."""

import pytest
from playwright.sync_api import expect

from hubbub.news.actions import digg_story
from hubbub.news.models import State, Story
from hubbub.posts.models import Post, PromotionalSource
from tests.e2e.test_microblog import sign_up
from tests.live import wait_for
from tests.news.conftest import members, submitted_ago

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ADVERT = (
    "Early bird tickets for our pottery workshop this Saturday! "
    "Book now 👉 https://example.com/workshop"
)
EVENT = "Pottery workshop this Saturday: early bird tickets"


def test_a_reader_collapses_then_hides_an_event_promotion(
    live_hubbub, new_page, screenshot_dir
):
    marketer, reader = new_page(), new_page(mobile=True)
    sign_up(marketer, live_hubbub, "mark")
    sign_up(reader, live_hubbub, "rita")
    reader.goto(f"{live_hubbub}/@mark")
    reader.get_by_role("button", name="Follow @mark").click()
    expect(reader.get_by_role("button", name="Unfollow @mark")).to_be_visible()

    marketer.get_by_label("What are you doing?").fill(ADVERT)
    marketer.get_by_role("button", name="Post").click()
    expect(marketer.locator("#timeline")).to_contain_text("Promotional")
    advert = Post.objects.get(author__username="mark")
    assert advert.promotional_source == PromotionalSource.DETECTOR
    reason = advert.promotional_reason

    # The reader has the default setting: collapse.
    post = reader.locator(f"#post-{advert.id}")
    for _ in range(40):
        reader.goto(f"{live_hubbub}/")
        if post.count():
            break
        reader.wait_for_timeout(250)
    summary = post.locator("summary")
    expect(summary).to_contain_text("Promotional")
    expect(summary).to_contain_text("labelled by the automatic detector")
    expect(summary).to_contain_text(reason)
    body = post.get_by_text("Early bird tickets for our pottery workshop")
    expect(body).to_be_hidden()
    reader.screenshot(path=f"{screenshot_dir}/hubbub-promotion-collapsed.png")

    # Opened from the keyboard, as a <details> opens without script.
    summary.focus()
    reader.keyboard.press("Enter")
    expect(body).to_be_visible()

    # The marketer also submits the event to news, saying it is promotional,
    # and enough independent members digg it onto the front page.
    marketer.get_by_role("link", name="Submit a story").click()
    marketer.get_by_label("Link").fill("https://example.com/workshop")
    marketer.get_by_label("Title").fill(EVENT)
    marketer.get_by_label("This is promotional").check()
    marketer.get_by_role("button", name="Submit").click()
    expect(marketer.locator(".messages")).to_contain_text("Your story is in Upcoming")
    story = Story.objects.get()
    assert story.post.promotional_source == PromotionalSource.AUTHOR
    submitted_ago(story, 30)
    for fan in members(5, "fan"):
        digg_story(fan, story=story)
    assert wait_for(lambda: Story.objects.get().state == State.PROMOTED, timeout=30), (
        "five independent diggs did not promote the story"
    )
    reader.goto(f"{live_hubbub}/news")
    item = reader.locator(f"#story-{story.pk}")
    expect(item.locator("summary")).to_contain_text("Marked promotional by its author")
    expect(item.get_by_role("link", name=EVENT, exact=True)).to_be_hidden()
    item.locator("summary").click()
    expect(item.get_by_role("link", name=EVENT, exact=True)).to_be_visible()

    reader.get_by_role("link", name="Settings").click()
    reader.get_by_role("link", name="Promotional posts").click()
    expect(reader.get_by_label("Collapse them behind their label")).to_be_checked()
    reader.get_by_label("Hide them everywhere").check()
    reader.get_by_role("button", name="Save").click()
    expect(reader.get_by_role("status")).to_contain_text("Hide them everywhere")
    expect(reader.get_by_label("Hide them everywhere")).to_be_checked()

    reader.goto(f"{live_hubbub}/")
    expect(reader.locator("#timeline")).to_be_visible()
    expect(reader.locator(f"#post-{advert.id}")).to_have_count(0)
    expect(reader.get_by_text("pottery workshop")).to_have_count(0)
    reader.goto(f"{live_hubbub}/public")
    expect(reader.locator(f"#post-{advert.id}")).to_have_count(0)
    reader.goto(f"{live_hubbub}/news")
    expect(reader.get_by_role("list", name="Stories")).to_be_visible()
    expect(reader.locator(f"#story-{story.pk}")).to_have_count(0)
    expect(reader.get_by_text("Pottery workshop")).to_have_count(0)
    # Signed out, the default applies again: collapsed, not gone.
    visitor = new_page(javascript=False)
    visitor.goto(f"{live_hubbub}/public")
    expect(visitor.locator(f"#post-{advert.id} summary")).to_contain_text(reason)
