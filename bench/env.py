"""Point Django at the benchmark database before anything imports models.

The benchmark never touches the development database: unless
``HUBBUB_VAR_DIR`` is already set, it uses ``var/bench`` (a SQLite file
there, unless ``HUBBUB_DATABASE_URL`` names another database).
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = ROOT / "var" / "bench"


def configure() -> None:
    """Set the benchmark's environment and set Django up (idempotent)."""
    os.environ.setdefault("HUBBUB_VAR_DIR", str(DEFAULT_VAR_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()


def server_env() -> dict[str, str]:
    """The environment for a server process started by the benchmark."""
    env = dict(os.environ)
    env.setdefault("HUBBUB_VAR_DIR", str(DEFAULT_VAR_DIR))
    env["DJANGO_SETTINGS_MODULE"] = "hubbub.settings"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env
