"""Diggs that cross the threshold at the same moment promote exactly once.

The diggs commit on separate connections: threads (both databases) and
separate processes (the same path a Mastodon app's ★ takes through a
worker), each starting at one barrier.
"""

import subprocess
import sys
import time

import pytest
from django_tasks_db.models import DBTaskResult

from hubbub.moderation.models import LogEntry
from hubbub.news.actions import digg_story
from hubbub.news.models import State, Story, StoryVote
from tests.live import hubbub_env
from tests.news.conftest import members, story_by, submitted_ago
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _promotion_jobs(story: Story) -> int:
    return DBTaskResult.objects.filter(
        task_path="hubbub.news.tasks.notify_promotion", args_kwargs__args=[story.pk]
    ).count()


def _assert_promoted_once(story: Story, crowd: int) -> None:
    story.refresh_from_db()
    assert story.state == State.PROMOTED
    assert story.diggs == crowd
    assert StoryVote.objects.filter(story=story).count() == crowd
    assert story.why is not None
    assert story.why["diggs"] >= 5
    # One winner: one promotion notice job, no review, one record.
    assert _promotion_jobs(story) == 1
    assert not LogEntry.objects.filter(post_id=story.pk).exists()


def test_concurrent_diggs_from_threads_promote_exactly_once(submitter):
    story = submitted_ago(story_by(submitter), 30)
    crowd = members(8)
    errors = run_together(
        [lambda voter=voter: digg_story(voter, story=story.pk) for voter in crowd]
    )
    assert errors == []
    _assert_promoted_once(story, len(crowd))


_DIGG_SCRIPT = """
import sys, time
import django
django.setup()
from hubbub.accounts.models import Account
from hubbub.news.actions import digg_story
voter = Account.objects.get(pk=int(sys.argv[1]))
start = float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
digg_story(voter, story=int(sys.argv[2]))
"""


@pytest.mark.slow
def test_concurrent_diggs_from_processes_promote_exactly_once(submitter, tmp_path):
    story = submitted_ago(story_by(submitter), 30)
    crowd = members(6)
    env = hubbub_env(tmp_path, DJANGO_SETTINGS_MODULE="hubbub.settings")
    # Every process sleeps until the same instant, after all have started.
    start = time.time() + 6.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DIGG_SCRIPT, str(v.pk), str(story.pk), str(start)],
            env=env,
            stderr=subprocess.PIPE,
        )
        for v in crowd
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    _assert_promoted_once(story, len(crowd))
