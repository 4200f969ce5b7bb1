"""Reads of social news. Every query takes the viewer and applies
visibility (``posts.queries.visible_posts``): a story the viewer may not
see is not listed, and fetching it is Http404.

Lists cost a constant number of queries: each story comes with its post,
its submitter and the viewer's flags (``dugg``, ``buried``) in one query,
ordered on a stored column (``upcoming_score``, ``submitted_at``,
``rank``, ``promoted_at``) that an index serves.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.models import Account
from hubbub.news import actions, ranking
from hubbub.news.models import (
    BuryReason,
    CommentBury,
    Community,
    State,
    Story,
    StoryVote,
    VoteKind,
)
from hubbub.posts.models import Favourite, Post
from hubbub.posts.queries import conversation, visible_posts

# Stories per page on Upcoming and the front page (Digg, HN: 30).
PAGE_SIZE = 30
# A comment is collapsed once it has at least this many buries and more
# buries than favourites; the reason most given is shown on it.
COMMENT_COLLAPSE_BURIES = 3

UpcomingSort = Literal["rising", "newest"]
CommentSort = Literal["best", "new", "old"]
UPCOMING_SORTS: tuple[UpcomingSort, ...] = ("rising", "newest")
COMMENT_SORTS: tuple[CommentSort, ...] = ("best", "new", "old")


def visible_stories(viewer: Account | None) -> QuerySet[Story]:
    """Return the stories ``viewer`` may see, each with its post, submitter
    and the viewer's ``dugg`` and ``buried`` flags."""
    stories = Story.objects.filter(
        post__in=visible_posts(viewer).values("id")
    ).select_related("post__author")
    if viewer is None or not viewer.is_authenticated:
        return stories.annotate(dugg=Value(False), buried=Value(False))
    return stories.annotate(
        dugg=Exists(
            Favourite.objects.filter(account_id=viewer.pk, post_id=OuterRef("post_id"))
        ),
        buried=Exists(
            StoryVote.objects.filter(
                account_id=viewer.pk, kind=VoteKind.BURY, story_id=OuterRef("post_id")
            )
        ),
    )


def get_story(viewer: Account | None, story_id: int) -> Story:
    """Return one story ``viewer`` may see, or raise Http404."""
    try:
        return visible_stories(viewer).get(post_id=story_id)
    except (Story.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such story.") from e


def stories_in_conversation(
    viewer: Account | None, conversation_id: int
) -> list[Story]:
    """Return the stories ``viewer`` may see that share a conversation
    (those submitted from an article or note), oldest first."""
    return list(
        visible_stories(viewer)
        .filter(post__conversation_id=conversation_id)
        .order_by("post_id")
    )


def stories_for_posts(post_ids: set[int]) -> dict[int, Story]:
    """Return the Story rows of ``post_ids`` by id (one query, none for an
    empty set). The caller has already applied visibility to the posts."""
    if not post_ids:
        return {}
    return {s.pk: s for s in Story.objects.filter(post_id__in=post_ids)}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of stories, whether another follows, and the community's
    promotion threshold (read with the page)."""

    stories: list[Story]
    number: int
    has_next: bool
    threshold: float = ranking.THRESHOLD_FLOOR


def _page(stories: QuerySet[Story], number: int) -> Page:
    """Return page ``number`` of ``stories`` in one query: the threshold
    comes along as a column of every row, so a page costs no query of its
    own for it (an empty page reads it apart)."""
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    threshold = Community.objects.filter(id=1).values("threshold")[:1]
    rows: list[Story] = list(
        stories.annotate(community_threshold=Subquery(threshold))[
            start : start + PAGE_SIZE + 1
        ]
    )
    # The column is None before the threshold was first adapted.
    stored = getattr(rows[0], "community_threshold", None) if rows else None
    if not rows:
        found = actions.current_threshold()
    else:
        found = ranking.THRESHOLD_FLOOR if stored is None else float(stored)
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, found)


# Upcoming --------------------------------------------------------------------


def stored_check(
    story: Story, *, threshold: float, now: datetime
) -> ranking.PromotionCheck:
    """Return the promotion rule's verdict on a story from its stored
    aggregates (no votes read): what Upcoming says it still needs.

    The rule looks only at E, the cluster count, the largest cluster and
    B, so a tally rebuilt from those gives the same verdict as a full one.
    """
    largest = story.largest_share * story.effective
    others = story.clusters - 1
    rest = (story.effective - largest) / others if others > 0 else 0.0
    clusters = (
        (ranking.ClusterSum(0, 0.0, largest),)
        + (ranking.ClusterSum(0, 0.0, rest),) * others
        if story.clusters
        else ()
    )
    diggs = ranking.Tally(story.effective, story.diggs, clusters, ())
    buries = story.effective_buries
    if story.buries_cleared and buries <= story.buries_cleared + 1e-9:
        buries = 0.0
    bury_tally = ranking.Tally(buries, story.buries, (), ())
    return ranking.promotion_check(
        diggs=diggs,
        buries=bury_tally,
        threshold=threshold,
        submitted_at=story.submitted_at,
        now=now,
        held_by_moderator=story.state == State.REVIEW,
    )


@dataclass(frozen=True, slots=True)
class UpcomingStory:
    """An Upcoming story and what it still needs to be promoted."""

    story: Story
    check: ranking.PromotionCheck

    @property
    def needs(self) -> str:
        """E.g. "needs 6.2 more effective diggs from at least 2 more
        independent groups within 9 h"."""
        return self.check.explain()


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A page of Upcoming with the threshold it is judged against."""

    items: list[UpcomingStory]
    number: int
    has_next: bool
    threshold: float
    sentence: str = field(default="")


def upcoming(
    viewer: Account | None,
    *,
    sort: UpcomingSort = "rising",
    topic: str = "",
    page: int = 1,
) -> Upcoming:
    """Return a page of stories in their promotion window (one query).

    ``rising`` orders by ``ranking.upcoming_score`` (log of E plus
    freshness), ``newest`` by submission. ``topic`` keeps one topic.
    Raises ValueError for an unknown sort.
    """
    if sort not in UPCOMING_SORTS:
        raise ValueError(f"Unknown sort {sort!r}; use rising or newest.")
    now = timezone.now()
    stories = visible_stories(viewer).filter(
        state=State.UPCOMING, submitted_at__gt=now - ranking.PROMOTION_WINDOW
    )
    if topic:
        stories = stories.filter(topic=topic.strip().lower())
    order = ("-upcoming_score",) if sort == "rising" else ("-submitted_at",)
    found = _page(stories.order_by(*order, "-post_id"), page)
    threshold = found.threshold
    return Upcoming(
        items=[
            UpcomingStory(s, stored_check(s, threshold=threshold, now=now))
            for s in found.stories
        ],
        number=found.number,
        has_next=found.has_next,
        threshold=threshold,
        sentence=ranking.threshold_sentence(threshold),
    )


def topics() -> list[tuple[str, int]]:
    """Return the topics of stories now in Upcoming, with how many each."""
    rows = (
        Story.objects.filter(
            state=State.UPCOMING,
            submitted_at__gt=timezone.now() - ranking.PROMOTION_WINDOW,
            post__deleted_at__isnull=True,
        )
        .exclude(topic="")
        .values("topic")
        .annotate(n=Count("post_id"))
        .order_by("topic")
        .values_list("topic", "n")
    )
    return list(rows)


# Front page --------------------------------------------------------------------


def front_page(viewer: Account | None, *, page: int = 1) -> Page:
    """Return a page of the front page: promoted stories by rank (one query).

    The rank is kept by the tally (on each vote) and by
    ``tasks.refresh_front_page`` (as time passes), so reading costs no
    ranking work.
    """
    stories = visible_stories(viewer).filter(state=State.PROMOTED, rank__gt=0.0)
    return _page(stories.order_by("-rank", "-post_id"), page)


def newest_promoted(viewer: Account | None, *, page: int = 1) -> Page:
    """Return a page of promoted stories, most recently promoted first."""
    stories = visible_stories(viewer).filter(state=State.PROMOTED)
    return _page(stories.order_by("-promoted_at", "-post_id"), page)


def review_queue(viewer: Account | None, *, page: int = 1) -> Page:
    """Return stories held for review, oldest submission first."""
    stories = visible_stories(viewer).filter(state=State.REVIEW)
    return _page(stories.order_by("submitted_at", "post_id"), page)


# Why is this here? ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankFactors:
    """What the front-page rank is made of now."""

    effective: float
    hours_since_promotion: float
    penalties: list[tuple[float, str]]
    rank: float


@dataclass(frozen=True, slots=True)
class Why:
    """Everything the "Why is this here?" page shows about a story.

    ``record`` is the promotion record frozen when the story was promoted
    (None before). ``check`` is the rule's verdict now, ``discounts`` the
    current discounted groups ("14 diggs from … counted as 3.7"),
    ``bury_reasons`` the buries by reason, ``factors`` the current rank
    factors of a promoted story. The formula, factors and aggregates are
    public; which voter is in which cluster is not, and is not here.
    """

    story: Story
    record: dict[str, Any] | None
    check: ranking.PromotionCheck
    discounts: list[str]
    own_digg: bool
    bury_reasons: dict[str, int]
    factors: RankFactors | None
    threshold: float
    moderation: list[dict[str, str]]


def why(viewer: Account | None, story_id: int) -> Why:
    """Return why a story is where it is (Http404 if ``viewer`` may not see
    it). A handful of queries: the story, its votes, the threshold and its
    moderation log."""
    story = get_story(viewer, story_id)
    now = timezone.now()
    diggs, _ = actions.story_tallies(story)
    threshold = actions.current_threshold()
    factors = None
    if story.state == State.PROMOTED and story.promoted_hour is not None:
        hours = actions.hours_since_epoch(now) - story.promoted_hour
        penalties = actions.front_page_penalties(story.effective, story.comments_count)
        factors = RankFactors(
            effective=story.effective,
            hours_since_promotion=max(0.0, hours),
            penalties=penalties,
            rank=ranking.front_page_rank(
                story.effective, hours, [p for p, _ in penalties]
            ),
        )
    return Why(
        story=story,
        record=story.why,
        check=stored_check(story, threshold=threshold, now=now),
        discounts=[group.describe() for group in diggs.discounts],
        own_digg=any(g.reason is ranking.Reason.SUBMITTER for g in diggs.groups),
        bury_reasons=actions.bury_reasons(story),
        factors=factors,
        threshold=threshold,
        moderation=actions.moderation_history(story),
    )


# Comments -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comment:
    """One place in a story's comment tree.

    ``post`` is None for a deleted comment kept for its replies. ``depth``
    is 1 for a reply to the story. ``score`` is the Wilson lower bound of
    favourites against buries; ``collapsed`` comes with the reason shown.
    """

    id: int
    post: Post | None
    depth: int
    replies: int
    buries: int
    score: float
    collapsed: bool
    collapse_reason: str


def story_comments(
    viewer: Account | None, story: Story, *, sort: CommentSort = "best"
) -> list[Comment]:
    """Return a story's comment tree as ``viewer`` may see it, depth first,
    siblings in ``sort`` order (two queries beyond the thread's own).

    ``best`` sorts siblings by the Wilson lower bound of their favourites
    against their buries (ties oldest first), ``new`` newest first, ``old``
    oldest first. Comments are the replies in the story's conversation, so
    a Mastodon client sees the same tree in ``/context``. Raises
    ValueError for an unknown sort.
    """
    if sort not in COMMENT_SORTS:
        raise ValueError(f"Unknown sort {sort!r}; use best, new or old.")
    thread = conversation(viewer, story.post)
    nodes = thread.descendants
    ids = [node.id for node in nodes]
    buries: dict[int, dict[str, int]] = defaultdict(dict)
    for post_id, reason, n in (
        CommentBury.objects.filter(post_id__in=ids)
        .values("post_id", "reason")
        .annotate(n=Count("id"))
        .values_list("post_id", "reason", "n")
    ):
        buries[post_id][reason] = n
    # Depth-first order with depths fixes the tree: a node's parent is the
    # nearest earlier node one level up.
    children: dict[int, list[int]] = defaultdict(list)
    stack: list[int] = []
    by_id: dict[int, Comment] = {}
    root = 0
    for node in nodes:
        del stack[node.depth - 1 :]
        children[stack[-1] if stack else root].append(node.id)
        stack.append(node.id)
        by_id[node.id] = _comment(node.id, node.post, node.depth, node.replies, buries)
    ordered: list[Comment] = []
    pending = list(reversed(_sorted(children[root], by_id, sort)))
    while pending:
        comment = pending.pop()
        ordered.append(comment)
        pending.extend(reversed(_sorted(children[comment.id], by_id, sort)))
    return ordered


def _comment(
    post_id: int,
    post: Post | None,
    depth: int,
    replies: int,
    buries: dict[int, dict[str, int]],
) -> Comment:
    reasons = buries.get(post_id, {})
    downs = sum(reasons.values())
    ups = post.favourites_count if post is not None else 0
    collapsed = downs >= COMMENT_COLLAPSE_BURIES and downs > ups
    reason = ""
    if collapsed:
        top = max(sorted(reasons), key=lambda r: reasons[r])
        label = BuryReason(top).label
        reason = f"buried {downs} times, mostly as {label.lower()}"
    return Comment(
        id=post_id,
        post=post,
        depth=depth,
        replies=replies,
        buries=downs,
        score=ranking.wilson_lower_bound(ups, downs),
        collapsed=collapsed,
        collapse_reason=reason,
    )


def _sorted(
    ids: list[int], by_id: dict[int, Comment], sort: CommentSort
) -> list[Comment]:
    comments = [by_id[i] for i in ids]
    if sort == "new":
        return sorted(comments, key=lambda c: -c.id)
    if sort == "old":
        return sorted(comments, key=lambda c: c.id)
    return sorted(comments, key=lambda c: (-c.score, c.id))
