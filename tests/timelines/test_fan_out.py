"""Fan-out on write, the read-time merge, the sweeper and home paging.

Jobs run through the real worker (``run_jobs``); tests assert timeline rows.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import follow_account, unfollow_account
from hubbub.accounts.models import Account
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post, Visibility
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds, SQLTimelineStore, get_store
from hubbub.timelines.tasks import fan_out_post, redrive_stalled_fan_outs
from tests.conftest import run_queued_tasks
from tests.factories import AccountFactory, PostFactory

pytestmark = pytest.mark.django_db


def add_followers(author: Account, count: int) -> list[Account]:
    followers = AccountFactory.create_batch(count)
    for follower in followers:
        follow_account(follower, followee=author)
    return followers


def readers_of(post: Post) -> set[int]:
    return set(
        TimelineEntry.objects.filter(post=post).values_list("reader_id", flat=True)
    )


def home_ids(account: Account, **bounds) -> list[int]:
    return [post.id for post in home_timeline(account, PageBounds(**bounds))]


@pytest.fixture
def count_batches(monkeypatch):
    """Count the batches fan-out writes, without changing what they do.

    A post whose author has at most one batch of followers is written in
    one (``fan_out``), with the other posts of its group; a bigger one, a
    batch at a time (``fan_out_batch``).
    """
    calls: list[int] = []
    real_batch, real_all = SQLTimelineStore.fan_out_batch, SQLTimelineStore.fan_out

    def counting_batch(self, post, *, after_follower_id):
        calls.append(after_follower_id)
        return real_batch(self, post, after_follower_id=after_follower_id)

    def counting_all(self, post):
        calls.append(0)
        return real_all(self, post)

    monkeypatch.setattr(SQLTimelineStore, "fan_out_batch", counting_batch)
    monkeypatch.setattr(SQLTimelineStore, "fan_out", counting_all)
    return calls


# --- fan-out on write ---------------------------------------------------------


@pytest.mark.parametrize(
    ("followers", "batches"),
    # A batch that reaches the last follower is the last: none empty after it.
    [(0, 1), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3)],
)
def test_fan_out_writes_one_row_per_follower_in_batches(
    bob, settings, run_jobs, count_batches, followers, batches
):
    settings.HUBBUB_FANOUT_BATCH_SIZE = 3
    audience = add_followers(bob, followers)

    with run_jobs():
        note = publish_note(bob, text="to everyone")

    assert readers_of(note) == {bob.pk} | {f.pk for f in audience}
    assert TimelineEntry.objects.filter(post=note).count() == followers + 1
    assert len(count_batches) == batches
    for follower in audience:
        assert home_ids(follower) == [note.id]


def test_fan_out_does_not_reach_non_followers(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)

    with run_jobs():
        note = publish_note(bob, text="hello")

    assert readers_of(note) == {alice.pk, bob.pk}
    assert home_ids(carol) == []


def test_fan_out_sets_fanned_out_at(bob, run_jobs):
    add_followers(bob, 2)

    with run_jobs():
        note = publish_note(bob, text="hello")

    note.refresh_from_db()
    assert note.fanned_out_at is not None
    assert note.fanned_out_at >= note.fanout_queued_at
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_running_fan_out_twice_creates_no_duplicates(bob, settings, run_jobs):
    settings.HUBBUB_FANOUT_BATCH_SIZE = 2
    audience = add_followers(bob, 5)
    with run_jobs():
        note = publish_note(bob, text="hello")

    # Run it again as a re-driven job would, marker cleared, and once more as
    # a duplicate delivery with the marker set.
    Post.objects.filter(pk=note.pk).update(fanned_out_at=None)
    fan_out_post.enqueue(note.id)
    fan_out_post.enqueue(note.id)
    run_queued_tasks()
    fan_out_post.call(note.id)

    assert TimelineEntry.objects.filter(post=note).count() == len(audience) + 1
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3
    note.refresh_from_db()
    assert note.fanned_out_at is not None


def test_a_job_also_writes_the_posts_waiting_for_theirs(alice, bob, carol):
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    # Their jobs are queued after commit, which never comes here: both wait.
    first = publish_note(bob, text="first")
    second = publish_note(carol, text="second")

    fan_out_post.call(first.id)

    assert readers_of(first) == {alice.pk, bob.pk}
    assert readers_of(second) == {alice.pk, carol.pk}
    assert not Post.objects.filter(fanned_out_at__isnull=True).exists()
    # The second post's own job, when it runs, finds nothing left to do.
    entries = TimelineEntry.objects.count()
    fan_out_post.call(second.id)
    assert TimelineEntry.objects.count() == entries


def test_notes_published_while_a_job_waits_share_it(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    follow_account(bob, followee=carol)

    with run_jobs():
        notes = [publish_note(bob, text=f"note {n}") for n in range(3)]
        notes.append(publish_note(carol, text="carol's"))

    assert DBTaskResult.objects.filter(task_path__endswith="fan_out_post").count() == 1
    assert all(readers_of(note) >= {note.author_id} for note in notes)
    assert readers_of(notes[0]) == {alice.pk, bob.pk}
    assert readers_of(notes[-1]) == {bob.pk, carol.pk}
    assert not Post.objects.filter(fanned_out_at__isnull=True).exists()


def test_a_post_bigger_than_a_batch_keeps_a_job_of_its_own(
    alice, bob, carol, settings, run_jobs
):
    settings.HUBBUB_FANOUT_BATCH_SIZE = 1
    add_followers(bob, 2)
    follow_account(alice, followee=carol)
    big = publish_note(bob, text="to two batches")
    small = publish_note(carol, text="to one")

    # Another post's job leaves it alone: it is written a batch per commit.
    fan_out_post.call(small.id)
    assert Post.objects.get(pk=big.pk).fanned_out_at is None
    assert readers_of(big) == {bob.pk}

    with run_jobs():
        waiting = publish_note(carol, text="waits for a job")
        again = publish_note(bob, text="queued although a job waits")

    assert DBTaskResult.objects.filter(task_path__endswith="fan_out_post").count() == 2
    assert readers_of(waiting) == {alice.pk, carol.pk}
    assert len(readers_of(again)) == 3
    fan_out_post.call(big.id)
    assert not Post.objects.filter(fanned_out_at__isnull=True).exists()


def test_a_post_bigger_than_a_batch_is_written_before_the_posts_waiting(
    alice, bob, carol, settings
):
    settings.HUBBUB_FANOUT_BATCH_SIZE = 1
    add_followers(bob, 2)
    follow_account(alice, followee=carol)
    big = publish_note(bob, text="to two batches")
    # Published after it, so their jobs' posts wait behind its job.
    later = [publish_note(carol, text=f"later {n}") for n in range(3)]

    fan_out_post.call(big.id)

    done = dict(Post.objects.values_list("id", "fanned_out_at"))
    assert all(done[big.id] < done[note.id] for note in later)
    assert len(readers_of(big)) == 3
    assert all(readers_of(note) == {alice.pk, carol.pk} for note in later)


def test_fan_out_of_a_missing_or_deleted_post_does_nothing(bob, run_jobs):
    audience = add_followers(bob, 2)
    note = publish_note(bob, text="gone")
    Post.objects.filter(pk=note.pk).update(deleted_at=timezone.now())

    fan_out_post.call(note.id)
    fan_out_post.call(note.id + 12345)

    assert readers_of(note) == {bob.pk}
    assert all(home_ids(f) == [] for f in audience)


def test_direct_notes_are_not_fanned_out(alice, bob, run_jobs):
    follow_account(alice, followee=bob)

    with run_jobs():
        note = publish_note(bob, text="psst", visibility=Visibility.DIRECT)

    assert readers_of(note) == {bob.pk}
    assert home_ids(alice) == []


def test_followers_only_notes_reach_followers(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)

    with run_jobs():
        note = publish_note(bob, text="friends", visibility=Visibility.FOLLOWERS)

    assert home_ids(alice) == [note.id]
    assert home_ids(carol) == []


# --- authors above the limit: merged at read time -----------------------------


def test_big_author_is_not_pushed_but_followers_still_see_the_post(
    alice, bob, carol, settings, run_jobs
):
    settings.HUBBUB_FANOUT_LIMIT = 2
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    add_followers(bob, 1)
    bob.refresh_from_db()
    assert bob.followers_count == 3

    with run_jobs():
        note = publish_note(bob, text="to my many fans")

    assert readers_of(note) == {bob.pk}
    note.refresh_from_db()
    assert note.fanned_out_at is not None
    assert home_ids(alice) == [note.id]
    assert home_ids(carol) == [note.id]
    assert home_ids(bob) == [note.id]


def test_merged_posts_respect_visibility_and_follows(
    alice, bob, carol, settings, run_jobs
):
    settings.HUBBUB_FANOUT_LIMIT = 0
    follow_account(alice, followee=bob)
    with run_jobs():
        public = publish_note(bob, text="public")
        friends = publish_note(bob, text="friends", visibility=Visibility.FOLLOWERS)
        publish_note(bob, text="direct", visibility=Visibility.DIRECT)
    # Stored on follow (backfill) and merged at read: shown once.
    assert home_ids(alice) == [friends.id, public.id]
    assert home_ids(carol) == []

    unfollow_account(alice, followee=bob)

    assert home_ids(alice) == []


def test_stored_and_merged_posts_interleave_by_id(alice, bob, carol, settings):
    settings.HUBBUB_FANOUT_LIMIT = 1
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    add_followers(carol, 1)  # carol now has 2 followers: merged at read time
    ids = []
    with_jobs = [bob, carol, bob, carol, alice, carol]
    for n, author in enumerate(with_jobs):
        note = publish_note(author, text=f"note {n}")
        fan_out_post.call(note.id)
        ids.append(note.id)

    assert home_ids(alice) == ids[::-1]
    assert home_ids(alice, limit=3) == ids[:2:-1]
    assert home_ids(alice, max_id=ids[3], limit=2) == [ids[2], ids[1]]
    assert home_ids(alice, min_id=ids[0], limit=2) == [ids[2], ids[1]]


# --- the sweeper ---------------------------------------------------------------


def test_redrive_requeues_only_stalled_fan_outs(alice, bob, settings):
    settings.HUBBUB_FANOUT_SWEEP_AFTER = 30
    follow_account(alice, followee=bob)
    # The on-commit enqueue never runs here: both jobs are "lost".
    stalled = publish_note(bob, text="stalled")
    fresh = publish_note(bob, text="fresh")
    done = publish_note(bob, text="done")
    deleted = publish_note(bob, text="deleted")
    long_ago = timezone.now() - timedelta(seconds=60)
    Post.objects.filter(pk__in=[stalled.pk, done.pk, deleted.pk]).update(
        fanout_queued_at=long_ago
    )
    Post.objects.filter(pk=done.pk).update(fanned_out_at=long_ago)
    Post.objects.filter(pk=deleted.pk).update(deleted_at=long_ago)

    assert redrive_stalled_fan_outs() == 1

    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [stalled.id]
    stalled.refresh_from_db()
    assert stalled.fanout_queued_at > long_ago
    assert Post.objects.get(pk=fresh.pk).fanout_queued_at == fresh.fanout_queued_at
    # Claimed: a second sweep finds nothing to do.
    assert redrive_stalled_fan_outs() == 0
    assert DBTaskResult.objects.count() == 1


def test_redriven_job_completes_the_fan_out(alice, bob, carol, settings):
    settings.HUBBUB_FANOUT_SWEEP_AFTER = 30
    settings.HUBBUB_FANOUT_BATCH_SIZE = 1
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    stalled = publish_note(bob, text="stalled")
    fresh = publish_note(bob, text="fresh")
    Post.objects.filter(pk=stalled.pk).update(
        fanout_queued_at=timezone.now() - timedelta(seconds=31)
    )

    assert redrive_stalled_fan_outs() == 1
    run_queued_tasks()

    assert readers_of(stalled) == {alice.pk, bob.pk, carol.pk}
    assert readers_of(fresh) == {bob.pk}
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert stalled.fanned_out_at is not None
    assert fresh.fanned_out_at is None


def test_redrive_respects_its_limit(bob, settings):
    settings.HUBBUB_FANOUT_SWEEP_AFTER = 30
    notes = [publish_note(bob, text=f"n{n}") for n in range(3)]
    Post.objects.filter(pk__in=[n.pk for n in notes]).update(
        fanout_queued_at=timezone.now() - timedelta(minutes=5)
    )

    assert redrive_stalled_fan_outs(limit=2) == 2
    assert DBTaskResult.objects.count() == 2
    assert redrive_stalled_fan_outs(limit=2) == 1
    assert redrive_stalled_fan_outs(limit=2) == 0
    queued = [r.args_kwargs["args"][0] for r in DBTaskResult.objects.all()]
    assert sorted(queued) == sorted(n.id for n in notes)


# --- paging -------------------------------------------------------------------


@pytest.mark.parametrize("fanout_limit", [10_000, 0], ids=["pushed", "merged"])
def test_home_timeline_pages_by_max_id_and_min_id(
    alice, bob, settings, run_jobs, fanout_limit
):
    settings.HUBBUB_FANOUT_LIMIT = fanout_limit
    follow_account(alice, followee=bob)
    with run_jobs():
        oldest_first = [publish_note(bob, text=f"note {n}").id for n in range(25)]
    newest_first = oldest_first[::-1]

    first = home_ids(alice, limit=20)
    second = home_ids(alice, max_id=first[-1], limit=20)
    third = home_ids(alice, max_id=second[-1], limit=20)

    assert first == newest_first[:20]
    assert second == newest_first[20:]
    assert third == []
    # min_id: the items just newer than the cursor, shown newest first.
    assert home_ids(alice, min_id=oldest_first[4], limit=3) == oldest_first[7:4:-1]
    assert home_ids(alice, min_id=second[0], limit=20) == newest_first[:20]
    assert home_ids(alice, min_id=oldest_first[-1]) == []
    assert home_ids(alice, since_id=oldest_first[20]) == newest_first[:4]


def test_trim_keeps_the_newest_entries(alice, bob, settings):
    settings.HUBBUB_TIMELINE_LENGTH = 3
    notes = PostFactory.create_batch(5, author=bob)
    get_store().add(alice.pk, [n.id for n in notes])

    get_store().trim(alice.pk)

    kept = TimelineEntry.objects.filter(reader=alice).values_list("post_id", flat=True)
    assert sorted(kept) == sorted(n.id for n in notes)[-3:]


# --- query count ---------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 20, 40])
@pytest.mark.parametrize("followees", [0, 1, 6])
def test_a_home_timeline_page_is_one_query(
    alice, settings, django_assert_num_queries, page_size, followees
):
    # Half the followees are above the fan-out limit, merged at read time.
    settings.HUBBUB_FANOUT_LIMIT = 1
    authors = AccountFactory.create_batch(followees)
    for n, author in enumerate(authors):
        follow_account(alice, followee=author)
        if n % 2:
            add_followers(author, 1)
        for _ in range(3):
            note = publish_note(author, text="hello")
            fan_out_post.call(note.id)
    publish_note(alice, text="mine")

    with django_assert_num_queries(1):
        page = home_timeline(alice, PageBounds(limit=page_size))
        names = [post.author.username for post in page]

    assert len(page) == min(page_size, 3 * followees + 1)
    assert len(names) == len(page)
