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
