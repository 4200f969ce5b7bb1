"""toot 0.52.1's command line, unmodified, against a live hubbub."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.live import live_hubbub, people

pytestmark = pytest.mark.slow
PASSWORD = "a long toot password"
TOOT = str(Path(sys.executable).with_name("toot"))


@pytest.fixture
def server(transactional_db, tmp_path):
    people("cat", "dan", password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        yield base


def toot(home: Path, *args: str) -> str:
    """Run toot with its configuration kept in ``home``; return its output."""
    done = subprocess.run(
        [TOOT, "--no-color", *args],
        env={"XDG_CONFIG_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)},
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
