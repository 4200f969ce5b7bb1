"""The home and public timeline pages grow live from the streaming server."""

import time

import pytest

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from tests.api.live import live_hubbub, mastodon_client, people

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PASSWORD = "a long client password"


def test_public_timeline_shows_new_notes_live(transactional_db, tmp_path, browser):
    from playwright.sync_api import expect

    people("ann", password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{base}/public")
            stream = page.locator("#timeline").get_attribute("data-stream")
            assert stream.endswith("/api/v1/streaming/public")
            time.sleep(1)  # let the EventSource connect
            ann = mastodon_client(base, "ann", PASSWORD)
            status = ann.status_post("live on the web <b>bold?</b>")
            note = page.locator(f"#post-{status.id}")
            expect(note).to_contain_text("live on the web <b>bold?</b>", timeout=5000)
            expect(note.locator(".handle")).to_have_text("@ann")
            # Older pages stay still.
            page.goto(f"{base}/public?max_id={status.id}")
            assert page.locator("#timeline").get_attribute("data-stream") is None
        finally:
            context.close()


def test_home_timeline_streams_with_the_session(transactional_db, tmp_path, browser):
    from playwright.sync_api import expect

    people("ann", "ben", password=PASSWORD)
    follow_account(
        Account.objects.get(username="ben"),
        followee=Account.objects.get(username="ann"),
    )
    with live_hubbub(tmp_path) as base:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill('input[name="username"]', "ben")
            page.fill('input[name="password"]', PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/")
            stream = page.locator("#timeline").get_attribute("data-stream")
            assert stream.endswith("/api/v1/streaming/user")
            time.sleep(1)  # let the EventSource connect
            ann = mastodon_client(base, "ann", PASSWORD)
            status = ann.status_post("for my followers", visibility="private")
            expect(page.locator(f"#post-{status.id}")).to_contain_text(
                "for my followers", timeout=5000
            )
        finally:
            context.close()
