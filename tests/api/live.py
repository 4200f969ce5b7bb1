"""A live hubbub for the real clients: `hubbub serve` on a free loopback port."""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import HUBBUB, free_port, hubbub_env, running, wait_until_serving

STARTUP_TIMEOUT = 120.0


@contextmanager
def live_hubbub(tmp_path: Path, **settings: str) -> Iterator[str]:
    """Serve hubbub (web, worker, streaming) on the test database; yield its URL.

    The password grant is on, as for the demo community, and the rate
    limits are raised so a whole suite from one address fits in them.
    """
    port, streaming_port = free_port(), free_port()
    env = hubbub_env(
        tmp_path,
        HUBBUB_OAUTH_PASSWORD_GRANT="1",
        HUBBUB_API_RATE_LIMIT="100000",
        HUBBUB_OAUTH_TOKEN_RATE_LIMIT="100000",
        **settings,
    )
    cmd = [
        HUBBUB,
        "serve",
        "--port",
        str(port),
        "--streaming-port",
        str(streaming_port),
    ]
    with running(cmd, env, tmp_path / "serve.log"):
        base = f"http://127.0.0.1:{port}"
        # Generous: on a loaded machine the first worker takes a while to
        # import everything, and waiting longer costs nothing when it is fast.
        wait_until_serving(f"{base}/api/v1/instance", timeout=STARTUP_TIMEOUT)
        wait_until_serving(
            f"http://127.0.0.1:{streaming_port}/api/v1/streaming/health",
            timeout=STARTUP_TIMEOUT,
        )
        yield base


def people(*names: str, password: str) -> None:
    """Sign up ``names``, each with the e-mail ``<name>@example.com``."""
    from hubbub.accounts.actions import sign_up

    for name in names:
        account = sign_up(username=name, password=password)
        account.email = f"{name}@example.com"
        account.save(update_fields=["email"])


def mastodon_client(base: str, username: str, password: str):
    """Register an app with Mastodon.py and log ``username`` in with it."""
    from mastodon import Mastodon

    client_id, client_secret = Mastodon.create_app(
        "hubbub tests", api_base_url=base, scopes=["read", "write", "follow", "push"]
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    api.log_in(username, password, allow_http=True)
    return api


def authorize_in_browser(
    url: str, username: str, password: str, *, app_name: str
) -> str:
    """Sign in and approve ``url`` as a person would, forms, CSRF tokens and
    all, over real HTTP; return the out-of-band code the page shows."""
    import requests

    web = requests.Session()
    page = web.get(url, timeout=10)
    assert "/login" in page.url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    page = web.post(
        page.url,
        data={
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": html.unescape(
                re.search(r'name="next" value="([^"]+)"', page.text)[1]
            ),
        },
        headers={"Referer": page.url},
        timeout=10,
    )
    assert f"Authorize {app_name}?" in html.unescape(page.text), page.text
    form = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
        )
    }
    page = web.post(
        page.url,
        data={**form, "allow": "on"},
        headers={"Referer": page.url},
        timeout=10,
    )
    return re.search(
        r'id="authorization-code" class="code" value="([^"]+)"', page.text
    )[1]
