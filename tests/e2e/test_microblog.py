"""Two people sign up, one follows the other, the other posts; it arrives."""

import re

import pytest
from playwright.sync_api import Page, expect

from hubbub.posts.models import Post

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "a long browser password"


def sign_up(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def test_follower_sees_a_new_note_and_a_long_note_is_refused(
    live_hubbub, new_page, screenshot_dir
):
    ann, ben = new_page(), new_page(mobile=True)
    sign_up(ann, live_hubbub, "ann")
    sign_up(ben, live_hubbub, "ben")

    ann.goto(f"{live_hubbub}/@ben")
    ann.get_by_role("button", name="Follow @ben").click()
    expect(ann.get_by_role("button", name="Unfollow @ben")).to_be_visible()
    expect(ann.get_by_text("1 followers")).to_be_visible()

    compose = ben.get_by_label("What are you doing?")
    compose.fill("Reading the paper with a cup of tea ☕ https://example.com/news")
    # The live counter uses the server's rule: the link counts as 23.
    expect(ben.locator("#char-count")).to_have_text("61 / 140")
    ben.get_by_role("button", name="Post").click()
    expect(ben.locator("#timeline")).to_contain_text("Reading the paper")
    expect(compose).to_have_value("")

    # The note reaches ann's home timeline through the worker's fan-out.
    for _ in range(40):
        ann.goto(f"{live_hubbub}/")
        if "Reading the paper" in ann.locator("#timeline").inner_text():
            break
        ann.wait_for_timeout(250)
    expect(ann.locator("#timeline")).to_contain_text("Reading the paper")
    ann.screenshot(path=f"{screenshot_dir}/hubbub-home.png", full_page=True)

    compose = ben.get_by_label("What are you doing?")
    compose.fill("x" * 141)
    expect(ben.locator("#char-count")).to_have_text(re.compile("141 / 140"))
    ben.get_by_role("button", name="Post").click()
    expect(ben.get_by_role("alert")).to_contain_text("character limit of 140 exceeded")
    ben.screenshot(path=f"{screenshot_dir}/hubbub-too-long.png", full_page=True)
    assert Post.objects.filter(author__username="ben").count() == 1


def test_everything_works_without_javascript(live_hubbub, new_page):
    page = new_page(javascript=False)
    sign_up(page, live_hubbub, "dee")
    page.get_by_label("What are you doing?").fill("Posting with JavaScript off")
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#timeline")).to_contain_text("Posting with JavaScript off")

    page.get_by_label("What are you doing?").fill("   ")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_role("alert")).to_contain_text("can't be blank")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Display name").fill("Dee Dee")
    page.get_by_label("Bio").fill("Grows tomatoes.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", name="Dee Dee @dee")).to_be_visible()
    expect(page.get_by_text("Grows tomatoes.")).to_be_visible()

    page.get_by_role("button", name="Log out @dee").click()
    expect(page.get_by_role("heading", name="Public timeline")).to_be_visible()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill("DEE")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
