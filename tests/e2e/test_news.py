"""A story's way from Submit through Upcoming to the front page, in Chromium.

ann submits a link and diggs it herself (which counts 0). Five established,
independent members, made with the news scenario helpers (accounts a month
old that have posted), log in and digg it: one without JavaScript, one by
keyboard, some on a phone-sized screen.
The story was submitted half an hour ago as far as the rules are concerned
(its 20-minute dwell is over), so the fifth digg promotes it: it leaves
Upcoming for the front page, its "Why is this here?" page shows the frozen
record, and a comment and a reply thread below it.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from hubbub.news.models import State, Story
from tests.e2e.test_microblog import sign_up
from tests.factories import PASSWORD
from tests.news.conftest import members, submitted_ago

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TITLE = "How the village orchard was saved"
DIGG = f"Digg \u201c{TITLE}\u201d"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out @{username}")).to_be_visible()


def test_a_story_is_dugg_onto_the_front_page(live_hubbub, new_page, screenshot_dir):
    base = live_hubbub
    ann = new_page()
    sign_up(ann, base, "ann")

    # ann submits a story from the navigation's link.
    ann.get_by_role("link", name="Submit a story").click()
    ann.get_by_label("Link").fill("https://example.com/orchard?utm_source=feed")
    ann.get_by_label("Title").fill(TITLE)
    ann.get_by_label("Blurb (optional)").fill("Forty neighbours and one old press.")
    ann.get_by_label("Topic (optional)").fill("community")
    ann.get_by_role("button", name="Submit").click()
    expect(ann.locator(".messages")).to_contain_text("Your story is in Upcoming")
    expect(ann.get_by_role("heading", level=1)).to_have_text(TITLE)
    story = Story.objects.get()
    assert story.normalised_url == "https://example.com/orchard"
    story_url = f"{base}/news/{story.pk}"
    expect(ann).to_have_url(story_url)

    # Her own digg is allowed, and the page says it counts for nothing.
    ann.get_by_role("button", name=DIGG).click()
    expect(ann.locator(".digg")).to_contain_text("Your own digg counts 0")
    expect(ann.locator(".digg-count")).to_have_text("1 digg")

    # It waits in Upcoming with what it still needs, under the threshold.
    ann.get_by_role("link", name="Upcoming", exact=True).first.click()
    expect(ann.locator("#threshold")).to_contain_text(
        "Today a story needs 5.0 effective diggs from 5+ independent groups"
    )
    item = ann.locator(f"#story-{story.pk}")
    expect(item).to_contain_text("Needs 5.0 more effective diggs")

    # Its 20-minute dwell is over; five independent members arrive.
    submitted_ago(story, 30)
    fans = members(5, "fan")
    for number, fan in enumerate(fans, start=1):
        without_js = number == 2
        page = new_page(javascript=not without_js, mobile=number % 2 == 0)
        log_in(page, base, fan.username)
        page.goto(f"{base}/news/upcoming")
        button = page.locator(f"#story-{story.pk}").get_by_role("button", name=DIGG)
        if number == 3:
            # By keyboard: the button takes focus and Enter presses it.
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
        if number < len(fans):
            # Back on Upcoming (no JS: the redirect) with the button pressed.
            pressed = page.locator(f"#story-{story.pk}").get_by_role(
                "button", name=re.compile("^Dugg")
            )
            expect(pressed).to_be_visible()
            expect(page.locator(f"#story-{story.pk}")).to_contain_text(
                f"{number + 1} diggs"
            )
            if without_js:
                expect(page).to_have_url(f"{base}/news/upcoming#story-{story.pk}")
        else:
            last = page
    # The fifth digg promoted it, and the button says so in place.
    expect(last.locator(f"#digg-{story.pk}")).to_contain_text(
        "Promoted to the front page"
    )
    story.refresh_from_db()
    assert story.state == State.PROMOTED

    # Off Upcoming, onto the front page.
    ann.goto(f"{base}/news/upcoming")
    expect(ann.locator(f"#story-{story.pk}")).to_have_count(0)
    ann.get_by_role("link", name="News", exact=True).click()
    front = ann.get_by_role("list", name="Stories")
    expect(front.locator(f"#story-{story.pk}")).to_contain_text(TITLE)
    expect(front.locator(f"#story-{story.pk}")).to_contain_text("promoted")
    ann.screenshot(path=f"{screenshot_dir}/hubbub-news-front.png", full_page=True)

    # Why is this here? The frozen record, and ann's own digg at 0.
    front.get_by_role("link", name=re.compile("^Why is this here")).click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("Why is this here?")
    record = ann.get_by_role("region", name="When it was promoted")
    expect(record).to_contain_text("6 diggs, counted as 5.0 effective diggs")
    expect(record).to_contain_text("5; the largest supplied 20% of the support")
    expect(record).to_contain_text("The submitter's own digg counts as 0.")
    rank = ann.get_by_role("region", name="Its place on the front page now")
    # E, hours since promotion, penalties, rank.
    expect(rank.locator("dd").nth(2)).to_have_text("None")
    ann.screenshot(path=f"{screenshot_dir}/hubbub-news-why.png", full_page=True)

    # A fan comments; ann answers in the thread below the comment.
    commenter = last
    commenter.goto(story_url)
    commenter.get_by_label("Add a comment").fill("We pressed 200 litres that year!")
    commenter.get_by_role("button", name="Comment", exact=True).click()
    comments = commenter.get_by_role("list", name="Comments")
    expect(comments).to_contain_text("We pressed 200 litres that year!")

    ann.goto(story_url)
    fan = fans[-1].username
    ann.locator("summary", has_text=f"Reply to @{fan}").click()
    ann.get_by_label(f"Reply to @{fan}").fill("And the cider was excellent.")
    ann.get_by_role("button", name="Reply", exact=True).click()
    thread = ann.get_by_role("list", name="Comments")
    expect(thread.locator("ol.thread")).to_contain_text("And the cider was excellent.")
    expect(ann.get_by_role("heading", name="2 comments")).to_be_visible()

    # A branch folds away with its <details>, reply and all.
    first = thread.locator("details.comment").first
    first.locator("> summary").click()
    expect(thread.get_by_text("And the cider was excellent.")).to_be_hidden()
    ann.screenshot(path=f"{screenshot_dir}/hubbub-news-story.png", full_page=True)
