"""toot 0.52.1's command line, unmodified, against a live hubbub."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.live import authorize_in_browser, live_hubbub, people

pytestmark = pytest.mark.slow
PASSWORD = "a long toot password"
TOOT = str(Path(sys.executable).with_name("toot"))


@pytest.fixture
def server(transactional_db, tmp_path):
    people("cat", "dan", password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        yield base


def _env(home: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)}


def toot(home: Path, *args: str) -> str:
    """Run toot with its configuration kept in ``home``; return its output."""
    done = subprocess.run(
        [TOOT, "--no-color", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_toot_core_flows(server, tmp_path):
    cat, dan = tmp_path / "cat", tmp_path / "dan"
    for home, name in ((cat, "cat"), (dan, "dan")):
        out = toot(
            home, "login_cli", "-i", server, "-e", f"{name}@example.com", "-p", PASSWORD
        )
        assert "Successfully logged in" in out

    assert "@cat" in toot(cat, "whoami")
    assert json.loads(toot(cat, "whoami", "--json"))["username"] == "cat"

    out = toot(dan, "post", "Hello from toot")
    assert "Toot posted" in out
    status_url = out.split()[-1]
    assert status_url.startswith(server + "/@dan/")

    assert "Hello from toot" in toot(cat, "timeline", "--public", "--once")

    assert "You are now following dan" in toot(cat, "follow", "dan")
    assert "dan" in toot(cat, "following")
    assert "Hello from toot" in toot(cat, "timeline", "--once")
    assert "You are no longer following dan" in toot(cat, "unfollow", "dan")


def test_toot_login_with_a_code_from_the_browser(server, tmp_path):
    """``toot login``, the interactive out-of-band flow: toot prints the
    authorization URL and asks for the code; a person signs in and approves
    on the server's pages and pastes the code the page shows."""
    home = tmp_path / "cat"
    login = subprocess.Popen(
        [TOOT, "--no-color", "login", "-i", server],
        env={**_env(home), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # "Open link in default browser?" No: this test is the browser.
        login.stdin.write("n\n")
        login.stdin.flush()
        shown = []
        while not (url := next((u for u in shown if "/oauth/authorize" in u), "")):
            line = login.stdout.readline()
            assert line, "toot ended before showing the URL:\n" + "".join(shown)
            shown.append(line.strip())
        assert url.startswith(server + "/oauth/authorize/?")
        code = authorize_in_browser(
            url, "cat", PASSWORD, app_name="toot - a Mastodon CLI client"
        )
        out, _ = login.communicate(code + "\n", timeout=60)
    finally:
        if login.poll() is None:
            login.kill()
            login.wait()
    assert login.returncode == 0, out
    assert "Successfully logged in" in out

    assert json.loads(toot(home, "whoami", "--json"))["username"] == "cat"
    assert "Toot posted" in toot(home, "post", "Posted after a browser login")
    assert "Posted after a browser login" in toot(home, "timeline", "--once")
