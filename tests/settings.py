"""Settings for the test process: hubbub's own, with jobs in the database.

Jobs run in the test process through the database queue's real worker
(``run_jobs`` in conftest.py), whatever queue the suite is configured
with; the Redis queue (RQ) has tests of its own and runs in the
multi-process tests. The choice must be made before any task module is
imported, since a task takes its class from the backend configured then.
"""

import os

os.environ["HUBBUB_TASK_QUEUE"] = "database"

from hubbub.settings import *  # noqa: F403

# The primary listed as its own read replica under another alias, as an
# operator would list a real one; tests that want reads routed there name
# it in HUBBUB_READ_REPLICAS (tests/core/test_replicas.py).
if not HUBBUB_READ_REPLICAS:  # noqa: F405
    _primary = DATABASES["default"]  # noqa: F405
    DATABASES["replica1"] = {  # noqa: F405
        **_primary,
        "TEST": {"MIRROR": "default"},
        # No pool of its own: its open connections would stop pytest from
        # dropping the PostgreSQL test database at the end.
        "OPTIONS": {k: v for k, v in _primary["OPTIONS"].items() if k != "pool"},
    }
