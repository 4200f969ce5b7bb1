"""Writes about posts: publishing, favourites, boosts and deletion."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.models import Account
from hubbub.blog.comments import check_comment, hold_comment
from hubbub.blog.references import record_references
from hubbub.core.events import publish_post_deleted
from hubbub.core.ids import id_at, new_id
from hubbub.core.prepared import PreparedInsert
from hubbub.core.ratelimits import enforce
from hubbub.core.text import check_note_text
from hubbub.moderation.labels import Label, label_for_new_post, log_detector_label
from hubbub.notifications import tasks as notification_tasks
from hubbub.notifications.actions import withdraw
from hubbub.notifications.models import Notification, NotificationType
from hubbub.posts.models import (
    Favourite,
    Kind,
    Mention,
    Post,
    PostTag,
    Tag,
    Visibility,
)
from hubbub.posts.queries import get_post, visible_posts
from hubbub.posts.rendering import ParsedText, parse_text, render_text
from hubbub.timelines.store import get_store

NOT_AVAILABLE = "That note is not available."


def publish_note(
    author: Account,
    *,
    text: str,
    visibility: str = Visibility.PUBLIC,
    in_reply_to: Post | int | None = None,
    promotional: bool = False,
) -> Post:
    """Publish a note, or raise ValidationError and write nothing.

    ``in_reply_to`` (a post or its id) must be a note the author may see
    now: a deleted or invisible one is refused with code ``unavailable``,
    and a reply to a boost answers its original. Mentions of local accounts
    and tags are stored with the note. The note is in the author's own
    timeline when this returns; followers' timelines are written by
    ``fan_out_post`` after commit (the sweeper re-drives it if that job is
    lost), and ``notify_post`` tells the people it mentions and the author
    it answers. A reply in an article's conversation is refused when its
    comments are closed (code ``closed``) and held for the article's
    author when it is the commenter's first (``blog.comments``). Over the
    author's posting limit it raises RateLimitedError and writes nothing.

    ``promotional`` is the author saying the note is an advert; #ad and
    #sponsored say so too. Otherwise the promotional detector decides
    (``moderation.labels.label_for_new_post``) and, if it labels the note,
    says so in the public moderation log.
    """
    text = check_note_text(text)
    visibility = Visibility(visibility)
    parsed = parse_text(text)
    enforce("post", account=author)
    label = label_for_new_post(
        author,
        text=text,
        tags=parsed.tags,
        promotional=promotional,
        is_reply=in_reply_to is not None,
    )
    with transaction.atomic():
        parent = None if in_reply_to is None else _reply_target(author, in_reply_to)
        # A comment on an article follows its rules: refused when comments
        # are closed, held for the article's author when it is a first one.
        held_on = None if parent is None else check_comment(author, parent)
        post = _do_publish_note(
            author,
            text=text,
            visibility=Visibility.DIRECT if held_on else visibility,
            created_at=None,
            in_reply_to=parent,
            parsed=parsed,
            label=label,
            savepoint=False,
        )
        if held_on is not None:
            hold_comment(post, article=held_on, visibility=visibility)
        log_detector_label(post, label)
        others = {a.pk for a in parsed.mentions.values()}
        if parent is not None:
            others.add(parent.author_id)
        if others - {author.pk}:
            transaction.on_commit(
                lambda: notification_tasks.notify_post.enqueue(post.id)
            )
    return post


def _reply_target(author: Account, in_reply_to: Post | int) -> Post:
    """Return the note a reply answers, re-read as ``author`` may see it."""
    post_id = in_reply_to.pk if isinstance(in_reply_to, Post) else in_reply_to
    try:
        parent = get_post(author, post_id)
        if parent.reblog_of_id is not None:
            parent = get_post(author, parent.reblog_of_id)
    except Http404 as e:
        raise ValidationError(NOT_AVAILABLE, code="unavailable") from e
    return parent


def _do_publish_note(
    author: Account,
    *,
    text: str,
    visibility: Visibility,
    created_at: datetime | None,
    in_reply_to: Post | None = None,
    parsed: ParsedText | None = None,
    label: Label | None = None,
    savepoint: bool = True,
) -> Post:
    """Write a note whose text has passed ``check_note_text``.

    ``in_reply_to`` must be a post ``author`` may see (``publish_note``
    checks); it is refused here only if it was deleted meanwhile.
    ``parsed`` is ``parse_text(text)`` when the caller has it. ``created_at``
    backdates the note (the demo seed); None means now. ``label`` is its
    promotional label, if it has one. Queues the fan-out
    but no notifications: ``publish_note`` queues those. ``savepoint=False``
    is for a caller whose own transaction fails whole when this raises
    (``publish_note``): it spares the savepoint's statements.
    """
    from hubbub.timelines.tasks import enqueue_fan_out

    parsed = parsed if parsed is not None else parse_text(text)
    now = timezone.now()
    when = created_at or now
    post_id = id_at(when) if created_at else new_id()
    with transaction.atomic(savepoint=savepoint):
        if in_reply_to is not None:
            # The live-parent condition makes a concurrent delete_post win
            # cleanly: the reply is refused instead of hanging off a tombstone.
            counted = Post.objects.filter(
                id=in_reply_to.id, deleted_at__isnull=True
            ).update(replies_count=F("replies_count") + 1)
            if not counted:
                raise ValidationError(NOT_AVAILABLE, code="unavailable")
            _count_comment(in_reply_to.conversation_id, 1)
        post = Post(
            id=post_id,
            author=author,
            kind=Kind.NOTE,
            visibility=visibility,
            text=text,
            html=render_text(text, parsed=parsed),
            in_reply_to=in_reply_to,
            conversation_id=in_reply_to.conversation_id if in_reply_to else post_id,
            created_at=when,
            fanout_queued_at=now,
            promotional_source=label.source if label else "",
            promotional_reason=label.reason if label else "",
        )
        _new_posts.insert(post)
        _store_mentions_and_tags(post, parsed)
        record_references(post, [t.value for t in parsed.tokens if t.kind == "url"])
        followers = count_new_post(author.pk, when)
        get_store().add(author.pk, [post.id])
        transaction.on_commit(
            lambda: enqueue_fan_out(post.id, author_followers=followers)
        )
    return post


# Every note is the same INSERT: build it once.
_new_posts = PreparedInsert(Post)


def _count_comment(conversation_id: int, delta: int) -> None:
    # Imported here: news builds on posts, and a reply in a story's
    # conversation is one of its comments.
    from hubbub.news.actions import count_comment

    count_comment(conversation_id, delta)


# A new post counts on its author. last_post_at never moves back: a
# backdated post (the demo seed) may be older than the newest. Written by
# hand because building it with the ORM cost more than the rest of the
# statement's run (publish_note makes it for every note).
_COUNT_NEW_POST = f"""
    UPDATE {Account._meta.db_table}
    SET posts_count = posts_count + 1,
        last_post_at = CASE WHEN last_post_at IS NULL OR last_post_at < %s
                            THEN %s ELSE last_post_at END
    WHERE {Account._meta.pk.column} = %s
    RETURNING followers_count
"""  # noqa: S608 - table and column names are the model's


def count_new_post(author_id: int, when: datetime) -> int:
    """Count a post written at ``when`` on its author: ``posts_count`` and
    ``last_post_at``. Call inside the transaction that writes the post.

    Returns the author's ``followers_count`` as the row holds it now (the
    fan-out's size), which the same statement reads for free.
    """
    with connection.cursor() as cursor:
        at = cursor.db.ops.adapt_datetimefield_value(when)
        cursor.execute(_COUNT_NEW_POST, [at, at, author_id])
        (followers,) = cursor.fetchone()
    return int(followers)


def _store_mentions_and_tags(post: Post, parsed: ParsedText) -> None:
    if parsed.mentions:
        Mention.objects.bulk_create(
            [Mention(post=post, account=a) for a in parsed.mentions.values()],
            ignore_conflicts=True,
        )
    store_tags(post, parsed.tags)


_TAG = Tag._meta.db_table
_POST_TAG = PostTag._meta.db_table


def store_tags(post: Post, tags: dict[str, str]) -> None:
    """Add ``tags`` (name -> spelling as written) to ``post``.

    Call inside a transaction. Adding a tag the post has already is a
    no-op.
    """
    if not tags:
        return
    # Two hand-written statements where the ORM built three (a tagged note
    # spent longer building them than running them). A tag keeps the
    # spelling it was first used with; DO NOTHING makes two notes
    # introducing the same tag at once both succeed.
    marks = ", ".join(["%s"] * len(tags))
    with connection.cursor() as cursor:
        now = cursor.db.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            f"INSERT INTO {_TAG} (name, display, created_at)"  # noqa: S608
            f" VALUES {', '.join(['(%s, %s, %s)'] * len(tags))}"
            " ON CONFLICT (name) DO NOTHING",
            [v for name, shown in tags.items() for v in (name, shown, now)],
        )
        cursor.execute(
            f"INSERT INTO {_POST_TAG} (post_id, tag_id)"  # noqa: S608
            f" SELECT %s, id FROM {_TAG} WHERE name IN ({marks})"
            " ON CONFLICT (tag_id, post_id) DO NOTHING",
            [post.id, *tags],
        )


# --- favourites, boosts and deletion ----------------------------------------


def _visible_original(viewer: Account, post: Post) -> Post:
    """Return what an action on ``post`` acts on: the original of a boost.

    Raises Http404 unless ``viewer`` may see it now (re-read, not trusted
    from the caller's copy).
    """
    original = visible_posts(viewer).filter(id=post.reblog_of_id or post.id).first()
    if original is None:
        raise Http404("No such post.")
    return original


def favourite_post(account: Account, *, post: Post) -> Favourite:
    """Favourite ``post`` (a boost's original); favouriting twice is a no-op.

    On a story this is a digg, which notifies nobody by itself (news tells
    the submitter when the story is promoted); on any other post the author
    is told by ``notify_favourite`` after commit. Raises Http404 for a post
    ``account`` may not see, and RateLimitedError over the digging limit.
    """
    with transaction.atomic():
        original = _visible_original(account, post)
        enforce("digg", account=account)
        favourite, created = Favourite.objects.get_or_create(
            account=account, post=original
        )
        if created:
            # Only the transaction whose row went in counts it, so concurrent
            # favourites leave the counter equal to the number of rows.
            Post.objects.filter(id=original.id).update(
                favourites_count=F("favourites_count") + 1
            )
            if original.kind == Kind.STORY:
                # A favourite of a story is a digg (imported here: news
                # builds on posts). Diggs are not announced one by one; the
                # submitter hears when the story is promoted.
                from hubbub.news.actions import record_digg

                record_digg(account, original)
            else:
                transaction.on_commit(
                    lambda: notification_tasks.notify_favourite.enqueue(favourite.id)
                )
    return favourite


def unfavourite_post(account: Account, *, post: Post) -> None:
    """Withdraw ``account``'s favourite of ``post``; a no-op if there is none.

    Works on a post ``account`` can no longer see too, so a favourite can
    always be taken back.
    """
    original_id = post.reblog_of_id or post.id
    with transaction.atomic():
        deleted, _ = Favourite.objects.filter(
            account=account, post_id=original_id
        ).delete()
        if deleted:
            Post.objects.filter(id=original_id, favourites_count__gt=0).update(
                favourites_count=F("favourites_count") - 1
            )
            if post.kind == Kind.STORY or post.reblog_of_id is not None:
                from hubbub.news.actions import record_undigg

                record_undigg(account.pk, original_id)
            _withdraw_about(original_id, account.pk, NotificationType.FAVOURITE)


def _withdraw_about(post_id: int, actor_id: int, kind: NotificationType) -> None:
    authors = Post.objects.filter(id=post_id).values_list("author_id", flat=True)
    for author_id in authors:
        withdraw(author_id, actor_id=actor_id, kind=kind, post_id=post_id)


def _lock(post_id: int) -> None:
    """Hold ``post_id``'s row until the transaction ends (PostgreSQL).

    NO KEY UPDATE still lets rows that point at the post (favourites,
    notifications) be written meanwhile. SQLite needs no lock: its
    transactions take the one write lock when they begin.
    """
    Post.objects.select_for_update(no_key=True).filter(id=post_id).exists()


BOOSTABLE = (Visibility.PUBLIC, Visibility.UNLISTED)


def boost_post(
    account: Account, *, post: Post, visibility: str = Visibility.PUBLIC
) -> Post:
    """Share ``post`` (a boost's original) with ``account``'s followers.

    Returns the boost: a new post whose ``reblog_of`` is the original, with
    no text of its own. Boosting twice returns the boost already made.
    Followers-only and direct posts can't be boosted (ValidationError, code
    ``private``), so they never reach anyone their author did not choose;
    a post ``account`` may not see is Http404. The boost is in the
    booster's timeline at once; ``fan_out_post`` and ``notify_boost`` run
    after commit.
    """
    if visibility not in BOOSTABLE:
        raise ValidationError(
            "A boost is public or unlisted.", code="invalid_visibility"
        )
    with transaction.atomic():
        # Lock the original before checking it, so it can't be deleted
        # between the check and the insert (delete_post takes this lock).
        _lock(post.reblog_of_id or post.id)
        original = _visible_original(account, post)
        if original.visibility not in BOOSTABLE:
            raise ValidationError(
                "Followers-only and direct notes can't be boosted.", code="private"
            )
        live = Post.objects.filter(
            author=account, reblog_of=original, deleted_at__isnull=True
        )
        if (existing := live.first()) is not None:
            return existing
        now = timezone.now()
        try:
            with transaction.atomic():
                boost = Post.objects.create(
                    author=account,
                    kind=Kind.NOTE,
                    visibility=visibility,
                    text="",
                    html="",
                    reblog_of=original,
                    created_at=now,
                    fanout_queued_at=now,
                )
        except IntegrityError:
            # A concurrent boost by the same person won (``boost_once``).
            return live.get()
        Post.objects.filter(id=original.id).update(reblogs_count=F("reblogs_count") + 1)
        get_store().add(account.pk, [boost.id])
        transaction.on_commit(lambda: _after_boost(boost.id))
    return boost


def _after_boost(boost_id: int) -> None:
    from hubbub.timelines.tasks import enqueue_fan_out

    enqueue_fan_out(boost_id)
    notification_tasks.notify_boost.enqueue(boost_id)


def unboost_post(account: Account, *, post: Post) -> None:
    """Take back ``account``'s boost of ``post``; a no-op if there is none.

    ``post`` may be the original or the boost itself. The boost leaves
    every timeline and its notification is withdrawn. It counts toward
    the deleting limit (RateLimitedError), as in Mastodon.
    """
    enforce("delete", account=account)
    original_id = post.reblog_of_id or post.id
    with transaction.atomic():
        boost_id = (
            Post.objects.filter(
                author=account, reblog_of_id=original_id, deleted_at__isnull=True
            )
            .values_list("id", flat=True)
            .first()
        )
        if boost_id is not None:
            _undo_boost(boost_id, original_id=original_id, booster_id=account.pk)


def _undo_boost(boost_id: int, *, original_id: int, booster_id: int) -> None:
    """Tombstone one boost and take back its count and notification.

    Call inside a transaction. The original is locked first, in the same
    order as ``boost_post`` and ``delete_post``, so none of them deadlock.
    """
    _lock(original_id)
    # Only the transaction that tombstones the boost undoes its count.
    if _tombstone([boost_id]):
        Post.objects.filter(id=original_id, reblogs_count__gt=0).update(
            reblogs_count=F("reblogs_count") - 1
        )
        _withdraw_about(original_id, booster_id, NotificationType.REBLOG)


def _tombstone(post_ids: list[int]) -> int:
    """Mark live posts deleted and take them out of every timeline.

    Returns how many were live, so that only the transaction that
    tombstones a post undoes its counters.
    """
    deleted = Post.objects.filter(id__in=post_ids, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if deleted:
        # The entries would hide behind visibility anyway, but they would
        # still take up room in a reader's page of stored entries.
        get_store().remove_posts(post_ids)
        for post_id, author_id in Post.objects.filter(id__in=post_ids).values_list(
            "id", "author_id"
        ):
            publish_post_deleted(post_id, author_id)
    return deleted


def delete_post(actor: Account, *, post: Post) -> None:
    """Delete ``actor``'s own post; deleting it again is a no-op.

    The post becomes a tombstone: it leaves every timeline and thread, its
    boosts are deleted with it, notifications about it go, and the
    counters it added to (posts, the parent's replies, the original's
    boosts) go down. Replies to it remain. Deleting a boost takes the
    boost back. Anyone but the author gets Http404, as for a post they
    may not see. Over the deleting limit it raises RateLimitedError.
    """
    if post.author_id != actor.pk:
        raise Http404("No such post.")
    enforce("delete", account=actor)
    do_delete_post(post)


def do_delete_post(post: Post) -> bool:
    """Tombstone ``post`` as ``delete_post`` describes; return whether it
    was live.

    Precondition: whoever asks may delete it (its author, or a moderator
    through ``moderation.actions``).
    """
    with transaction.atomic():
        if post.reblog_of_id is not None:
            _undo_boost(
                post.id, original_id=post.reblog_of_id, booster_id=post.author_id
            )
            return True
        _lock(post.id)
        if not _tombstone([post.id]):
            return False
        boost_ids = list(
            Post.objects.filter(
                reblog_of_id=post.id, deleted_at__isnull=True
            ).values_list("id", flat=True)
        )
        if boosts := _tombstone(boost_ids):
            Post.objects.filter(id=post.id).update(
                reblogs_count=Greatest(F("reblogs_count") - boosts, 0)
            )
        Account.objects.filter(pk=post.author_id, posts_count__gt=0).update(
            posts_count=F("posts_count") - 1
        )
        if post.in_reply_to_id is not None:
            Post.objects.filter(id=post.in_reply_to_id, replies_count__gt=0).update(
                replies_count=F("replies_count") - 1
            )
            _count_comment(post.conversation_id, -1)
        Notification.objects.filter(post_id__in=[post.id, *boost_ids]).delete()
    return True
