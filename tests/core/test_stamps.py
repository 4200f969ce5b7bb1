"""The stamp kept on PostgreSQL with Redis: moved after every write's
commit, before the writer answers, by this process or another, and never
back to a value seen before.

Each test changes something real (an account's profile, through the
action or in SQL) on the test database and reads the stamp as a request
would (``stamps.current``) or the Redis key itself.
"""

import os
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction

from hubbub.accounts.actions import update_profile
from hubbub.accounts.models import Account
from hubbub.core import stamps
from hubbub.core.redis_client import client
from tests.conftest import make_account
from tests.live import HUBBUB, hubbub_env
from tests.threads import run_together

# CI runs PostgreSQL with Redis; on SQLite the stamp is the engine's own
# (tests/core/test_kept_responses.py covers both).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.database("postgresql"),
]


def key() -> bytes | None:
    value: bytes | None = client(settings.REDIS_URL).get(stamps.KEY)
    return value


@pytest.fixture
def bob() -> Account:
    return make_account("bob")


@pytest.fixture(autouse=True)
def clock() -> Iterator[mock.Mock]:
    """Hold the stamps' clock still, so that only a write moves a stamp
    (or the test, moving the clock's ``return_value`` on)."""
    with mock.patch("hubbub.core.stamps.time.time", return_value=time.time()) as now:
        yield now


def test_reads_leave_the_stamp_alone(bob):
    before = stamps.current()
    assert Account.objects.get(pk=bob.pk).display_name == bob.display_name
    assert stamps.current() == before is not None


def test_a_write_moves_the_stamp_when_it_commits_not_before(bob):
    before = key()
    update_profile(bob, display_name="Robert", bio="")  # autocommit
    committed = key()
    assert committed != before

    with transaction.atomic():
        Account.objects.filter(pk=bob.pk).update(display_name="Bobby")
        assert key() == committed  # not yet: a reader could still see the old row
    assert key() != committed


def test_a_rolled_back_write_leaves_the_stamp(bob):
    before = key()
    with transaction.atomic():
        Account.objects.filter(pk=bob.pk).update(display_name="Bobby")
        transaction.set_rollback(True)
    assert key() == before


def test_a_write_by_another_process_moves_the_stamp_before_it_answers(
    bob, tmp_path: Path
):
    before = stamps.current()
    subprocess.run(
        [HUBBUB, "shell", "-c", _UPDATE_BOB],
        env=hubbub_env(tmp_path),
        check=True,
        timeout=120,
    )
    assert stamps.current() != before


def test_a_first_connection_opened_inside_an_execute_wrapper_block_still_moves_it(
    bob,
):
    def passing(execute, sql, params, many, context):
        return execute(sql, params, many, context)

    def first_connection_then_a_write() -> None:
        # A new thread's connection is opened inside the block.
        with connection.execute_wrapper(passing):
            Account.objects.filter(pk=bob.pk).update(display_name="Bobby")
        before = key()
        Account.objects.filter(pk=bob.pk).update(display_name="Robert")
        assert key() != before

    assert run_together([first_connection_then_a_write]) == []


def test_a_flushed_key_never_comes_back_as_an_old_stamp(bob):
    seen = {stamps.redis_version()}
    for _ in range(3):
        client(settings.REDIS_URL).delete(stamps.KEY)  # as FLUSHDB would
        value = stamps.redis_version()
        assert value not in seen
        assert stamps.redis_version() == value  # and it holds until a write
        seen.add(value)


def test_the_pushed_stamp_moves_with_every_write_and_only_then(bob):
    before = stamps.pushed()
    assert before is not None
    assert stamps.current() == before
    # Nothing stored changed: the Redis timelines a flush drops are
    # read from the database, the same.
    client(settings.REDIS_URL).delete(stamps.KEY)
    assert stamps.pushed() == before
    update_profile(bob, display_name="Robert", bio="")
    after = stamps.pushed()
    assert after != before
    assert stamps.pushed() == after


def test_a_long_backlog_of_moves_is_taken_whole(bob):
    before = stamps.pushed()
    redis_client = client(settings.REDIS_URL)
    for _ in range(stamps.BACKLOG * 3):  # as other processes' writes would
        redis_client.execute_command(*stamps.move_command())
    after = stamps.pushed()
    assert after is not None
    assert after != before
    assert after[0] == key()  # the last move's bytes


def test_a_lost_subscription_falls_back_to_the_key_until_it_is_back(bob):
    before = stamps.pushed()
    name = f"{stamps.channel(settings.REDIS_URL)}:{os.getpid()}"
    for entry in client(settings.REDIS_URL).client_list(_type="pubsub"):
        if entry.get("name") == name:
            client(settings.REDIS_URL).client_kill_filter(_id=entry["id"])
    assert stamps.pushed() is None  # cannot vouch: the key is read instead
    assert stamps.current() is not None
    assert stamps.current() != before
    time.sleep(stamps.RETRY_FIRST + 0.1)
    again = stamps.pushed()
    assert again is not None
    assert again != before  # a new subscription never repeats a stamp


def test_there_is_no_stamp_while_redis_is_out_of_reach(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/9"  # nothing listens there
    assert stamps.current() is None


def test_a_crash_between_commit_and_move_is_shown_within_the_lifetime(
    bob, clock, tmp_path: Path
):
    before = stamps.current()
    # Dies in the first thing run after the commit, before the move.
    crash = (
        "import os\n"
        "from django.db import transaction\n"
        "with transaction.atomic():\n"
        "    transaction.on_commit(lambda: os._exit(3))\n"
        + textwrap.indent(_UPDATE_BOB, "    ")
    )
    died = subprocess.run(
        [HUBBUB, "shell", "-c", crash], env=hubbub_env(tmp_path), timeout=120
    )
    assert died.returncode == 3
    assert Account.objects.get(pk=bob.pk).display_name == "Bobby Tables"
    assert stamps.current() == before  # the move was lost with the process

    clock.return_value += stamps.LIFETIME
    assert stamps.current() != before


_UPDATE_BOB = (
    "from hubbub.accounts.models import Account\n"
    "from hubbub.accounts.actions import update_profile\n"
    "update_profile(Account.objects.get(username='bob'),"
    " display_name='Bobby Tables', bio='')\n"
)
