"""Digging and burying: through favourites, with clusters kept as they go."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tasks_db.models import DBTaskResult

from hubbub.moderation.models import Action, LogEntry, Report
from hubbub.news import actions, ranking
from hubbub.news.actions import (
    bury_comment,
    bury_story,
    digg_story,
    hold_story,
    release_story,
    report,
    unbury_story,
    undigg_story,
)
from hubbub.news.models import CommentBury, State, Story, StoryVote, VoteKind
from hubbub.posts.actions import (
    boost_post,
    delete_post,
    favourite_post,
    publish_note,
    unfavourite_post,
)
from hubbub.posts.models import Favourite, Post
from tests.news.conftest import member, members, mutual_follow, story_by


def _story(story: Story) -> Story:
    story.refresh_from_db()
    return story


def test_a_favourite_of_a_story_is_a_digg(submitter):
    story = story_by(submitter)
    voter = member()
    favourite_post(voter, post=story.post)
    story = _story(story)
    assert story.diggs == 1
    assert story.effective == pytest.approx(1.0)
    assert story.clusters == 1
    assert StoryVote.objects.filter(story=story, kind=VoteKind.DIGG).count() == 1


def test_a_favourite_of_a_boost_of_a_story_diggs_the_story(submitter):
    story = story_by(submitter)
    booster, voter = member(), member()
    boost = boost_post(booster, post=story.post)
    favourite_post(voter, post=boost)
    assert _story(story).diggs == 1
    unfavourite_post(voter, post=boost)
    assert _story(story).diggs == 0


def test_digging_twice_is_a_no_op_and_undigg_withdraws(submitter):
    story = story_by(submitter)
    voter = member()
    digg_story(voter, story=story)
    digg_story(voter, story=story)
    assert _story(story).diggs == 1
    assert story.post.__class__.objects.get(id=story.pk).favourites_count == 1
    undigg_story(voter, story=story)
    undigg_story(voter, story=story)
    story = _story(story)
    assert (story.diggs, story.effective, story.clusters) == (0, 0.0, 0)
    assert not Favourite.objects.filter(post_id=story.pk).exists()


def test_the_submitter_may_digg_their_own_story_at_weight_zero(submitter):
    story = story_by(submitter)
    digg_story(submitter, story=story)
    story = _story(story)
    assert story.diggs == 1
    assert story.effective == 0.0
    assert story.clusters == 0


def test_digging_a_deleted_story_is_not_found(submitter):
    story = story_by(submitter)
    delete_post(submitter, post=story.post)
    with pytest.raises(Http404):
        digg_story(member(), story=story)
    assert StoryVote.objects.count() == 0


def test_digging_a_note_is_not_a_story_digg(submitter):
    note = publish_note(submitter, text="Just a note")
    with pytest.raises(Http404):
        digg_story(member(), story=note)
    favourite_post(member(), post=note)
    assert StoryVote.objects.count() == 0


def test_weights_follow_the_rule(submitter):
    story = story_by(submitter)
    newcomer = member(age_days=3)
    lurker = member(posted=False)
    friend = member()
    mutual_follow(friend, submitter)
    for voter in (newcomer, lurker, friend):
        digg_story(voter, story=story)
    diggs, _ = actions.story_tallies(_story(story))
    reasons = {g.reason: g for g in diggs.groups}
    # 3 days of a 30-day ramp (and the seconds the test took).
    assert reasons[ranking.Reason.NEW_ACCOUNT].counted == pytest.approx(0.1, rel=1e-3)
    assert reasons[ranking.Reason.NEVER_POSTED].counted == pytest.approx(0.5)
    assert reasons[ranking.Reason.SUBMITTER_TIES].counted == pytest.approx(0.3)
    assert _story(story).effective == pytest.approx(0.9, rel=1e-3)


def test_mutual_follows_among_voters_share_a_cluster_and_undigg_splits_it(
    submitter,
):
    story = story_by(submitter)
    a, b, c = members(3)
    mutual_follow(a, b)
    mutual_follow(b, c)
    for voter in (a, c, b):  # b joins a's and c's clusters into one
        digg_story(voter, story=story)
    story = _story(story)
    assert story.clusters == 1
    assert story.effective == pytest.approx(3**0.5)
    labels = set(
        StoryVote.objects.filter(story=story).values_list("cluster", flat=True)
    )
    assert len(labels) == 1
    undigg_story(b, story=story)
    story = _story(story)
    assert story.clusters == 2
    assert story.effective == pytest.approx(2.0)


def test_incremental_clusters_match_a_full_recount(submitter):
    story = story_by(submitter)
    people = members(8)
    mutual_follow(people[0], people[1])
    mutual_follow(people[2], people[3])
    mutual_follow(people[3], people[7])
    mutual_follow(people[5], submitter)
    for voter in people:
        digg_story(voter, story=story)
    incremental = sorted(
        StoryVote.objects.filter(story=story).values_list("account_id", "cluster")
    )
    StoryVote.objects.filter(story=story).update(cluster=0)
    actions.recluster(_story(story), VoteKind.DIGG)
    recounted = sorted(
        StoryVote.objects.filter(story=story).values_list("account_id", "cluster")
    )
    assert incremental == recounted
    # {0, 1}, {2, 3, 7}, {4}, {5 and the submitter}, {6}
    assert len({label for _, label in recounted}) == 5


def test_a_bury_replaces_a_digg_and_a_digg_replaces_a_bury(submitter):
    story = story_by(submitter)
    voter = member()
    digg_story(voter, story=story)
    bury_story(voter, story=story, reason="spam")
    story = _story(story)
    assert (story.diggs, story.buries) == (0, 1)
    assert not Favourite.objects.filter(post_id=story.pk, account=voter).exists()
    bury_story(voter, story=story, reason="duplicate")
    assert StoryVote.objects.get(kind=VoteKind.BURY).reason == "duplicate"
    digg_story(voter, story=story)
    story = _story(story)
    assert (story.diggs, story.buries) == (1, 0)
    bury_story(voter, story=story, reason="spam")
    unbury_story(voter, story=story)
    assert (_story(story).diggs, _story(story).buries) == (0, 0)


def test_bad_buries_are_refused_and_change_nothing(submitter):
    story = story_by(submitter)
    with pytest.raises(ValidationError, match="own story"):
        bury_story(submitter, story=story, reason="spam")
    with pytest.raises(ValidationError, match="reasons"):
        bury_story(member(), story=story, reason="boring")
    note = publish_note(submitter, text="A note")
    with pytest.raises(Http404):
        bury_story(member(), story=note, reason="spam")
    assert StoryVote.objects.count() == 0


def test_weighted_buries_send_a_story_to_review_and_log_it(submitter):
    story = story_by(submitter)
    for voter in members(2):
        digg_story(voter, story=story)
    buriers = members(3)
    bury_story(buriers[0], story=story, reason="spam")
    bury_story(buriers[1], story=story, reason="spam")
    assert _story(story).state == State.UPCOMING  # 2 < 0.5 * 2 + 2
    bury_story(buriers[2], story=story, reason="promotional")
    story = _story(story)
    assert story.state == State.REVIEW
    assert story.held_from == State.UPCOMING
    entry = LogEntry.objects.get(post_id=story.pk)
    assert entry.action == Action.HOLD
    assert entry.moderator is None
    assert "Weighted buries (3.0) reached the limit (3.0)" in entry.reason


def test_a_bury_brigade_counts_as_one_voice(submitter):
    story = story_by(submitter)
    brigade = members(6)
    for a, b in itertools.pairwise(brigade):
        mutual_follow(a, b)
    for voter in brigade:
        bury_story(voter, story=story, reason="off_topic")
    story = _story(story)
    assert story.effective_buries == pytest.approx(6**0.5)
    assert story.state == State.REVIEW  # 2.45 >= 0.5 * 0 + 2


def test_only_moderators_hold_and_release_and_each_is_logged(submitter):
    story = story_by(submitter)
    moderator = member("mod")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    with pytest.raises(PermissionDenied):
        hold_story(member(), story=story, reason="Looks off")
    hold_story(moderator, story=story, reason="Checking the source")
    assert _story(story).state == State.REVIEW
    release_story(moderator, story=story, reason="Source checked")
    assert _story(story).state == State.UPCOMING
    actions_logged = list(
        LogEntry.objects.filter(post_id=story.pk)
        .order_by("id")
        .values_list("action", "reason", "moderator_id")
    )
    assert actions_logged == [
        (Action.HOLD, "Checking the source", moderator.pk),
        (Action.RELEASE, "Source checked", moderator.pk),
    ]


def test_a_released_story_is_held_again_only_by_more_buries(submitter):
    story = story_by(submitter)
    moderator = member("mod")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    for voter in members(2):
        bury_story(voter, story=story, reason="spam")
    assert _story(story).state == State.REVIEW
    release_story(moderator, story=story, reason="Not spam")
    assert _story(story).state == State.UPCOMING
    digg_story(member(), story=story)
    assert _story(story).state == State.UPCOMING
    bury_story(member(), story=story, reason="spam")
    assert _story(story).state == State.REVIEW


def test_comments_are_counted_buried_and_reported(submitter):
    story = story_by(submitter)
    commenter = member()
    comment = publish_note(commenter, text="Good find", in_reply_to=story.post)
    reply = publish_note(submitter, text="Thanks", in_reply_to=comment)
    assert _story(story).comments_count == 2
    delete_post(submitter, post=reply)
    assert _story(story).comments_count == 1
    burier = member()
    bury_comment(burier, post=comment, reason="off_topic")
    bury_comment(burier, post=comment, reason="spam")
    assert CommentBury.objects.get().reason == "spam"
    with pytest.raises(ValidationError, match="own comment"):
        bury_comment(commenter, post=comment, reason="spam")
    with pytest.raises(Http404):
        bury_comment(burier, post=story.post, reason="spam")  # not a comment
    first = report(burier, post=comment, reason="abuse", comment="Rude")
    again = report(burier, post=comment, reason="abuse")
    assert first.pk == again.pk
    assert Report.objects.get().account_id == commenter.pk
    with pytest.raises(ValidationError, match="Choose a reason"):
        report(burier, post=story.post, reason="dull")


def test_incremental_aggregates_match_a_full_retally(submitter):
    story = story_by(submitter)
    people = members(7)
    newcomer = member("new", age_days=3)
    mutual_follow(people[0], people[1])
    mutual_follow(people[1], people[2])  # people[1] merges {0} and {2}
    mutual_follow(people[4], submitter)
    for voter in [people[0], people[2], people[1], newcomer, *people[3:], submitter]:
        digg_story(voter, story=story)
    kept = _story(story)
    fields = ("diggs", "effective", "clusters", "largest_share", "upcoming_score")
    incremental = {name: getattr(kept, name) for name in fields}
    actions.retally(kept)
    recounted = {name: getattr(_story(story), name) for name in fields}
    assert incremental == pytest.approx(recounted)
    # {0, 1, 2}, {4 with the submitter}, 3, 5, 6 and the newcomer
    assert recounted["clusters"] == 6


def test_a_digg_and_a_favourite_of_a_story_write_the_same(submitter):
    dugg, starred = (
        story_by(submitter, "https://a.example/"),
        story_by(submitter, "https://b.example/"),
    )
    voter = member()
    digg_story(voter, story=dugg)
    favourite_post(voter, post=starred.post)

    def written(story: Story) -> tuple:
        story = _story(story)
        vote = StoryVote.objects.get(story=story)
        return (
            Favourite.objects.filter(account=voter, post_id=story.pk).count(),
            Post.objects.get(pk=story.pk).favourites_count,
            (vote.account_id, vote.kind, vote.cluster, vote.weight, vote.is_submitter),
            (story.diggs, story.effective, story.clusters, story.largest_share),
        )

    assert written(dugg) == written(starred)
    # Neither announces the digg by itself; promotion does.
    assert not DBTaskResult.objects.filter(
        task_path="hubbub.notifications.tasks.notify_favourite"
    ).exists()
