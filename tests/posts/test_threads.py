"""Replies and conversations: publish_note(in_reply_to=...) and conversation().

The shape tests build threads from raw rows (``reply``), since only the
tree matters there; the behaviour tests go through ``publish_note``.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account, Block
from hubbub.notifications.models import Notification, NotificationType
from hubbub.notifications.tasks import notify_post
from hubbub.posts.actions import _do_publish_note, publish_note
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import conversation, get_post
from tests.conftest import make_account
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def reply(parent: Post, author: Account | None = None, **fields) -> Post:
    """A raw reply row (the tree, without publish_note's side effects)."""
    return PostFactory(in_reply_to=parent, author=author or parent.author, **fields)


def delete(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now())


def shape(viewer: Account | None, post: Post):
    """The thread as (ancestor ids, [(descendant id or "deleted", depth)])."""
    thread = conversation(viewer, post)
    return (
        [n.id if n.post else "deleted" for n in thread.ancestors],
        [(n.id if n.post else "deleted", n.depth) for n in thread.descendants],
    )


# --- replying -----------------------------------------------------------------


def test_reply_joins_the_conversation_and_counts(alice, bob):
    root = publish_note(alice, text="root")
    first = publish_note(bob, text="first", in_reply_to=root)
    second = publish_note(alice, text="second", in_reply_to=first.id)

    for post in (root, first, second):
        post.refresh_from_db()
        assert post.conversation_id == root.id
    assert first.in_reply_to_id == root.id
    assert second.in_reply_to_id == first.id
    # Only direct replies count.
    assert (root.replies_count, first.replies_count, second.replies_count) == (
        1,
        1,
        0,
    )


def test_reply_counts_add_up_under_many_replies(alice, bob, carol):
    root = publish_note(alice, text="root")
    for n in range(3):
        publish_note(bob, text=f"b{n}", in_reply_to=root)
        publish_note(carol, text=f"c{n}", in_reply_to=root)

    root.refresh_from_db()
    assert root.replies_count == 6


def test_reply_to_a_boost_answers_the_original(alice, bob, carol):
    original = publish_note(alice, text="original")
    boost = PostFactory(author=bob, reblog_of=original, text="", html="")

    answer = publish_note(carol, text="hi", in_reply_to=boost)

    assert answer.in_reply_to_id == original.id
    assert answer.conversation_id == original.conversation_id


def unavailable_targets(alice, bob):
    """Notes bob may not reply to, by name."""
    following_only = publish_note(alice, text="friends", visibility="followers")
    direct = publish_note(alice, text="psst @carol", visibility="direct")
    gone = publish_note(alice, text="gone")
    delete(gone)
    return {
        "followers-only": following_only.id,
        "direct": direct.id,
        "deleted": gone.id,
        "missing": gone.id + 999,
        "beyond 64 bits": 2**64,
    }


@pytest.mark.parametrize(
    "target", ["followers-only", "direct", "deleted", "missing", "beyond 64 bits"]
)
def test_reply_to_an_unavailable_note_is_refused_and_writes_nothing(
    alice, bob, carol, target, django_capture_on_commit_callbacks
):
    post_id = unavailable_targets(alice, bob)[target]
    before = (Post.objects.count(), DBTaskResult.objects.count())
    counts = dict(Post.objects.values_list("id", "replies_count"))

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as caught,
    ):
        publish_note(bob, text="answer", in_reply_to=post_id)

    assert caught.value.code == "unavailable"
    assert caught.value.messages == ["That note is not available."]
    assert callbacks == []
    assert (Post.objects.count(), DBTaskResult.objects.count()) == before
    assert dict(Post.objects.values_list("id", "replies_count")) == counts
    bob.refresh_from_db()
    assert bob.posts_count == 0


def test_reply_across_a_block_is_refused(alice, bob):
    root = publish_note(alice, text="root")
    Block.objects.create(account=alice, target=bob)

    with pytest.raises(ValidationError, match="not available"):
        publish_note(bob, text="answer", in_reply_to=root)


def test_follower_may_answer_a_followers_only_note(alice, bob):
    follow_account(bob, followee=alice)
    root = publish_note(alice, text="friends", visibility="followers")

    answer = publish_note(bob, text="hello friend", in_reply_to=root)

    assert answer.in_reply_to_id == root.id


def test_parent_deleted_after_the_check_refuses_the_reply(alice, bob):
    root = publish_note(alice, text="root")
    seen = get_post(bob, root.id)
    delete(root)

    # publish_note checked visibility before this point; the write path
    # itself refuses a parent that went meanwhile.
    with pytest.raises(ValidationError, match="not available"):
        _do_publish_note(
            bob,
            text="late",
            visibility=Visibility.PUBLIC,
            created_at=None,
            in_reply_to=seen,
        )
    assert not Post.objects.filter(author=bob).exists()


def test_reply_notifies_the_author_answered_after_the_job(alice, bob, run_jobs):
    root = publish_note(alice, text="root")

    with run_jobs():
        answer = publish_note(bob, text="nice", in_reply_to=root)

    note = Notification.objects.get(recipient=alice)
    assert (note.type, note.actor_id, note.post_id) == (
        NotificationType.REPLY,
        bob.pk,
        answer.id,
    )
    # Running the job again writes nothing new.
    notify_post.call(answer.id)
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_replying_to_yourself_queues_no_notification_job(
    alice, django_capture_on_commit_callbacks
):
    root = publish_note(alice, text="root")
    with django_capture_on_commit_callbacks(execute=True):
        publish_note(alice, text="and another thing", in_reply_to=root)

    assert [r.task_path for r in DBTaskResult.objects.all()] == [
        "hubbub.timelines.tasks.fan_out_post"
    ]


def test_a_followers_only_reply_does_not_notify_an_author_who_cannot_see_it(
    alice, bob, run_jobs
):
    root = publish_note(alice, text="root")

    with run_jobs():
        publish_note(bob, text="about you", visibility="followers", in_reply_to=root)

    assert not Notification.objects.exists()


def test_a_note_deleted_before_its_job_notifies_nobody(alice, bob, run_jobs):
    root = publish_note(alice, text="root")
    answer = publish_note(bob, text="oops", in_reply_to=root)
    delete(answer)

    notify_post.call(answer.id)

    assert not Notification.objects.exists()


# --- the conversation query ---------------------------------------------------


def test_context_order_ancestors_root_first_descendants_depth_first(alice, bob):
    root = PostFactory(author=alice)
    a = reply(root, bob)
    a1 = reply(a)
    a1x = reply(a1, alice)
    a2 = reply(a, alice)
    b = reply(root)
    b1 = reply(b, bob)

    assert shape(alice, root) == (
        [],
        [(a.id, 1), (a1.id, 2), (a1x.id, 3), (a2.id, 2), (b.id, 1), (b1.id, 2)],
    )
    assert shape(alice, a1) == ([root.id, a.id], [(a1x.id, 1)])
    thread = conversation(alice, a)
    assert thread.post.id == a.id
    assert [n.replies for n in thread.descendants] == [1, 0, 0]


def test_context_hides_what_the_viewer_may_not_see(alice, bob, carol):
    root = PostFactory(author=alice)
    private = reply(root, bob, visibility=Visibility.FOLLOWERS)
    under_private = reply(private, alice)
    direct = reply(root, bob, visibility=Visibility.DIRECT)
    public = reply(root, carol)

    # A stranger sees neither the followers-only reply nor what hangs
    # below it, nor the direct one: nothing hints at them.
    assert shape(carol, root) == ([], [(public.id, 1)])
    assert shape(None, root) == ([], [(public.id, 1)])
    follow_account(carol, followee=bob)
    assert shape(carol, root) == (
        [],
        [(private.id, 1), (under_private.id, 2), (public.id, 1)],
    )
    assert shape(bob, root) == (
        [],
        [(private.id, 1), (under_private.id, 2), (direct.id, 1), (public.id, 1)],
    )
    # Seen from below the hidden note, the chain stops at the gap.
    assert shape(None, under_private) == ([], [])


def test_context_keeps_deleted_notes_only_above_visible_replies(alice, bob):
    root = PostFactory(author=alice)
    gone = reply(root, bob)
    kept = reply(gone, alice)
    gone_leaf = reply(root, bob)
    gone_chain = reply(root, bob)
    reply(gone_chain, bob, deleted_at=timezone.now())
    for post in (gone, gone_leaf, gone_chain):
        delete(post)

    assert shape(alice, root) == ([], [("deleted", 1), (kept.id, 2)])
    assert shape(alice, kept) == ([root.id, "deleted"], [])
    placeholder = conversation(alice, root).descendants[0]
    assert placeholder.id == gone.id
    assert placeholder.replies == 1


def test_context_hides_replies_across_a_block(alice, bob, carol):
    root = PostFactory(author=alice)
    blocked = reply(root, bob)
    reply(blocked, carol)
    fine = reply(root, carol)
    Block.objects.create(account=carol, target=bob)

    assert shape(carol, root) == ([], [(fine.id, 1)])


def test_context_carries_viewer_flags_and_authors(
    alice, bob, django_assert_num_queries
):
    root = PostFactory(author=alice)
    answer = reply(root, bob)

    with django_assert_num_queries(1):
        thread = conversation(bob, root)
        names = [n.post.author.username for n in thread.descendants if n.post]
        parents = [n.post.in_reply_to.author.username for n in thread.descendants]
        flags = [(n.post.favourited, n.post.boosted) for n in thread.descendants]

    assert names == ["bob"]
    assert parents == ["alice"]
    assert flags == [(False, False)]
    assert thread.descendants[0].id == answer.id


def _bulk_replies(root: Post, parents: list[Post | None]) -> list[Post]:
    """Insert replies in one statement; ``None`` answers the reply before."""
    replies: list[Post] = []
    for parent in parents:
        replies.append(
            PostFactory.build(
                author=root.author,
                in_reply_to=parent or (replies[-1] if replies else root),
                conversation_id=root.conversation_id,
            )
        )
    Post.objects.bulk_create(replies)
    return replies


def deep_thread(author: Account, depth: int) -> list[Post]:
    """A root and a chain of ``depth`` replies, each to the one before."""
    root = PostFactory(author=author)
    return [root, *_bulk_replies(root, [None] * depth)]


def wide_thread(author: Account, width: int) -> list[Post]:
    """A root and ``width`` replies to it."""
    root = PostFactory(author=author)
    return [root, *_bulk_replies(root, [root] * width)]


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda a: deep_thread(a, 1), id="small"),
        pytest.param(lambda a: deep_thread(a, 50), id="depth 50"),
        pytest.param(lambda a: wide_thread(a, 100), id="100 siblings"),
    ],
)
def test_conversation_is_one_query_whatever_its_size(
    alice, build, django_assert_num_queries
):
    posts = build(alice)

    with django_assert_num_queries(1):
        thread = conversation(alice, posts[0])

    assert len(thread.descendants) == len(posts) - 1


def test_a_chain_500_deep_needs_no_recursion(alice):
    # B-71: building the tree is iterative, so depth cannot overflow.
    chain = deep_thread(alice, 500)

    from_root = conversation(alice, chain[0])
    from_leaf = conversation(alice, chain[-1])

    assert [n.depth for n in from_root.descendants] == list(range(1, 501))
    assert [n.id for n in from_leaf.ancestors] == [p.id for p in chain[:-1]]


def test_a_boost_is_not_part_of_the_thread(alice, bob):
    root = PostFactory(author=alice)
    PostFactory(author=bob, reblog_of=root, text="", html="")

    assert shape(bob, root) == ([], [])


def test_other_conversations_stay_out(alice):
    root = PostFactory(author=alice)
    mine = reply(root)
    other = PostFactory(author=alice)
    reply(other)

    assert shape(alice, root) == ([], [(mine.id, 1)])


def test_unknown_viewer_is_like_anonymous(alice):
    root = PostFactory(author=alice)
    answer = reply(root, make_account("dave"))

    assert shape(None, root) == ([], [(answer.id, 1)])
