"""A suspension, against a live hubbub: its open stream, web session and
token all end within 5 seconds, and it cannot log in again."""

import re
import time

import pytest
import requests
from mastodon import MastodonAPIError, StreamListener

from hubbub.accounts.models import Account
from hubbub.moderation.actions import suspend_account
from hubbub.moderation.models import Report
from tests.api.live import live_hubbub, mastodon_client, people
from tests.live import wait_for

pytestmark = pytest.mark.slow
PASSWORD = "a long client password"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def server(transactional_db, tmp_path):
    people("mia", "sam", "ola", password=PASSWORD)
    Account.objects.filter(username="mia").update(is_staff=True)
    with live_hubbub(tmp_path, HUBBUB_STREAMING_HEARTBEAT="1") as base:
        yield base


def web_log_in(base: str, username: str) -> requests.Response:
    """Log in through the web form, as a browser does; return the answer."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=10)
    token = _TOKEN.search(form.text)
    assert token
    return session.post(
        f"{base}/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
        allow_redirects=False,
        timeout=10,
    )


def test_suspension_ends_stream_session_and_token_within_5_seconds(server):
    sam = mastodon_client(server, "sam", PASSWORD)
    ola = mastodon_client(server, "ola", PASSWORD)
    status = sam.status_post("buy now, link in bio")
    # A real client's report reaches the queue.
    ola.report(sam.me().id, status_ids=[status.id], comment="an advert")
    assert Report.objects.get().post_id == int(status.id)

    logged_in = web_log_in(server, "sam")
    assert logged_in.status_code == 302
    session = requests.Session()
    session.cookies.update(logged_in.cookies)
    settings_page = f"{server}/settings/profile"
    assert session.get(settings_page, allow_redirects=False, timeout=10).ok

    stream = sam.stream_user(StreamListener(), run_async=True)
    try:
        assert wait_for(stream.is_receiving, timeout=15), "the stream did not open"
        time.sleep(0.3)  # let the server register the listener

        suspended_at = time.monotonic()
        suspend_account(
            Account.objects.get(username="mia"),
            account=Account.objects.get(username="sam"),
            reason="Spam",
        )

        def session_ended() -> bool:
            page = session.get(settings_page, allow_redirects=False, timeout=10)
            return page.status_code == 302 and "/login" in page.headers["Location"]

        def token_refused() -> bool:
            try:
                sam.account_verify_credentials()
            except MastodonAPIError:
                return True
            return False

        assert wait_for(lambda: not stream.is_alive(), timeout=5)
        assert session_ended()
        assert token_refused()
        assert time.monotonic() - suspended_at < 5
    finally:
        stream.close()

    assert web_log_in(server, "sam").status_code == 400
    # The queue's report was answered by the suspension.
    assert Report.objects.get().resolved_at is not None
