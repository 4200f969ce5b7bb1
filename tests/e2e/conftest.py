"""Browser tests: Playwright drives Debian's Chromium against `hubbub serve`."""

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.live import HUBBUB, free_port, hubbub_env, running, wait_until_serving

# Playwright's sync API runs an event loop in this thread; the ORM calls in
# test bodies are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it.")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_hubbub(transactional_db, tmp_path) -> Iterator[str]:
    """Serve hubbub (web, worker and streaming) on free loopback ports."""
    port = free_port()
    # Links to the site's own pages (a story about an article) are
    # recognised by the site URL, so it must be where the browser goes.
    env = hubbub_env(tmp_path, HUBBUB_SITE_URL=f"http://127.0.0.1:{port}")
    # A free port of its own: port + 1 (serve's default) may be taken.
    cmd = [HUBBUB, "serve", "--port", str(port), "--streaming-port", str(free_port())]
    with running(cmd, env, tmp_path / "serve.log"):
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/public")
        yield base


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (one per person)."""
    contexts = []

    def open_page(*, javascript: bool = True, mobile: bool = False):
        context = browser.new_context(
            java_script_enabled=javascript,
            viewport={"width": 390, "height": 844} if mobile else None,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir() -> str:
    return os.environ.get("HUBBUB_SCREENSHOTS", tempfile.gettempdir())
