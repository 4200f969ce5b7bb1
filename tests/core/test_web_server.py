"""`hubbub web`: the environment its granian server runs in."""

from pathlib import Path

from hubbub.core.management.commands.serve import web_env
from tests.live import HUBBUB, free_port, hubbub_env, running, wait_for


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _is_granian(pid: int) -> bool:
    return b"granian" in Path(f"/proc/{pid}/cmdline").read_bytes()


def test_the_web_server_runs_with_two_malloc_arenas(tmp_path):
    # Its own SQLite file: the server only has to start, not to answer.
    env = hubbub_env(tmp_path, HUBBUB_DATABASE_URL=f"sqlite:///{tmp_path}/web.db")
    env.pop("MALLOC_ARENA_MAX", None)
    cmd = [HUBBUB, "web", "--port", str(free_port())]
    with running(cmd, env, tmp_path / "web.log") as pid:
        # `hubbub web` sets Django up, then replaces itself with granian.
        assert wait_for(lambda: _is_granian(pid), timeout=60)
        assert _environ(pid)["MALLOC_ARENA_MAX"] == "2"


def test_an_operators_own_arena_count_wins():
    assert web_env({"MALLOC_ARENA_MAX": "8", "A": "b"}) == {
        "MALLOC_ARENA_MAX": "8",
        "A": "b",
    }
    assert web_env({})["MALLOC_ARENA_MAX"] == "2"
