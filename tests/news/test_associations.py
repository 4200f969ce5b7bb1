"""The co-digg refresh works in bounded batches and resumes where it stopped."""

from datetime import timedelta

from django.utils import timezone

from hubbub.news.actions import digg_story
from hubbub.news.models import Association, Community
from hubbub.news.tasks import refresh_associations
from tests.news.conftest import members, story_by


def _pairs() -> set[tuple[int, int]]:
    return set(Association.objects.values_list("account_a_id", "account_b_id"))


def _cursor() -> int | None:
    return Community.objects.get(id=1).associations_cursor


def test_the_refresh_sweeps_in_batches_and_resumes(submitter):
    ring = sorted(members(6, "ring"), key=lambda a: a.pk)
    ids = [a.pk for a in ring]
    for n in range(3):
        story = story_by(submitter, f"https://ring.example/{n}")
        for voter in ring:
            digg_story(voter, story=story)
    pushed = story_by(submitter, "https://pushed.example/")
    for voter in ring:
        digg_story(voter, story=pushed)
    pushed.refresh_from_db()
    assert pushed.clusters == 6  # strangers, until the sweep links them
    every_pair = {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]}
    now = timezone.now()

    # Each run takes the next two diggers and stores where it stopped.
    assert refresh_associations(now, batch=2) == 5 + 4
    assert _cursor() == ids[1]
    assert {a for a, _ in _pairs()} == set(ids[:2])
    assert refresh_associations(now, batch=2) == 3 + 2
    assert _cursor() == ids[3]
    assert {a for a, _ in _pairs()} == set(ids[:4])
    # The last batch ends the sweep.
    assert refresh_associations(now, batch=2) == 1
    assert _cursor() is None
    assert _pairs() == every_pair
    pushed.refresh_from_db()
    assert pushed.clusters == 1

    # A new sweep waits for its period, then starts from the first account.
    assert refresh_associations(now + timedelta(minutes=5), batch=2) is None
    assert refresh_associations(now + timedelta(hours=2), batch=2) == 9
    assert _cursor() == ids[1]
    assert _pairs() == every_pair  # replaced batch by batch, never emptied


def test_a_refresh_drops_pairs_that_no_longer_dig_together(submitter):
    ring = sorted(members(3, "ring"), key=lambda a: a.pk)
    for n in range(3):
        story = story_by(submitter, f"https://ring.example/{n}")
        for voter in ring:
            digg_story(voter, story=story)
    now = timezone.now()
    assert refresh_associations(now, force=True) == 3
    # Ninety days on, those diggs are out of the window.
    assert refresh_associations(now + timedelta(days=91), force=True) == 0
    assert _pairs() == set()
    assert _cursor() is None
