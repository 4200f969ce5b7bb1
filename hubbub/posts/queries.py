"""Reads of posts. Every query takes the viewer and applies visibility."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections, router
from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.models import Account, Block, Follow, PromotionalPosts
from hubbub.core.prepared import id_in, statement_cursor
from hubbub.moderation.models import HiddenPost
from hubbub.posts.models import Favourite, Kind, Mention, Post, PostTag, Tag, Visibility
from hubbub.posts.rendering import tag_name


def _blocked_either_way(viewer_id: int, author_ref: str) -> Exists:
    return Exists(
        Block.objects.filter(
            Q(account_id=OuterRef(author_ref), target_id=viewer_id)
            | Q(account_id=viewer_id, target_id=OuterRef(author_ref))
        )
    )


def visible_posts(viewer: Account | None) -> QuerySet[Post]:
    """Return the posts ``viewer`` may see (anonymous when None).

    This is the one place that decides who sees a post; every other query
    starts from it. Public and unlisted posts are for everyone, followers-only
    posts for followers and the people they mention, direct posts for the
    people they mention; nothing crosses a block in either direction, and a
    boost is hidden whenever its original would be. Posts a moderator hid
    are for their author alone, and a suspended author's posts for nobody.
    A reader who chose to hide promotional posts sees none but their own
    (``not_hidden_as_promotional``), so every surface that starts here obeys
    that choice too.
    """
    posts = Post.objects.filter(deleted_at__isnull=True)
    everyone = [Visibility.PUBLIC, Visibility.UNLISTED]
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(
            _not_moderated_away("reblog_of_id", "reblog_of__author__is_active")
            | Q(reblog_of__isnull=True),
            Q(reblog_of__isnull=True) | Q(reblog_of__deleted_at__isnull=True),
            _not_moderated_away("id", "author__is_active"),
            visibility__in=everyone,
        )
    follows_author = Exists(
        Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("author_id"))
    )
    mentioned = Exists(Mention.objects.filter(post_id=OuterRef("id"), account=viewer))
    original_ok = Q(reblog_of__isnull=True) | Q(
        ~_blocked_either_way(viewer.pk, "reblog_of__author_id"),
        _not_moderated_away("reblog_of_id", "reblog_of__author__is_active"),
        reblog_of__deleted_at__isnull=True,
    )
    return posts.filter(
        Q(author_id=viewer.pk)
        | Q(
            Q(visibility__in=everyone)
            | Q(follows_author, visibility=Visibility.FOLLOWERS)
            | Q(mentioned, visibility__in=[Visibility.FOLLOWERS, Visibility.DIRECT]),
            original_ok,
            _not_barred(viewer),
        )
    )


def visible_public_originals(viewer: Account) -> QuerySet[Post]:
    """Return the public and unlisted posts, boosts left out, that the
    signed-in ``viewer`` may see.

    For such posts (a story is always one) this is ``visible_posts``
    without the conditions that cannot apply to them, a follow or mention
    opening a narrower audience and a boosted original's, so its query is
    much cheaper; the rest is the same conditions, not a copy of them.
    """
    return Post.objects.filter(
        Q(author_id=viewer.pk) | _not_barred(viewer),
        deleted_at__isnull=True,
        reblog_of__isnull=True,
        visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED],
    )


def _not_barred(viewer: Account) -> Q:
    """Return what a post by someone else must meet, besides its audience,
    to reach ``viewer``: no block either way, not moderated away, and not
    hidden as promotional."""
    return Q(
        ~_blocked_either_way(viewer.pk, "author_id"),
        _not_moderated_away("id", "author__is_active"),
        not_hidden_as_promotional(viewer),
    )


def _not_moderated_away(post_ref: str, author_active: str) -> Q:
    """Return the condition that a post is neither hidden by a moderator
    nor written by a suspended (inactive) account."""
    return Q(
        ~Exists(HiddenPost.objects.filter(post_id=OuterRef(post_ref))),
        **{author_active: True},
    )


def reaches_strangers(viewer: Account | None) -> Q:
    """Return the condition for a post to show on public surfaces (public
    and tag timelines, search) for ``viewer``: a silenced author's posts
    show there only to the author and their followers."""
    loud = Q(author__silenced_at__isnull=True)
    if viewer is None or not viewer.is_authenticated:
        return loud
    follows_author = Exists(
        Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("author_id"))
    )
    return loud | Q(author_id=viewer.pk) | Q(follows_author)


def not_hidden_as_promotional(viewer: Account | None) -> Q:
    """Return the condition a post meets unless ``viewer`` hides it as
    promotional: it is not labelled, nor is the original it boosts.

    ``visible_posts`` applies it, so every query built on that obeys the
    reader's choice; filter with it directly only where a query cannot
    start from ``visible_posts``. The viewer's own posts are exempt there:
    their author always sees them. The choice is read by the query itself,
    not from ``viewer``'s attributes, so a prepared query (which knows the
    viewer only by id) and a long-open stream apply the current choice.
    """
    if viewer is None or not viewer.is_authenticated:
        return Q()
    hides = Exists(
        Account.objects.filter(pk=viewer.pk, promotional_posts=PromotionalPosts.HIDE)
    )
    unlabelled = Q(promotional_source="") & (
        Q(reblog_of__isnull=True) | Q(reblog_of__promotional_source="")
    )
    return unlabelled | Q(~hides)


def promotion_collapsed(post: Post, viewer: Account | None) -> bool:
    """Say whether ``post`` (a boost: its original) reaches ``viewer``
    collapsed behind its promotional label.

    Collapse is the default, for anonymous readers too; a reader who
    chose "show" sees it open with its label, and an author always sees
    their own posts open. A reader who chose "hide" never gets the post
    (``visible_posts``), so it is never collapsed for them.
    """
    note = post.reblog_of or post
    if not note.promotional_source:
        return False
    if viewer is None or not viewer.is_authenticated:
        return True
    return (
        note.author_id != viewer.pk
        and viewer.promotional_posts == PromotionalPosts.COLLAPSE
    )


def with_viewer_flags(posts: QuerySet[Post], viewer: Account | None) -> QuerySet[Post]:
    """Annotate whether ``viewer`` favourited and boosted each post.

    For a boost the flags are about its original. The flags ride on the same
    query as the posts, so a page costs no extra queries for them; templates
    and API serialisers both read ``post.favourited`` and ``post.boosted``.
    """
    if viewer is None or not viewer.is_authenticated:
        return posts.annotate(favourited=Value(False), boosted=Value(False))
    target = Coalesce(OuterRef("reblog_of_id"), OuterRef("id"))
    return posts.annotate(
        favourited=Exists(Favourite.objects.filter(account=viewer, post_id=target)),
        boosted=Exists(
            Post.objects.filter(
                author=viewer, reblog_of_id=target, deleted_at__isnull=True
            )
        ),
    )


def with_authors(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Load each post's author, the author it answers and a boost's original,
    in the same query."""
    return posts.select_related("author", "in_reply_to__author", "reblog_of__author")


# What a page of posts shows of an account beside each post, and of the
# post a reply answers.
BRIEF_ACCOUNT_FIELDS = frozenset({"id", "username", "display_name"})
BRIEF_PARENT_FIELDS = frozenset({"id", "author", "deleted_at"})


def with_brief_authors(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Load the same rows as ``with_authors``, with only what a page shows
    of them: BRIEF_ACCOUNT_FIELDS of each account and BRIEF_PARENT_FIELDS
    of the post answered. A page of twenty posts then builds a third of
    the columns."""
    accounts = (
        f"{path}__{field.name}"
        for path in ("author", "in_reply_to__author", "reblog_of__author")
        for field in Account._meta.concrete_fields
        if field.name not in BRIEF_ACCOUNT_FIELDS
    )
    parent = (
        f"in_reply_to__{field.name}"
        for field in Post._meta.concrete_fields
        if field.name not in BRIEF_PARENT_FIELDS
    )
    return with_authors(posts).defer(*accounts, *parent)


def get_post(viewer: Account | None, post_id: int) -> Post:
    """Return one post ``viewer`` may see, or raise Http404."""
    try:
        return with_authors(visible_posts(viewer)).get(id=post_id)
    except (Post.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such post.") from e


def public_posts(viewer: Account | None) -> QuerySet[Post]:
    """Return the public timeline: public notes and stories, newest first."""
    return with_authors(
        visible_posts(viewer).filter(
            reaches_strangers(viewer),
            visibility=Visibility.PUBLIC,
            reblog_of__isnull=True,
        )
    ).order_by("-id")


def recent_posts_for_follower(author: Account, *, limit: int) -> list[Post]:
    """Return ``author``'s newest posts a new follower may see, with what
    fan-out's rules look at (the post answered, a boost's original and its
    author)."""
    return list(
        Post.objects.select_related("in_reply_to", "reblog_of__author")
        .filter(
            author=author,
            deleted_at__isnull=True,
            kind__in=[Kind.NOTE, Kind.ARTICLE, Kind.STORY],
            visibility__in=[
                Visibility.PUBLIC,
                Visibility.UNLISTED,
                Visibility.FOLLOWERS,
            ],
        )
        .order_by("-id")[:limit]
    )


def author_ids(post_ids: set[int]) -> dict[int, int]:
    """Return each post's author id (reply parents, for the API's entities)."""
    if not post_ids:
        return {}
    return dict(Post.objects.filter(id__in=post_ids).values_list("id", "author_id"))


def mentions_and_tags(
    post_ids: set[int],
) -> tuple[dict[int, list[Account]], dict[int, list[Tag]]]:
    """Return whom each post mentions and the tags it carries, in one query.

    Every API page of statuses asks this, so it is one hand-written
    statement returning tuples: the accounts carry only their id and
    username, the tags their id, name and display form. Its text is the
    same for any ids on PostgreSQL, where it is a prepared statement:
    planning it took ten times longer than running it.
    """
    mentions: dict[int, list[Account]] = defaultdict(list)
    tags: dict[int, list[Tag]] = defaultdict(list)
    if not post_ids:
        return mentions, tags
    using = router.db_for_read(Mention)
    ids = sorted(post_ids)
    mentioned_sql, mentioned_params = id_in("m.post_id", ids, using)
    tagged_sql, tagged_params = id_in("pt.post_id", ids, using)
    sql = (
        "SELECT m.post_id, m.id, 0, a.id, a.username, NULL"  # noqa: S608
        f" FROM {Mention._meta.db_table} m"
        f" JOIN {Account._meta.db_table} a ON a.id = m.account_id"
        f" WHERE {mentioned_sql} AND a.is_active = %s"
        " UNION ALL"
        " SELECT pt.post_id, pt.id, 1, t.id, t.name, t.display"
        f" FROM {PostTag._meta.db_table} pt"
        f" JOIN {Tag._meta.db_table} t ON t.id = pt.tag_id"
        f" WHERE {tagged_sql}"
        " ORDER BY 3, 2"
    )
    with statement_cursor(connections[using]) as cursor:
        cursor.execute(sql, [*mentioned_params, True, *tagged_params])
        rows = cursor.fetchall()
    for post_id, _, is_tag, item_id, name, display in rows:
        if is_tag:
            tag = {"id": item_id, "name": name, "display": display}
            tags[post_id].append(_partial(Tag, using, tag))
        else:
            account = {"id": item_id, "username": name}
            mentions[post_id].append(_partial(Account, using, account))
    return mentions, tags


def _partial[M: Model](model: type[M], using: str, values: dict[str, Any]) -> M:
    """Return a ``model`` instance with only ``values`` loaded."""
    # from_db takes the values in the model's field order.
    return model.from_db(
        using,
        list(values),
        [values[f.attname] for f in model._meta.concrete_fields if f.attname in values],
    )


def get_post_with_flags(viewer: Account | None, post_id: int) -> Post:
    """Return one post ``viewer`` may see, with its viewer flags, or Http404."""
    try:
        return with_viewer_flags(with_authors(visible_posts(viewer)), viewer).get(
            id=post_id
        )
    except (Post.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such post.") from e


def _not_blocked(
    people: QuerySet[Account], viewer: Account | None
) -> QuerySet[Account]:
    if viewer is None or not viewer.is_authenticated:
        return people
    return people.exclude(
        pk__in=Block.objects.filter(account_id=viewer.pk).values("target_id")
    ).exclude(pk__in=Block.objects.filter(target_id=viewer.pk).values("account_id"))


def favourited_by(viewer: Account | None, post_id: int) -> QuerySet[Account]:
    """Return who favourited a post (a boost's original), newest first.

    Raises Http404 if ``viewer`` may not see the post. Each account carries
    ``link_id``, its favourite's id: the cursor to page on.
    """
    post = get_post(viewer, post_id)
    people = (
        Account.objects.filter(
            favourites__post_id=post.reblog_of_id or post.id, is_active=True
        )
        .annotate(link_id=F("favourites__id"))
        .order_by("-link_id")
    )
    return _not_blocked(people, viewer)


def boosted_by(viewer: Account | None, post_id: int) -> QuerySet[Account]:
    """Return who boosted a post (a boost's original), newest first.

    Raises Http404 if ``viewer`` may not see the post; lists only boosts
    ``viewer`` may see. Each account carries ``link_id``, its boost's id.
    """
    post = get_post(viewer, post_id)
    boosts = visible_posts(viewer).filter(reblog_of_id=post.reblog_of_id or post.id)
    people = Account.objects.filter(
        posts__in=boosts.values("id"), is_active=True
    ).annotate(link_id=F("posts__id"))
    return people.order_by("-link_id")


# --- conversations and tags ---------------------------------------------------

# The most posts one thread page loads. Far above any real conversation; it
# bounds the work a pathological thread (B-71: 500 deep) can cause.
CONVERSATION_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class ThreadNode:
    """One place in a thread: a post, or a deleted one kept for its replies."""

    id: int
    # None for a deleted post, shown as a placeholder because replies the
    # viewer may see hang below it.
    post: Post | None
    # 1 for a direct reply to the conversation's focus, 2 below that, ...;
    # ancestors are 0.
    depth: int
    # How many of its replies are in the thread.
    replies: int


@dataclass(frozen=True, slots=True)
class Conversation:
    """A post in its thread, as one viewer may see it."""

    post: Post
    # Root first, ending with the post's parent.
    ancestors: list[ThreadNode]
    # Depth first, oldest sibling first (Mastodon's context order).
    descendants: list[ThreadNode]


def conversation(viewer: Account | None, post: Post) -> Conversation:
    """Return ``post``'s thread as ``viewer`` may see it, from one query.

    ``post`` comes from ``get_post`` for the same viewer. The thread is the
    posts of its conversation the viewer may see, each with its author and
    viewer flags, plus deleted posts that have visible replies (as
    placeholders). A reply whose parent the viewer may not see is not
    shown in the thread, so nothing hints at the hidden post.
    """
    visible = visible_posts(viewer).filter(conversation_id=post.conversation_id)
    rows = with_viewer_flags(
        with_authors(
            Post.objects.filter(
                Q(id__in=visible.values("id")) | Q(deleted_at__isnull=False),
                conversation_id=post.conversation_id,
                reblog_of__isnull=True,
            )
        ),
        viewer,
    ).order_by("id")[:CONVERSATION_LIMIT]
    by_id = {row.id: row for row in rows}
    children: dict[int, list[int]] = defaultdict(list)
    for row in by_id.values():  # in id order, so each list is oldest first
        if row.in_reply_to_id in by_id:
            children[row.in_reply_to_id].append(row.id)
    focus = by_id.get(post.id, post)
    if focus.in_reply_to_id is None:
        # An article and the story submitted from it are co-roots of one
        # conversation: each page shows the replies written on either.
        roots = [
            row.id
            for row in by_id.values()
            if row.in_reply_to_id is None
            and (row.id == post.conversation_id or row.kind != Kind.NOTE)
        ]
        children[focus.id] = sorted(
            {child for root in roots for child in children[root]}
        )
    return Conversation(
        post=focus,
        ancestors=_ancestors(focus, by_id, children),
        descendants=_descendants(focus.id, by_id, children),
    )


def _node(row: Post, depth: int, replies: int) -> ThreadNode:
    shown = row if row.deleted_at is None else None
    return ThreadNode(id=row.id, post=shown, depth=depth, replies=replies)


def _ancestors(
    focus: Post, by_id: dict[int, Post], children: dict[int, list[int]]
) -> list[ThreadNode]:
    chain: list[ThreadNode] = []
    parent_id = focus.in_reply_to_id
    # Walked in memory; the length check stops a (corrupt) cycle.
    while parent_id in by_id and len(chain) < len(by_id):
        parent = by_id[parent_id]
        chain.append(_node(parent, 0, len(children[parent.id])))
        parent_id = parent.in_reply_to_id
    return chain[::-1]


def _descendants(
    focus_id: int, by_id: dict[int, Post], children: dict[int, list[int]]
) -> list[ThreadNode]:
    # Iterative, so a thread of any depth cannot overflow the stack.
    order: list[tuple[int, int]] = []
    seen = {focus_id}
    stack = [(child, 1) for child in reversed(children[focus_id])]
    while stack:
        post_id, depth = stack.pop()
        if post_id in seen:
            continue
        seen.add(post_id)
        order.append((post_id, depth))
        stack.extend((child, depth + 1) for child in reversed(children[post_id]))
    # A deleted post stays only while a visible reply hangs below it. In
    # reverse pre-order every reply is decided before its parent.
    kept: set[int] = set()
    for post_id, _ in reversed(order):
        if by_id[post_id].deleted_at is None or any(
            child in kept for child in children[post_id]
        ):
            kept.add(post_id)
    return [
        _node(
            by_id[post_id],
            depth,
            sum(1 for child in children[post_id] if child in kept),
        )
        for post_id, depth in order
        if post_id in kept
    ]


def reply_handles(viewer: Account | None, post: Post) -> list[str]:
    """Return whom a reply to ``post`` addresses: its author, then the
    people it mentions, in order, leaving out ``viewer``."""
    mentioned = (
        Mention.objects.filter(post=post, account__is_active=True)
        .order_by("id")
        .values_list("account__username", flat=True)
    )
    me = viewer.username.lower() if viewer is not None else None
    handles: dict[str, str] = {}
    for handle in [post.author.username, *mentioned]:
        if handle.lower() != me:
            handles.setdefault(handle.lower(), handle)
    return list(handles.values())


def get_tag(name: str) -> Tag | None:
    """Return the tag called ``name`` (any case, with or without "#")."""
    return Tag.objects.filter(name=tag_name(name.removeprefix("#"))).first()


def tagged_post_ids(*names: str) -> QuerySet[PostTag, int]:
    """Return the ids of the posts tagged any of ``names`` (any case, with
    or without "#"), as a subquery; callers apply visibility."""
    wanted = {tag_name(name.removeprefix("#")) for name in names}
    return PostTag.objects.filter(tag__name__in=wanted).values_list(
        "post_id", flat=True
    )


def tag_posts(
    viewer: Account | None,
    name: str,
    *,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
) -> QuerySet[Post]:
    """Return the public posts tagged ``name`` (any case), newest first.

    ``any_of`` adds posts carrying any of those tags instead, ``all_of``
    keeps only posts that also carry every one of those, and ``none_of``
    drops posts carrying any of those (Mastodon's ``any[]``, ``all[]`` and
    ``none[]``). Unlisted, followers-only and direct posts never appear
    here, whoever asks: a tag timeline is public.
    """
    posts = visible_posts(viewer).filter(
        reaches_strangers(viewer),
        id__in=tagged_post_ids(name, *any_of),
        visibility=Visibility.PUBLIC,
        reblog_of__isnull=True,
    )
    for required in all_of:
        posts = posts.filter(id__in=tagged_post_ids(required))
    if none_of:
        posts = posts.exclude(id__in=tagged_post_ids(*none_of))
    return with_viewer_flags(with_authors(posts), viewer).order_by("-id")


@dataclass(frozen=True, slots=True)
class TagDay:
    """How much a tag was used on one UTC day."""

    day: date
    uses: int
    accounts: int


TAG_HISTORY_DAYS = 7


def tag_history(
    tag_ids: list[int], *, days: int = TAG_HISTORY_DAYS, now: datetime | None = None
) -> dict[int, list[TagDay]]:
    """Return each tag's posts and distinct authors per UTC day, newest first.

    Counts what the tag timeline shows anyone (public notes, not deleted,
    no boosts), so the numbers reveal nothing a visitor could not count;
    every one of the ``days`` days is listed, quiet ones with zeros.
    """
    today = (now or timezone.now()).astimezone(UTC).date()
    listed = [today - timedelta(days=n) for n in range(days)]
    counts: dict[tuple[int, date], tuple[int, int]] = {}
    if tag_ids:
        rows = (
            PostTag.objects.filter(
                tag_id__in=tag_ids,
                post__visibility=Visibility.PUBLIC,
                post__deleted_at__isnull=True,
                post__reblog_of__isnull=True,
                post__created_at__gte=datetime.combine(listed[-1], time(), UTC),
            )
            .annotate(day=TruncDate("post__created_at", tzinfo=UTC))
            .values("tag_id", "day")
            .annotate(
                uses=Count("post_id"), accounts=Count("post__author_id", distinct=True)
            )
        )
        for row in rows:
            counts[row["tag_id"], row["day"]] = (row["uses"], row["accounts"])
    return {
        tag_id: [TagDay(day, *counts.get((tag_id, day), (0, 0))) for day in listed]
        for tag_id in tag_ids
    }


def posts_by_id(viewer: Account | None, post_ids: set[int]) -> dict[int, Post]:
    """Return the posts among ``post_ids`` ``viewer`` may see, with their
    authors and viewer flags, by id."""
    if not post_ids:
        return {}
    posts = with_viewer_flags(
        with_authors(visible_posts(viewer).filter(id__in=post_ids)), viewer
    )
    return {post.id: post for post in posts}


def favourited_posts(viewer: Account) -> QuerySet[Post]:
    """Return the posts ``viewer`` favourited and may still see, most recent
    favourite first. Each carries ``link_id``, its favourite's id: the
    cursor to page on."""
    mine = Favourite.objects.filter(account=viewer)
    link_id = mine.filter(post_id=OuterRef("id")).values("id")[:1]
    return (
        with_viewer_flags(
            with_authors(visible_posts(viewer).filter(id__in=mine.values("post_id"))),
            viewer,
        )
        .annotate(link_id=Subquery(link_id))
        .order_by("-link_id")
    )
