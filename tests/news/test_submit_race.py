"""Submissions of one link at the same moment end with one story.

The submissions commit on separate connections, threads (both databases)
and separate processes, each starting at one barrier; the link is spelled
differently by each, as normalisation folds it to one key.
"""

import json
import subprocess
import sys
import time

import pytest

from hubbub.news.actions import Submission, submit_story
from hubbub.news.models import Story
from hubbub.posts.models import Kind, Post
from tests.live import hubbub_env
from tests.news.conftest import members
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

SPELLINGS = [
    "https://race.example/article",
    "https://RACE.example/article/",
    "https://race.example:443/article?utm_source=feed",
    "https://race.example/article#comments",
    "https://race.example/article?utm_medium=social",
    "https://Race.Example/article/#top",
]


def _assert_one_story(results: list[Submission]) -> None:
    assert Story.objects.count() == 1
    assert Post.objects.filter(kind=Kind.STORY).count() == 1
    story = Story.objects.get()
    assert sum(r.created for r in results) == 1
    # Every later submission was led to the first one.
    assert {r.story.pk for r in results} == {story.pk}


def test_concurrent_submissions_from_threads_make_one_story(db):
    authors = members(len(SPELLINGS), "submitter")
    results: list[Submission] = []

    def submit(author, url):
        results.append(submit_story(author, url=url, title="The same link"))

    errors = run_together(
        [
            lambda a=author, u=url: submit(a, u)
            for author, url in zip(authors, SPELLINGS, strict=True)
        ]
    )
    assert errors == []
    assert len(results) == len(SPELLINGS)
    _assert_one_story(results)


_SUBMIT_SCRIPT = """
import json, sys, time
import django
django.setup()
from hubbub.accounts.models import Account
from hubbub.news.actions import submit_story
author = Account.objects.get(pk=int(sys.argv[1]))
start = float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
done = submit_story(author, url=sys.argv[2], title="The same link")
print(json.dumps([done.story.pk, done.created]))
"""


@pytest.mark.slow
def test_concurrent_submissions_from_processes_make_one_story(db, tmp_path):
    authors = members(len(SPELLINGS), "submitter")
    env = hubbub_env(tmp_path, DJANGO_SETTINGS_MODULE="hubbub.settings")
    # Every process sleeps until the same instant, after all have started.
    start = time.time() + 6.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SUBMIT_SCRIPT, str(a.pk), url, str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for a, url in zip(authors, SPELLINGS, strict=True)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        outcomes.append(json.loads(out.decode().strip().splitlines()[-1]))
    story = Story.objects.get()
    assert Post.objects.filter(kind=Kind.STORY).count() == 1
    assert sorted(created for _, created in outcomes) == [False] * 5 + [True]
    assert {pk for pk, _ in outcomes} == {story.pk}
