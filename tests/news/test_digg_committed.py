"""Diggs that commit on their own, as a web or API request's do: outside
any transaction, where SQLite's digg begins and commits on the DB-API
connection and hands a digg that must re-tally to ``atomic()``."""

import pytest
from django.db import transaction
from django.http import Http404
from django_tasks_db.models import DBTaskResult

from hubbub.core.ratelimits import RateLimitedError
from hubbub.news.actions import bury_story, digg_story
from hubbub.news.models import State, Story, StoryVote, VoteKind
from hubbub.posts.actions import delete_post
from hubbub.posts.models import Favourite, Post
from tests.news.conftest import member, members, story_by, submitted_ago

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_digg_commits_its_favourite_vote_and_counts(submitter):
    story = story_by(submitter)
    digger = member()
    digg_story(digger, story=story)
    digg_story(digger, story=story.pk)  # twice: a no-op
    story = Story.objects.get(pk=story.pk)
    assert story.diggs == 1
    assert story.effective == pytest.approx(1.0)
    assert Post.objects.get(pk=story.pk).favourites_count == 1
    assert Favourite.objects.filter(account=digger, post_id=story.pk).count() == 1
    assert StoryVote.objects.filter(story=story, account=digger).count() == 1


def test_digging_a_deleted_story_is_not_found_and_writes_nothing(submitter):
    story = story_by(submitter)
    delete_post(submitter, post=story.post)
    with pytest.raises(Http404):
        digg_story(member(), story=story)
    assert not Favourite.objects.filter(post_id=story.pk).exists()
    assert not StoryVote.objects.filter(story_id=story.pk).exists()


def test_a_digg_replacing_a_bury_counts_once_against_the_limit(submitter, rate_limits):
    # Burying counts against the digging limit too.
    rate_limits(digg__account=(3, 3600))
    story = story_by(submitter)
    voter = member()
    bury_story(voter, story=story, reason="spam")
    digg_story(voter, story=story)  # re-tallied under atomic()
    kinds = StoryVote.objects.filter(story=story, account=voter)
    assert list(kinds.values_list("kind", flat=True)) == [VoteKind.DIGG]
    assert Story.objects.get(pk=story.pk).buries == 0
    # The digg above counted once: one more is allowed, then none.
    digg_story(voter, story=story_by(submitter, url="https://example.com/b"))
    with pytest.raises(RateLimitedError):
        digg_story(voter, story=story_by(submitter, url="https://example.com/c"))


def test_the_digg_that_passes_the_rule_promotes_once(submitter):
    story = submitted_ago(story_by(submitter), 30)
    crowd = members(8)
    for voter in crowd:
        digg_story(voter, story=story.pk)
    story = Story.objects.get(pk=story.pk)
    assert story.state == State.PROMOTED
    assert story.diggs == len(crowd)
    assert story.why is not None
    jobs = DBTaskResult.objects.filter(
        task_path="hubbub.news.tasks.notify_promotion", args_kwargs__args=[story.pk]
    )
    assert jobs.count() == 1


def test_a_digg_inside_a_transaction_rolls_back_with_it(submitter):
    story = story_by(submitter)
    digger = member()

    def digg_then_fail() -> None:
        with transaction.atomic():
            digg_story(digger, story=story)
            assert Story.objects.get(pk=story.pk).diggs == 1
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        digg_then_fail()
    assert Story.objects.get(pk=story.pk).diggs == 0
    assert not Favourite.objects.filter(account=digger).exists()
    assert not StoryVote.objects.filter(account=digger).exists()
