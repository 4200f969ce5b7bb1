"""The worker's sweeper caps stored timelines at HUBBUB_TIMELINE_LENGTH.

Entries are written by the real fan-out job; the sweep is the one the worker
runs.
"""

import pytest

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from hubbub.core.management.commands.worker import sweep
from hubbub.posts.actions import publish_note
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.store import get_store
from hubbub.timelines.tasks import trim_timelines
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def stored(reader: Account) -> list[int]:
    return sorted(
        TimelineEntry.objects.filter(reader=reader).values_list("post_id", flat=True)
    )


def test_a_sweep_trims_timelines_to_the_newest_entries(
    alice, bob, carol, settings, run_jobs
):
    settings.HUBBUB_TIMELINE_LENGTH = 3
    follow_account(alice, followee=bob)
    with run_jobs():
        notes = [publish_note(bob, text=f"note {n}").id for n in range(5)]
        carols = [publish_note(carol, text=f"carol {n}").id for n in range(2)]
    assert stored(alice) == notes

    sweep(0)

    assert stored(alice) == notes[-3:]
    assert stored(bob) == notes[-3:]
    # Timelines within the length are left alone.
    assert stored(carol) == carols


def test_trimming_walks_readers_a_slice_at_a_time(alice, bob, carol, settings):
    settings.HUBBUB_TIMELINE_LENGTH = 1
    readers = sorted([alice, bob, carol], key=lambda a: a.pk)
    for reader in readers:
        get_store().add(
            reader.pk, [publish_note(reader, text=f"{n}").id for n in range(3)]
        )

    cursor = trim_timelines(after_reader_id=0, readers=2)

    assert cursor == readers[1].pk
    assert [len(stored(r)) for r in readers] == [1, 1, 3]
    assert trim_timelines(after_reader_id=cursor, readers=2) == 0
    assert [len(stored(r)) for r in readers] == [1, 1, 1]


def test_over_length_names_only_the_long_timelines(alice, bob, settings):
    settings.HUBBUB_TIMELINE_LENGTH = 2
    # Written straight to the store: only alice has them.
    notes = PostFactory.create_batch(3, author=bob)
    get_store().add(alice.pk, [note.id for note in notes])
    get_store().add(bob.pk, [note.id for note in notes[:2]])

    assert get_store().over_length([alice.pk, bob.pk]) == [alice.pk]
