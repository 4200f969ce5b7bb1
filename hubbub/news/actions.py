"""Writes about social news: submitting, digging, burying and promoting.

A digg *is* a favourite of a story's post: ``digg_story`` writes the
favourite itself in a few prepared statements, and a Mastodon app's ★
reaches ``record_digg`` through ``posts.actions.favourite_post``; both count
the digg with ``_count_digg``. A new digg moves the story's stored
aggregates by what its cluster gained (``ranking.add_to_cluster``), with no
re-read of the story's votes. Only when the aggregates say the story may
pass the rule, and for every other vote change, is the story re-tallied
(``retally``): its effective diggs and buries are recomputed by
``ranking.effective_diggs`` from its vote rows, the aggregates are
written back, and when the promotion rule holds the story is promoted by
one conditional UPDATE, so it is promoted exactly once however many diggs
race past the threshold.

Association clusters are kept incrementally: a new vote joins (and merges)
the clusters of the voters it is associated with, found by one statement
(``_place_vote``); only withdrawing a vote, or the co-digg overlap refresh,
re-clusters a story from scratch.
"""

import hashlib
import re
import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape

from hubbub.accounts.models import Account, Follow
from hubbub.blog.references import linked_post_ids
from hubbub.core.html import sanitise
from hubbub.core.ids import new_id
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.core.ratelimits import enforce
from hubbub.core.text import has_forbidden_characters
from hubbub.moderation.actions import record, report_post
from hubbub.moderation.labels import Label, label_for_new_post, log_detector_label
from hubbub.moderation.models import Action, LogEntry, Report
from hubbub.moderation.permissions import is_moderator
from hubbub.news import links, ranking
from hubbub.news.models import (
    BLURB_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
    Association,
    BuryReason,
    CommentBury,
    Community,
    LinkClaim,
    State,
    Story,
    StoryVote,
    VoteKind,
)
from hubbub.posts import actions as post_actions
from hubbub.posts.models import Favourite, Kind, Post, Visibility
from hubbub.posts.queries import visible_posts, visible_public_originals
from hubbub.posts.rendering import parse_text
from hubbub.timelines.store import get_store

# A second submission of the same link within 30 days leads to the first
# (Lobsters' RECENT_DAYS); after that a link may be discussed afresh.
DUPLICATE_WINDOW = timedelta(days=30)
_TOPIC = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Submission:
    """What ``submit_story`` did: ``created`` is False for a duplicate,
    and ``story`` is then the story already submitted."""

    story: Story
    created: bool


# Submitting -----------------------------------------------------------------


def _check_text(value: str, *, field: str, limit: int, required: bool) -> str:
    if has_forbidden_characters(value):
        raise ValidationError(
            f"The {field} contains characters that are not allowed.", code="invalid"
        )
    value = " ".join(value.split()) if field != "blurb" else value.strip()
    if required and not value:
        raise ValidationError(f"The {field} can't be blank.", code="blank")
    if len(value) > limit:
        raise ValidationError(
            f"The {field} is too long: at most {limit} characters "
            f"({len(value)} given).",
            code="too_long",
        )
    return value


def _check_topic(topic: str) -> str:
    topic = topic.strip().lower()
    if topic and (len(topic) > TOPIC_MAX_LENGTH or not _TOPIC.match(topic)):
        raise ValidationError(
            f"A topic is up to {TOPIC_MAX_LENGTH} letters, digits and hyphens.",
            code="invalid_topic",
        )
    return topic


def url_key(url: str) -> str:
    """Return the digest duplicate detection compares for ``url``."""
    return hashlib.sha256(links.duplicate_key(url).encode()).hexdigest()


def _story_html(title: str, url: str, blurb: str) -> str:
    # A story's status content (Mastodon §6): its title linked to the
    # target, then its blurb.
    paragraphs = [f'<p><a href="{escape(url)}" target="_blank">{escape(title)}</a></p>']
    for paragraph in blurb.split("\n\n"):
        if paragraph.strip():
            lines = escape(paragraph.strip()).replace("\n", "<br>")
            paragraphs.append(f"<p>{lines}</p>")
    return sanitise("".join(paragraphs))


def submit_story(
    author: Account,
    *,
    url: str,
    title: str,
    blurb: str = "",
    topic: str = "",
    promotional: bool = False,
) -> Submission:
    """Submit a link to Upcoming, or lead to the story that already has it.

    Raises ValidationError, writing nothing, for a URL that is not a plain
    http(s) link (other schemes, credentials, control characters, a bad
    host or port, more than 2,048 characters), a blank title or one over
    TITLE_MAX_LENGTH characters, a blurb over BLURB_MAX_LENGTH or a topic
    that is not a short slug. A link submitted in the last
    DUPLICATE_WINDOW (by anyone, spelled any way ``links.duplicate_key``
    folds together) is not submitted again: the existing story comes back
    with ``created`` False. Over the submitting limit it raises
    RateLimitedError. The story is a public post of kind ``story`` in
    its own conversation; its link preview is fetched by ``fetch_preview``
    after commit, through the SSRF-safe fetcher. It is labelled promotional
    as a note is (``label_for_new_post``): ``promotional`` is the submitter
    saying so, as #ad or #sponsored in the title or blurb do.
    """
    try:
        normalised = links.normalise_url(url)
    except ValueError as e:
        raise ValidationError(str(e), code="invalid_url") from e
    title = _check_text(title, field="title", limit=TITLE_MAX_LENGTH, required=True)
    blurb = _check_text(blurb, field="blurb", limit=BLURB_MAX_LENGTH, required=False)
    topic = _check_topic(topic)
    enforce("story", account=author)
    key = url_key(normalised)
    now = timezone.now()
    text = "\n\n".join(part for part in (title, normalised, blurb) if part)
    with transaction.atomic():
        _claim_link(key, now)
        existing = (
            Story.objects.filter(
                url_key=key,
                submitted_at__gte=now - DUPLICATE_WINDOW,
                post__in=visible_posts(author).values("id"),
            )
            .select_related("post__author")
            .order_by("-submitted_at")
            .first()
        )
        if existing is not None:
            return Submission(existing, created=False)
        joined = _joined_conversation(author, normalised)
        post = _do_publish_story_post(
            author,
            text=text,
            html=_story_html(title, normalised, blurb),
            when=now,
            conversation_id=joined,
            label=label_for_new_post(
                author,
                text=text,
                tags=parse_text(f"{title}\n{blurb}").tags,
                promotional=promotional,
                is_reply=False,
            ),
        )
        # Joining a conversation brings the comments already written in it;
        # a conversation of its own has none yet.
        comments = (
            Post.objects.filter(
                conversation_id=joined,
                in_reply_to__isnull=False,
                deleted_at__isnull=True,
            ).count()
            if joined is not None
            else 0
        )
        story = Story.objects.create(
            post=post,
            url=url.strip(),
            normalised_url=normalised,
            url_key=key,
            domain=links.domain_of(normalised),
            title=title,
            blurb=blurb,
            topic=topic,
            submitted_at=now,
            upcoming_score=ranking.upcoming_score(0.0, now),
            comments_count=comments,
        )
        transaction.on_commit(lambda: _after_submit(post.id))
    return Submission(story, created=True)


def _claim_link(key: str, now: datetime) -> None:
    """Lock the link's claim row (writing it the first time) until the
    transaction ends: concurrent submissions of one link queue here, so
    the duplicate check after it sees every story committed before."""
    # An upsert locks the row whether it was there or not (PostgreSQL);
    # SQLite's one write lock already orders submissions.
    LinkClaim.objects.bulk_create(
        [LinkClaim(url_key=key, claimed_at=now)],
        update_conflicts=True,
        unique_fields=["url_key"],
        update_fields=["claimed_at"],
    )


def _joined_conversation(author: Account, url: str) -> int | None:
    """Return the conversation a story about ``url`` joins, if any.

    A link to a public article or note on this site puts the story in that
    post's conversation, as a second root beside it: the article page, the
    story page and the note's thread then show the same replies.
    """
    ids = linked_post_ids([url])
    if not ids:
        return None
    return (
        visible_posts(author)
        .filter(id__in=ids, visibility=Visibility.PUBLIC, reblog_of__isnull=True)
        .values_list("conversation_id", flat=True)
        .first()
    )


def _do_publish_story_post(
    author: Account,
    *,
    text: str,
    html: str,
    when: datetime,
    label: Label | None,
    conversation_id: int | None = None,
) -> Post:
    """Write a story's post as publishing a note does: count it, put it in
    the author's timeline, label it if the promotional detector says so,
    and fan it out after commit. Without a ``conversation_id`` the story
    starts its own conversation."""
    post = Post.objects.create(
        author=author,
        kind=Kind.STORY,
        visibility=Visibility.PUBLIC,
        text=text,
        html=html,
        created_at=when,
        fanout_queued_at=when,
        conversation_id=conversation_id or 0,
        promotional_source=label.source if label else "",
        promotional_reason=label.reason if label else "",
    )
    log_detector_label(post, label)
    Account.objects.filter(pk=author.pk).update(
        posts_count=F("posts_count") + 1, last_post_at=when
    )
    get_store().add(author.pk, [post.id])
    return post


def _after_submit(post_id: int) -> None:
    from hubbub.news import tasks
    from hubbub.timelines.tasks import enqueue_fan_out

    enqueue_fan_out(post_id)
    tasks.fetch_preview.enqueue(post_id)


# Digging --------------------------------------------------------------------


def _story_post(viewer: Account, story: Story | Post | int) -> Post:
    """Return the live story post ``viewer`` may see, or raise Http404."""
    post_id = story if isinstance(story, int) else story.pk
    post = visible_posts(viewer).filter(id=post_id, kind=Kind.STORY).first()
    if post is None:
        raise Http404("No such story.")
    return post


def digg_story(account: Account, *, story: Story | Post | int) -> None:
    """Digg a story: favourite its post. Digging twice is a no-op.

    A deleted story, or one ``account`` may not see, is Http404. The
    submitter may digg their own story; that digg weighs 0. A digg replaces
    the account's bury of the story, if it had one. Over the digging limit
    it raises RateLimitedError.

    This writes what ``posts.actions.favourite_post`` writes for a story
    (the favourite and the post's count) in a few hand-written statements,
    because digging is the hottest write news has; a ★ from a Mastodon app
    takes that path and reaches ``record_digg`` the same way. A digg
    notifies nobody by itself: the submitter and the diggers hear when the
    story is promoted (``tasks.notify_promotion``).
    """
    post_id = story if isinstance(story, int) else story.pk
    db = transaction.get_connection()
    if db.connection is None:
        db.ensure_connection()
    # A digg inside a transaction takes atomic(), for its savepoint.
    if db.vendor == "sqlite" and db.autocommit and not db.in_atomic_block:
        try:
            _digg_on_sqlite(db, account, post_id)
            return
        except _RetallyNeededError:
            pass  # rolled back: digg again, the full way
    # One cursor for every statement: the digg is a handful of them. The
    # limit is counted inside the digg's transaction, as favourite_post
    # counts it: without Redis its counter is a row, and on its own it
    # would be a commit of its own, as costly as the digg's.
    with transaction.atomic(), connection.cursor() as cursor:
        enforce("digg", account=account)
        now = _moment(cursor)
        submitter_id = _insert_favourite(cursor, account, post_id, now)
        if submitter_id is None:
            return  # dugg already
        if not _count_digg(cursor, account, post_id, submitter_id, now):
            raise Http404("No such story.")


class _RetallyNeededError(Exception):
    """A digg on ``_digg_on_sqlite``'s path must lock and re-tally its
    story, which takes the ORM and so ``transaction.atomic()``."""


def _digg_on_sqlite(db: BaseDatabaseWrapper, account: Account, post_id: int) -> None:
    """Digg as ``digg_story`` does, in a transaction begun and committed
    on the DB-API connection: ``atomic()`` costs a digg about a tenth of
    its time on SQLite. Only for a caller outside any transaction.

    Its statements are all raw, none the ORM's: where the digg must lock
    and re-tally the story (it may promote it, or it replaces a bury) this
    rolls back and raises _RetallyNeededError, before counting the limit, so
    the digg done again under ``atomic()`` counts it once.
    """
    raw = db.connection
    with db.wrap_database_errors:
        raw.execute("BEGIN IMMEDIATE")
    try:
        with db.cursor() as cursor:
            now = _moment(cursor)
            try:
                submitter_id = _insert_favourite(cursor, account, post_id, now)
                found = submitter_id is None or _count_digg(
                    cursor, account, post_id, submitter_id, now, quick=True
                )
            except Http404:
                # The limit is counted before a missing story is told, as
                # under atomic(), where it comes first.
                enforce("digg", account=account)
                raise
            # Counted last, but in the transaction: over the limit, the
            # digg's rows roll back with it.
            enforce("digg", account=account)
            if not found:
                raise Http404("No such story.")
        with db.wrap_database_errors:
            raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            with db.wrap_database_errors:
                raw.execute("ROLLBACK")
        raise


def undigg_story(account: Account, *, story: Story | Post | int) -> None:
    """Withdraw ``account``'s digg of a story; a no-op if there is none."""
    post_id = story if isinstance(story, int) else story.pk
    # unfavourite_post needs only the id, and works on a story the account
    # can no longer see, so a digg can always be taken back.
    post_actions.unfavourite_post(account, post=Post(id=post_id, kind=Kind.STORY))


def record_digg(account: Account, post: Post) -> None:
    """Count a new favourite of ``post`` as a digg if ``post`` is a story.

    Called by ``posts.actions.favourite_post`` inside its transaction, only
    when the favourite row was new, so double diggs never reach here.
    """
    with connection.cursor() as cursor:
        _count_digg(cursor, account, post.id, post.author_id, _moment(cursor))


def record_undigg(account_id: int, post_id: int) -> None:
    """Forget a withdrawn favourite's digg, if ``post_id`` is a story.

    Called by ``posts.actions.unfavourite_post`` inside its transaction.
    """
    story = lock_story(post_id)
    if story is not None and _withdraw_vote(story, account_id, VoteKind.DIGG):
        retally(story)


def count_comment(conversation_id: int, delta: int) -> None:
    """Add ``delta`` to a story's comment count if the conversation is one.

    Called by ``posts.actions`` when a reply is published or deleted; the
    count feeds the heated-thread penalty on the front page.
    """
    # A story submitted from an article shares the article's conversation.
    stories = Story.objects.filter(post__conversation_id=conversation_id)
    if delta < 0:
        stories = stories.filter(comments_count__gte=-delta)
    stories.update(comments_count=F("comments_count") + delta)


# Burying --------------------------------------------------------------------


def _bury_reason(reason: str) -> BuryReason:
    try:
        return BuryReason(reason)
    except ValueError:
        choices = ", ".join(BuryReason.values)
        raise ValidationError(
            f"A bury needs one of these reasons: {choices}.", code="invalid_reason"
        ) from None


def bury_story(account: Account, *, story: Story | Post | int, reason: str) -> None:
    """Bury a story with a reason; burying again only changes the reason.

    Buries are weighted and clustered like diggs. When weighted buries reach
    their limit (``ranking.bury_limit``) the story goes to the moderators'
    review queue, and the public moderation log says why; it is not
    removed. A bury replaces the account's digg. The submitter cannot bury
    their own story (ValidationError); a story ``account`` may not see is
    Http404; an unknown reason is a ValidationError. Buries count against
    the digging limit (RateLimitedError).
    """
    why = _bury_reason(reason)
    enforce("digg", account=account)
    with transaction.atomic():
        post = _story_post(account, story)
        if post.author_id == account.pk:
            raise ValidationError(
                "You can't bury your own story; you can delete it.", code="own_story"
            )
        post_actions.unfavourite_post(account, post=post)
        locked = lock_story(post.id)
        assert locked is not None  # noqa: S101 - _story_post found the story
        existing = StoryVote.objects.filter(
            story=locked, kind=VoteKind.BURY, account_id=account.pk
        )
        if existing.update(reason=why):
            return
        _add_vote(locked, account, VoteKind.BURY, reason=why)
        retally(locked)


def unbury_story(account: Account, *, story: Story | Post | int) -> None:
    """Withdraw ``account``'s bury of a story; a no-op if there is none."""
    post_id = story if isinstance(story, int) else story.pk
    with transaction.atomic():
        locked = lock_story(post_id)
        if locked is not None and _withdraw_vote(locked, account.pk, VoteKind.BURY):
            retally(locked)


def _comment_post(account: Account, post: Post | int) -> Post:
    """Return a live comment (a reply in a story's conversation) ``account``
    may see, or raise Http404."""
    post_id = post if isinstance(post, int) else post.pk
    found = (
        visible_posts(account)
        .filter(
            id=post_id,
            kind=Kind.NOTE,
            in_reply_to__isnull=False,
            # A story may share an article's conversation (a second root).
            conversation_id__in=Story.objects.values("post__conversation_id"),
        )
        .first()
    )
    if found is None:
        raise Http404("No such comment.")
    return found


def bury_comment(account: Account, *, post: Post | int, reason: str) -> None:
    """Bury a comment on a story with a reason; again changes the reason.

    Comments with enough buries are collapsed, with the reason shown (see
    ``queries.story_comments``). Burying one's own comment is refused
    (ValidationError); a comment ``account`` may not see is Http404.
    """
    why = _bury_reason(reason)
    enforce("digg", account=account)
    with transaction.atomic():
        comment = _comment_post(account, post)
        if comment.author_id == account.pk:
            raise ValidationError(
                "You can't bury your own comment; you can delete it.",
                code="own_comment",
            )
        CommentBury.objects.update_or_create(
            post=comment, account=account, defaults={"reason": why}
        )


def unbury_comment(account: Account, *, post: Post | int) -> None:
    """Withdraw ``account``'s bury of a comment; a no-op if there is none."""
    post_id = post if isinstance(post, int) else post.pk
    CommentBury.objects.filter(post_id=post_id, account=account).delete()


def report(
    account: Account, *, post: Post | int, reason: str, comment: str = ""
) -> Report:
    """Ask moderators to look at a story or comment; reporting twice is a
    no-op that returns the open report.

    The rules are ``moderation.actions.report_post``'s; this only takes a
    post's id as the news pages and API have it. Http404 for a post
    ``account`` may not see.
    """
    post_id = post if isinstance(post, int) else post.pk
    found = visible_posts(account).filter(id=post_id).first()
    if found is None:
        raise Http404("No such post.")
    return report_post(account, post=found, reason=reason, comment=comment)


# Moderators -----------------------------------------------------------------


def _moderator_story(moderator: Account, story: Story | Post | int) -> Story:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators can do that.")
    post_id = story if isinstance(story, int) else story.pk
    locked = lock_story(post_id)
    if locked is None:
        raise Http404("No such story.")
    return locked


def hold_story(moderator: Account, *, story: Story | Post | int, reason: str) -> None:
    """Hold a story for review (off Upcoming and the front page), logged
    publicly with ``reason``. Holding a held story again is a no-op.

    Raises PermissionDenied for anyone but a moderator, ValidationError for
    a blank reason.
    """
    reason = _check_text(reason, field="reason", limit=1000, required=True)
    with transaction.atomic():
        locked = _moderator_story(moderator, story)
        moved = Story.objects.filter(
            pk=locked.pk, state__in=[State.UPCOMING, State.PROMOTED]
        ).update(state=State.REVIEW, held_from=F("state"), rank=0.0)
        if moved:
            record(moderator, action=Action.HOLD, reason=reason, post=locked.post)


def release_story(
    moderator: Account, *, story: Story | Post | int, reason: str
) -> None:
    """Return a held story to where it was, logged publicly with ``reason``.

    The buries that held it no longer hold it (a moderator looked); new
    diggs and the periodic jobs treat it as before. An upcoming story whose
    window closed meanwhile is archived. Releasing a story that is not held
    is a no-op. PermissionDenied for anyone but a moderator.
    """
    reason = _check_text(reason, field="reason", limit=1000, required=True)
    with transaction.atomic():
        locked = _moderator_story(moderator, story)
        if locked.state != State.REVIEW:
            return
        back = State(locked.held_from or State.UPCOMING)
        expired = timezone.now() - locked.submitted_at >= ranking.PROMOTION_WINDOW
        if back == State.UPCOMING and expired:
            back = State.ARCHIVED
        Story.objects.filter(pk=locked.pk, state=State.REVIEW).update(
            state=back, held_from="", buries_cleared=locked.effective_buries
        )
        record(moderator, action=Action.RELEASE, reason=reason, post=locked.post)
        locked.refresh_from_db()
        retally(locked)


# Votes and clusters -----------------------------------------------------------


def lock_story(post_id: int) -> Story | None:
    """Return the story of ``post_id`` locked until the transaction ends
    (PostgreSQL; SQLite's one write lock serialises writers already)."""
    return (
        Story.objects.select_for_update(of=("self",))
        .select_related("post")
        .filter(post_id=post_id)
        .first()
    )


# Table names for the hand-written statements of the digg path.
_FOLLOW = Follow._meta.db_table
_ASSOCIATION = Association._meta.db_table
_VOTE = StoryVote._meta.db_table
_STORY = Story._meta.db_table
_COMMUNITY = Community._meta.db_table
_FAVOURITE = Favourite._meta.db_table
_POST = Post._meta.db_table


# SQLite's cursor wrapper rewrites a statement's placeholders with a regular
# expression on every run, which costs a digg more than running several of
# its statements; the digg path's fixed statements are rewritten once and
# run on the DB-API cursor. They then skip Django's query log and execute
# wrappers, as any raw DB-API call does; errors are still Django's.
_sqlite_statements: dict[str, str] = {}


def _execute(
    cursor: CursorWrapper, sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Run one of the digg path's fixed statements on ``cursor``; return
    the rows it returns (none for a statement without RETURNING)."""
    if cursor.db.vendor != "sqlite":
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []
    converted = _sqlite_statements.get(sql)
    if converted is None:
        names = list(params) if isinstance(params, Mapping) else None
        converted = _sqlite_statements[sql] = cursor.cursor.convert_query(
            sql, param_names=names
        )
    # Fetched here too, on the DB-API cursor: Django's wrapped fetch
    # methods cost a digg as much as one of its smaller statements.
    with cursor.db.wrap_database_errors:
        rows: list[tuple[Any, ...]] = sqlite3.Cursor.execute(
            cursor.cursor, converted, params
        ).fetchall()
    return rows


class _Moment(NamedTuple):
    """A vote's moment, ``at``, and ``stored``, as the database stores it:
    a digg writes one moment twice (its favourite and its vote), and
    adapting it costs as much as fetching a statement's rows."""

    at: datetime
    stored: Any


def _moment(cursor: CursorWrapper) -> _Moment:
    """Return the current moment for the votes written on ``cursor``."""
    now = timezone.now()
    return _Moment(now, cursor.db.ops.adapt_datetimefield_value(now))


# Whether the voter follows anyone, and has any co-digg association: each
# is one probe, made once per statement, and when false it spares the
# probes of that kind for every vote of the story (most voters have no
# association at all).
_VOTER_FOLLOWS = f"""EXISTS (SELECT 1 FROM {_FOLLOW} f
                            WHERE f.follower_id = %(account)s)"""  # noqa: S608
_VOTER_ASSOCIATED = f"""(
    EXISTS (SELECT 1 FROM {_ASSOCIATION} a WHERE a.account_a_id = %(account)s)
    OR EXISTS (SELECT 1 FROM {_ASSOCIATION} a
               WHERE a.account_b_id = %(account)s))"""  # noqa: S608


def _linked_to_voter(other: str) -> str:
    """SQL saying the voter ``%(account)s`` is associated with ``other``
    (an account id expression): a mutual follow or a co-digg association."""
    return f"""(
        ({_VOTER_FOLLOWS}
         AND EXISTS (SELECT 1 FROM {_FOLLOW} f
                     WHERE f.follower_id = %(account)s AND f.followee_id = {other})
         AND EXISTS (SELECT 1 FROM {_FOLLOW} f
                     WHERE f.follower_id = {other} AND f.followee_id = %(account)s))
        OR ({_VOTER_ASSOCIATED}
            AND (EXISTS (SELECT 1 FROM {_ASSOCIATION} a
                         WHERE a.account_a_id = %(account)s
                           AND a.account_b_id = {other})
                 OR EXISTS (SELECT 1 FROM {_ASSOCIATION} a
                            WHERE a.account_b_id = %(account)s
                              AND a.account_a_id = {other}))))"""  # noqa: S608


# One statement tells a new vote where it belongs. The row tagged 0 says
# whether the voter is tied to the submitter, whether they hold a vote of
# the other kind, the threshold and the story's aggregates (no row: no
# story, and nothing is written); each row tagged 1 is a cluster of the
# story's votes of this kind that the new vote joins, with its total
# weight: the clusters of the voters it is associated with, and the
# submitter's cluster when the voter is the submitter or tied to them.
# Association lookups are indexed probes per vote of the story, never a
# scan of anyone's follows; a voter with no follows and no association
# joins no cluster but their own, and the story's votes are not read (the
# test of that names no vote, so it is made once, before any is read).
_PLACE_VOTE = f"""
    SELECT 0, NULL,
           CASE WHEN {_linked_to_voter("%(submitter)s")} THEN 1.0 ELSE 0.0 END,
           CASE WHEN EXISTS (SELECT 1 FROM {_VOTE}
                             WHERE story_id = %(story)s AND kind = %(other_kind)s
                               AND account_id = %(account)s)
                THEN 1.0 ELSE 0.0 END,
           (SELECT threshold FROM {_COMMUNITY} WHERE id = 1),
           s.state, s.submitted_at, s.effective, s.clusters, s.largest_share,
           s.promoted_hour, s.comments_count, s.upcoming_score, s.rank
    FROM {_STORY} s WHERE s.post_id = %(story)s
    UNION ALL
    SELECT 1, v.cluster, SUM(v.weight), NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM {_VOTE} v
    WHERE v.story_id = %(story)s AND v.kind = %(kind)s
      AND (%(is_submitter)s OR {_VOTER_FOLLOWS} OR {_VOTER_ASSOCIATED})
      AND ((v.cluster = %(submitter)s
            AND (%(is_submitter)s OR {_linked_to_voter("%(submitter)s")}))
           OR v.cluster IN (
               SELECT w.cluster FROM {_VOTE} w
               WHERE w.story_id = %(story)s AND w.kind = %(kind)s
                 AND {_linked_to_voter("w.account_id")}))
    GROUP BY v.cluster
"""  # noqa: S608 - table names are the models'; values are parameters
_MERGE_CLUSTERS = f"""
    UPDATE {_VOTE} SET cluster = %s
    WHERE story_id = %s AND kind = %s AND cluster IN ({{labels}})
"""  # noqa: S608
_INSERT_VOTE = f"""
    INSERT INTO {_VOTE} (story_id, account_id, kind, reason, cluster, weight,
                         age_days, has_posted, tied_to_submitter, is_submitter,
                         created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""  # noqa: S608
# On PostgreSQL a digg locks the story before its votes are read, so
# concurrent diggs of one story place their votes one after another;
# SQLite's one write lock (taken by BEGIN IMMEDIATE) orders them already.
_LOCK_FOR_DIGG = f"SELECT 1 FROM {_STORY} WHERE post_id = %s FOR UPDATE"  # noqa: S608
# The count moves with the aggregates. The two indexed sort keys are set
# only when they change: an UPDATE naming an indexed column rewrites its
# index entries even when the value stays, and the Upcoming indexes would
# be rewritten by every digg that leaves E below 1.
_STORE_DIGG_TALLY = f"""
    UPDATE {_STORY} SET diggs = diggs + 1, effective = %s, clusters = %s,
                        largest_share = %s{{sort_keys}}
    WHERE post_id = %s
"""  # noqa: S608
_store_digg_tally_statements: dict[tuple[str, ...], str] = {}
# Each kind's value and the other kind's, looked up once: an enum member's
# ``value`` is a descriptor call, and the digg path wants them several times.
_KIND_VALUES = {
    VoteKind.DIGG: (VoteKind.DIGG.value, VoteKind.BURY.value),
    VoteKind.BURY: (VoteKind.BURY.value, VoteKind.DIGG.value),
}
# The favourite goes in only if the viewer may see the story (the EXISTS is
# ``visible_posts``, prepared) and had not favourited it.
_ADD_FAVOURITE = f"""
    INSERT INTO {_FAVOURITE} (id, account_id, post_id, created_at)
    SELECT %s, %s, %s, %s WHERE EXISTS ({{visible}})
    ON CONFLICT (account_id, post_id) DO NOTHING
    RETURNING id
"""
_COUNT_FAVOURITE = f"""
    UPDATE {_POST} SET favourites_count = favourites_count + 1 WHERE id = %s
    RETURNING author_id
"""  # noqa: S608

_story_posts = PreparedQueries(Post)


def _visible_story_sql(viewer: Account, post_id: int) -> tuple[str, list[Any]]:
    """Return the query for the live story ``post_id`` if ``viewer`` may see
    it: ``visible_posts``, compiled once and prepared."""

    def build(stand: Stand) -> QuerySet[Post]:
        reader = Account(pk=stand.value("viewer"))
        return (
            visible_public_originals(reader)
            .filter(id=stand.value("post"), kind=Kind.STORY)
            .only("id")
        )

    return _story_posts.sql(
        "story", build, values={"viewer": viewer.id, "post": post_id}
    )


# The favourite INSERT with each database's visibility query in place,
# built once: the prepared query's SQL is the same for every viewer.
_add_favourite_statements: dict[str, str] = {}


def _insert_favourite(
    cursor: CursorWrapper, account: Account, post_id: int, now: _Moment
) -> int | None:
    """Write the favourite a digg is and count it on the post; return the
    submitter's id, or None when ``account`` had favourited it already.

    Raises Http404 when the story is gone or ``account`` may not see it.
    """
    visible, params = _visible_story_sql(account, post_id)
    statement = _add_favourite_statements.get(visible)
    if statement is None:
        statement = _add_favourite_statements[visible] = _ADD_FAVOURITE.format(
            visible=visible
        )
    row = [new_id(), account.id, post_id, now.stored, *params]
    if _execute(cursor, statement, row):
        ((author_id,),) = _execute(cursor, _COUNT_FAVOURITE, [post_id])
        return int(author_id)
    # Nothing went in: tell a double digg (a no-op) from a story that is
    # not there for this account.
    cursor.execute(f"SELECT EXISTS ({visible})", params)
    if not cursor.fetchone()[0]:
        raise Http404("No such story.")
    return None


class _Placed(NamedTuple):
    """Where ``_place_vote`` put a vote: the total weight of the cluster it
    is now in, the clusters it merged (label → weight before), and what
    else the placing statement learned: among it ``story``, the story's
    columns ``_PLACE_VOTE`` reads, as they were before this vote."""

    weight: float
    joined: dict[int, float]
    other_kind: bool
    threshold: float
    story: tuple[Any, ...]


def _place_vote(
    cursor: CursorWrapper,
    story_id: int,
    submitter_id: int,
    account: Account,
    kind: VoteKind,
    now: _Moment,
    reason: str = "",
) -> _Placed | None:
    """Store a vote in its association cluster, merging the clusters it
    joins (no re-tally): one query, one insert, and one update on a merge.
    Returns None, writing nothing, when story ``story_id`` is gone.

    The cluster label is the submitter's id for the cluster tied to the
    submitter (so later ties find it), else the smallest id in it.
    """
    account_id = account.id
    is_submitter = account_id == submitter_id
    kind_value, other_value = _KIND_VALUES[kind]
    rows = _execute(
        cursor,
        _PLACE_VOTE,
        {
            "story": story_id,
            "account": account_id,
            "submitter": submitter_id,
            "is_submitter": is_submitter,
            "kind": kind_value,
            "other_kind": other_value,
        },
    )
    head = next((row for row in rows if row[0] == 0), None)
    if head is None:
        return None
    joined = {int(row[1]): float(row[2]) for row in rows if row[0] == 1}
    tied = bool(head[2])
    if tied or is_submitter or submitter_id in joined:
        label = submitter_id
    else:
        label = min([*joined, account_id])
    if merged := [other for other in joined if other != label]:
        sql = _MERGE_CLUSTERS.format(labels=", ".join(["%s"] * len(merged)))
        cursor.execute(sql, [label, story_id, kind_value, *merged])
    voter = ranking.Voter(
        voter_id=account_id,
        age_days=(now.at - account.date_joined).total_seconds() / 86400,
        has_posted=account.posts_count > 0,
        mutual_follow_with_submitter=tied,
        is_submitter=is_submitter,
    )
    weight = ranking.weight(voter)
    _execute(
        cursor,
        _INSERT_VOTE,
        [
            story_id,
            account_id,
            kind_value,
            reason,
            label,
            weight,
            voter.age_days,
            voter.has_posted,
            tied,
            is_submitter,
            now.stored,
        ],
    )
    threshold = head[4] if head[4] is not None else ranking.THRESHOLD_FLOOR
    return _Placed(weight, joined, bool(head[3]), float(threshold), head[5:])


def _count_digg(
    cursor: CursorWrapper,
    account: Account,
    post_id: int,
    submitter_id: int,
    now: _Moment,
    *,
    quick: bool = False,
) -> bool:
    """Count a new digg of story ``post_id``; False if it is no story.

    The vote joins its cluster and the story's aggregates move by what
    that cluster gained (``ranking.add_to_cluster``), in three statements
    (and the story's lock on PostgreSQL).
    Only when the stored aggregates say the story may now pass the rule
    (``ranking.may_promote``) is it locked and fully re-tallied, which
    promotes it by one conditional UPDATE; a digg that replaces the
    voter's bury is re-tallied too, as buries changed. ``quick`` (no ORM,
    for ``_digg_on_sqlite``) raises _RetallyNeededError instead of re-tallying.
    """
    if cursor.db.vendor != "sqlite" and not _execute(cursor, _LOCK_FOR_DIGG, [post_id]):
        return False
    placed = _place_vote(cursor, post_id, submitter_id, account, VoteKind.DIGG, now)
    if placed is None:
        return False
    if placed.other_kind:
        if quick:
            raise _RetallyNeededError
        story = lock_story(post_id)
        assert story is not None  # noqa: S101 - read above, in this transaction
        _withdraw_vote(story, account.id, VoteKind.BURY)
        retally(story, now=now.at)
        return True
    (
        state,
        submitted,
        effective,
        clusters,
        largest_share,
        hour,
        comments,
        stored_score,
        stored_rank,
    ) = placed.story
    submitted_at = _from_db_datetime(submitted)
    tally = ranking.add_to_cluster(
        ranking.StoredTally(effective, clusters, largest_share),
        joined=list(placed.joined.values()),
        weight=placed.weight,
    )
    score = ranking.upcoming_score(tally.effective, submitted_at)
    rank = 0.0
    if state == State.PROMOTED and hour is not None:
        rank = _rank(hour, tally.effective, comments, now.at)
    sort_keys = {
        name: value
        for name, value, stored in (
            ("upcoming_score", score, stored_score),
            ("rank", rank, stored_rank),
        )
        if value != stored
    }
    names = tuple(sort_keys)
    statement = _store_digg_tally_statements.get(names)
    if statement is None:
        statement = _store_digg_tally_statements[names] = _STORE_DIGG_TALLY.format(
            sort_keys="".join(f", {name} = %s" for name in names)
        )
    params = [tally.effective, tally.clusters, tally.largest_share]
    params += [*sort_keys.values(), post_id]
    _execute(cursor, statement, params)
    if state == State.UPCOMING and ranking.may_promote(
        tally, threshold=placed.threshold, submitted_at=submitted_at, now=now.at
    ):
        if quick:
            raise _RetallyNeededError
        story = lock_story(post_id)
        assert story is not None  # noqa: S101 - read above, in this transaction
        retally(story, now=now.at)
    return True


def _from_db_datetime(value: datetime | str) -> datetime:
    # SQLite hands a raw statement's datetime back as text in UTC.
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _add_vote(
    story: Story, account: Account, kind: VoteKind, *, reason: str = ""
) -> None:
    """Store a vote of a locked story in its cluster (no re-tally)."""
    with connection.cursor() as cursor:
        _place_vote(
            cursor,
            story.pk,
            story.post.author_id,
            account,
            kind,
            _moment(cursor),
            reason,
        )


def _withdraw_vote(story: Story, account_id: int, kind: VoteKind) -> bool:
    """Delete an account's vote of ``kind`` and re-cluster what is left;
    return whether there was one (no re-tally)."""
    vote = StoryVote.objects.filter(story=story, kind=kind, account_id=account_id)
    if not vote.delete()[0]:
        return False
    recluster(story, kind)
    return True


def recluster(story: Story, kind: VoteKind) -> None:
    """Recompute a story's clusters of ``kind`` from scratch (after a vote
    is withdrawn, which union-find cannot undo, or associations change)."""
    votes = list(StoryVote.objects.filter(story=story, kind=kind))
    if not votes:
        return
    submitter_id = story.post.author_id
    ids = [v.account_id for v in votes]
    edges = _edges_among([*ids, submitter_id])
    account_of = {vote.voter(): vote.account_id for vote in votes}
    relabel: dict[int, list[int]] = defaultdict(list)
    for cluster in ranking.cluster_voters(list(account_of), edges):
        members = [account_of[voter] for voter in cluster]
        anchored = any(v.is_submitter or v.tied_to_submitter for v in cluster)
        relabel[submitter_id if anchored else min(members)].extend(members)
    current = {v.account_id: v.cluster for v in votes}
    for label, members in relabel.items():
        changed = [m for m in members if current[m] != label]
        if changed:
            StoryVote.objects.filter(
                story=story, kind=kind, account_id__in=changed
            ).update(cluster=label)


def _edges_among(ids: list[int]) -> list[tuple[int, int]]:
    """Return the association edges among ``ids``: mutual follows and
    co-digg associations (two queries)."""
    follows = set(
        Follow.objects.filter(follower_id__in=ids, followee_id__in=ids).values_list(
            "follower_id", "followee_id"
        )
    )
    edges = [(a, b) for a, b in follows if (b, a) in follows and a < b]
    edges.extend(
        Association.objects.filter(
            account_a_id__in=ids, account_b_id__in=ids
        ).values_list("account_a_id", "account_b_id")
    )
    return edges


def _tally(votes: list[StoryVote]) -> ranking.Tally:
    """Return the effective total of ``votes`` (all of one kind and story),
    with clusters as their stored labels say."""
    by_label: dict[int, list[int]] = defaultdict(list)
    for vote in votes:
        by_label[vote.cluster].append(vote.account_id)
    edges = [
        (members[i], members[i + 1])
        for members in by_label.values()
        for i in range(len(members) - 1)
    ]
    return ranking.effective_diggs([v.voter() for v in votes], edges)


def story_tallies(story: Story) -> tuple[ranking.Tally, ranking.Tally]:
    """Return a story's digg and bury tallies, from one query."""
    votes = list(StoryVote.objects.filter(story=story).order_by("id"))
    diggs = [v for v in votes if v.kind == VoteKind.DIGG]
    buries = [v for v in votes if v.kind == VoteKind.BURY]
    return _tally(diggs), _tally(buries)


def current_threshold() -> float:
    """Return the community's promotion threshold T (the floor before the
    first adaptation)."""
    found = Community.objects.filter(id=1).values_list("threshold", flat=True)
    return next(iter(found), ranking.THRESHOLD_FLOOR)


def hours_since_epoch(moment: datetime) -> float:
    """Return hours from ``ranking.UPCOMING_EPOCH`` to ``moment``: the clock
    the front-page rank is computed on, in Python and in SQL alike."""
    return (moment - ranking.UPCOMING_EPOCH).total_seconds() / _SECONDS_PER_HOUR


def front_page_penalties(effective: float, comments: int) -> list[tuple[float, str]]:
    """Return the front-page penalties that apply now, each with its reason."""
    heated = ranking.heated_thread_penalty(effective, comments)
    if heated < 1.0:
        return [
            (
                heated,
                f"heated thread: {comments} comments for {effective:.1f} "
                f"effective diggs",
            )
        ]
    return []


def _rank(
    promoted_hour: float, effective: float, comments: int, now: datetime
) -> float:
    hours = hours_since_epoch(now) - promoted_hour
    penalties = [p for p, _ in front_page_penalties(effective, comments)]
    return ranking.front_page_rank(effective, hours, penalties)


def retally(story: Story, *, now: datetime | None = None) -> None:
    """Recount a locked story's votes, store the aggregates, and promote it
    or send it to review when the rules say so.

    Call inside a transaction holding the story's lock (``lock_story``).
    """
    now = now or timezone.now()
    diggs, buries = story_tallies(story)
    counted_buries = buries
    if story.buries_cleared and buries.effective <= story.buries_cleared + 1e-9:
        # A moderator released it at this many buries; only more hold it.
        counted_buries = ranking.EMPTY_TALLY
    check = ranking.promotion_check(
        diggs=diggs,
        buries=counted_buries,
        threshold=current_threshold(),
        submitted_at=story.submitted_at,
        now=now,
        held_by_moderator=story.state == State.REVIEW,
    )
    fields: dict[str, Any] = {
        **_aggregates(diggs, buries),
        "upcoming_score": ranking.upcoming_score(diggs.effective, story.submitted_at),
    }
    if story.state == State.PROMOTED and story.promoted_hour is not None:
        fields["rank"] = _rank(
            story.promoted_hour, diggs.effective, story.comments_count, now
        )
    Story.objects.filter(pk=story.pk).update(**fields)
    for name, value in fields.items():
        setattr(story, name, value)
    if check.buries_over and story.state in (State.UPCOMING, State.PROMOTED):
        _send_to_review(story, check)
    elif check.promote and story.state == State.UPCOMING:
        _promote(story, diggs, buries, check, now)


def _send_to_review(story: Story, check: ranking.PromotionCheck) -> None:
    moved = Story.objects.filter(
        pk=story.pk, state__in=[State.UPCOMING, State.PROMOTED]
    ).update(state=State.REVIEW, held_from=F("state"), rank=0.0)
    if moved:
        story.held_from, story.state = story.state, State.REVIEW
        record(
            None,
            action=Action.HOLD,
            reason=(
                f"Weighted buries ({check.buries:.1f}) reached the limit "
                f"({check.bury_limit:.1f}) for {check.effective:.1f} effective "
                f"diggs; held for a moderator to review."
            ),
            post=story.post,
        )


def _promote(
    story: Story,
    diggs: ranking.Tally,
    buries: ranking.Tally,
    check: ranking.PromotionCheck,
    now: datetime,
) -> None:
    """Promote ``story`` by one conditional UPDATE; only the transaction
    whose UPDATE changed the row freezes the record and notifies."""
    record_ = promotion_record(story, diggs, buries, check, now)
    hour = hours_since_epoch(now)
    penalties = [p for p, _ in front_page_penalties(diggs.effective, 0)]
    won = Story.objects.filter(pk=story.pk, state=State.UPCOMING).update(
        state=State.PROMOTED,
        promoted_at=now,
        promoted_hour=hour,
        why=record_,
        rank=ranking.front_page_rank(diggs.effective, 0.0, penalties),
    )
    if won:
        story.state, story.promoted_at, story.promoted_hour = (
            State.PROMOTED,
            now,
            hour,
        )
        story.why = record_
        from hubbub.news import tasks

        story_id = story.pk
        transaction.on_commit(lambda: tasks.notify_promotion.enqueue(story_id))


def _aggregates(diggs: ranking.Tally, buries: ranking.Tally) -> dict[str, Any]:
    return {
        "diggs": diggs.votes,
        "effective": diggs.effective,
        "clusters": diggs.cluster_count,
        "largest_share": diggs.largest_share,
        "buries": buries.votes,
        "effective_buries": buries.effective,
    }


def bury_reasons(story: Story) -> dict[str, int]:
    """Return how many buries a story has for each reason given."""
    reasons: dict[str, int] = defaultdict(int)
    for reason in StoryVote.objects.filter(story=story, kind=VoteKind.BURY).values_list(
        "reason", flat=True
    ):
        reasons[reason] += 1
    return dict(reasons)


def moderation_history(story: Story) -> list[dict[str, str]]:
    """Return the public moderation log entries about a story, oldest first."""
    return [
        {"action": action, "reason": reason, "at": at.isoformat()}
        for action, reason, at in LogEntry.objects.filter(post_id=story.pk)
        .order_by("id")
        .values_list("action", "reason", "created_at")
    ]


def promotion_record(
    story: Story,
    diggs: ranking.Tally,
    buries: ranking.Tally,
    check: ranking.PromotionCheck,
    now: datetime,
) -> dict[str, Any]:
    """Return the frozen "why is this here?" record of a promotion (§3.6).

    Aggregates only: how many votes were discounted and why, never which
    voter fell into which cluster.
    """
    last_digger = (
        StoryVote.objects.filter(story=story, kind=VoteKind.DIGG, is_submitter=False)
        .order_by("-created_at", "-id")
        .values_list("account_id", flat=True)
        .first()
    )
    return {
        "promoted_at": now.isoformat(),
        "submitted_at": story.submitted_at.isoformat(),
        "seconds_in_upcoming": int((now - story.submitted_at).total_seconds()),
        "threshold": check.threshold,
        **_aggregates(diggs, buries),
        "bury_limit": check.bury_limit,
        "bury_reasons": bury_reasons(story),
        "discounts": [
            {
                "reason": group.reason.value,
                "votes": group.votes,
                "counted": group.counted,
                "text": group.describe(),
            }
            for group in diggs.discounts
        ],
        "own_digg": any(g.reason is ranking.Reason.SUBMITTER for g in diggs.groups),
        "moderation": moderation_history(story),
        "promoted_by": last_digger,
    }
