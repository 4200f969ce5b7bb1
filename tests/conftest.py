"""Fixtures shared by every test: actors, clients and the task worker."""

from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client, TestCase
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from hypothesis import settings as hypothesis_settings

from hubbub.accounts.actions import sign_up
from hubbub.accounts.models import Account
from hubbub.core import ratelimits
from hubbub.core.redis_client import client as redis_client
from hubbub.moderation.models import RateCounter
from tests.factories import PASSWORD

# The visibility matrices' world, used by the web and API matrices.
pytest_plugins = ["tests.visibility_world"]

# Deadlines measure wall time, which a loaded CI machine cannot promise.
hypothesis_settings.register_profile("hubbub", deadline=None)
hypothesis_settings.load_profile("hubbub")

_E2E = Path(__file__).parent / "e2e"


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """Hash passwords cheaply in this process.

    Argon2 at Django's cost takes ~0.2 s and 100 MB a hash, which would
    dominate the suite. Tests that start hubbub's own processes (marked
    ``slow``, or under tests/e2e) keep the real hashers, because those
    processes verify what this one wrote.
    """
    if request.node.get_closest_marker("slow") or request.path.is_relative_to(_E2E):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def _no_action_rate_limits(settings):
    """Switch the action limits off; ``rate_limits`` switches them on.

    Every test client calls from 127.0.0.1, so per-address limits left on
    would make a test fail or pass depending on the tests before it.
    """
    settings.HUBBUB_RATE_LIMITS_ON = False


@pytest.fixture(autouse=True)
def _no_read_counts_held():
    """Start each test with no API reads held back from Redis
    (``ratelimits._batched_hit``): the tests clear the cache, and with it
    the counters, far more often than a Redis is ever flushed."""
    ratelimits._batches.clear()


@pytest.fixture
def rate_limits(settings):
    """Return ``limit(**{"action:key": (count, seconds)})``: switch the
    action limits on, only those given, with empty counters."""

    def limit(**limits: tuple[int, int]) -> None:
        cache.clear()
        RateCounter.objects.all().delete()
        settings.HUBBUB_RATE_LIMITS_ON = True
        settings.HUBBUB_RATE_LIMITS = {
            name.replace("__", ":"): value for name, value in limits.items()
        }

    yield limit
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_redis_timelines():
    """Start each test with no Redis timelines when the suite uses Redis.

    The database rolls back after a test; Redis does not, and a timeline
    left behind would be read by the next test's account with that id.
    """
    if django_settings.REDIS_URL:
        forget_redis_timelines(django_settings.REDIS_URL)


def forget_redis_timelines(url: str) -> None:
    """Drop every Redis timeline, as a flush would."""
    client = redis_client(url)
    keys = list(client.scan_iter(match="hubbub:tl:*", count=1000))
    if keys:
        client.delete(*keys)


def run_queued_tasks() -> None:
    """Run every queued job through the real worker code, then return.

    The worker closes "old" connections between jobs; inside a test's
    transaction that would close the test's own connection, so that one
    housekeeping call is switched off here. A job's own on-commit work
    (Redis timeline writes, events, further jobs) runs as it would after
    the job's commit. The worker records a job's exception instead of
    raising it, so a failed job fails the test here.
    """
    with patch.object(db_worker, "close_old_connections", lambda: None):
        while True:
            with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
                _drain()
            if not callbacks:
                break
    failed = list(DBTaskResult.objects.failed())
    if failed:
        pytest.fail(
            "\n\n".join(f"{r.task_path} failed:\n{r.traceback}" for r in failed)
        )


def _drain() -> None:
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (which enqueue jobs), then the jobs themselves.

    Use as ``with run_jobs(): ...``: everything queued inside the block has
    run when the block ends.
    """

    @contextmanager
    def runner():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        run_queued_tasks()

    return runner


def make_account(username: str) -> Account:
    return sign_up(username=username, password=PASSWORD)


@pytest.fixture
def alice(db) -> Account:
    return make_account("alice")


@pytest.fixture
def bob(db) -> Account:
    return make_account("bob")


@pytest.fixture
def carol(db) -> Account:
    return make_account("carol")


@pytest.fixture
def csrf_client() -> Client:
    """A browser-like client: CSRF checks on, as in production."""
    return Client(enforce_csrf_checks=True)


def logged_in(client: Client, account: Account) -> Client:
    client.force_login(account)
    return client


def pytest_collection_modifyitems(config, items):
    """Deselect tests written for the other database (CI runs both)."""
    from django.db import connection

    wanted, other = [], []
    for item in items:
        marker = item.get_closest_marker("database")
        if marker is None or connection.vendor in marker.args:
            wanted.append(item)
        else:
            other.append(item)
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = wanted
