"""Writes of the promotional label, from each of its four sources.

The author sets it when publishing (a checkbox, an API parameter, or the
tags #ad and #sponsored); the detector sets it on a new note when the
author did not; a moderator sets or clears it with a reason; and readers'
reports set it once enough independent people agree. The first label
stays with the source that set it, so a reader always learns who decided;
only a moderator overrides another source, and a label a moderator
cleared is not set again by reports.

Readers' choices (show, collapse, hide) are applied by
``posts.queries.visible_posts`` and ``posts.queries.promotion_collapsed``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from hubbub.accounts.models import Account, Follow
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.core.text import tokenize
from hubbub.moderation.actions import record
from hubbub.moderation.models import Action, LogEntry, Reason, Report
from hubbub.moderation.permissions import is_moderator
from hubbub.moderation.promotion import Behaviour, detect, site_of
from hubbub.news.ranking import Tally, Voter, effective_diggs
from hubbub.posts.models import PROMOTIONAL_REASON_MAX_LENGTH, Post, PromotionalSource

# Tags with which an author says a note is an advert (lower-cased names).
AD_TAGS = frozenset({"ad", "sponsored"})
# How much of a post's text the detector reads: all of a note or a story,
# the opening of an article (where its pitch would be), so a very long
# article costs a few milliseconds instead of a second.
DETECTOR_MAX_CHARS = 5000
# How many of the author's newest posts the detector reads for behaviour.
BEHAVIOUR_WINDOW = 20

AUTHOR_REASON = "Marked promotional by its author"
AD_TAG_REASON = "Tagged #{tag} by its author"


@dataclass(frozen=True, slots=True)
class Label:
    """A label to write: who set it and the reason shown with it."""

    source: PromotionalSource
    reason: str


def label_for_new_post(
    author: Account,
    *,
    text: str,
    tags: Iterable[str],
    promotional: bool,
    is_reply: bool,
) -> Label | None:
    """Return the label a new note or story carries, or None.

    The author's own choice comes first: the checkbox (``promotional``)
    or a tag in AD_TAGS. Otherwise the detector reads the text and the
    author's recent behaviour (one query) and labels it if it scores at
    or above its operating threshold.
    """
    if promotional:
        return Label(PromotionalSource.AUTHOR, AUTHOR_REASON)
    for tag in tags:
        if tag in AD_TAGS:
            return Label(PromotionalSource.AUTHOR, AD_TAG_REASON.format(tag=tag))
    verdict = detect(text[:DETECTOR_MAX_CHARS], behaviour_of(author, is_reply=is_reply))
    if verdict.promotional:
        return Label(PromotionalSource.DETECTOR, verdict.reason)
    return None


def log_detector_label(post: Post, label: Label | None) -> None:
    """Write the detector's label of a new post to the public moderation
    log (an author's own label is not a moderation action). Call it in the
    transaction that writes the post."""
    if label is not None and label.source == PromotionalSource.DETECTOR:
        record(None, action=Action.LABEL, reason=label.reason, post=post)


# Every new note reads its author's recent posts the same way: compile
# that query once (it is a sizeable share of publishing a note).
_recent_posts = PreparedQueries(Post)


def _recent_texts(stand: Stand) -> QuerySet[Post]:
    # The rows are (text, in_reply_to_id); only the driver's rows are read.
    recent = (
        Post.objects.filter(
            author_id=stand.value("author"),
            deleted_at__isnull=True,
            reblog_of__isnull=True,
        )
        .order_by("-id")
        .values_list("text", "in_reply_to_id")[:BEHAVIOUR_WINDOW]
    )
    return cast("QuerySet[Post]", recent)


def _urls(text: str) -> list[str]:
    # Only a text with a scheme can hold a link: skip tokenising the rest.
    if "://" not in text:
        return []
    return [t.value for t in tokenize(text) if t.kind == "url"]


def behaviour_of(author: Account, *, is_reply: bool = False) -> Behaviour:
    """Return what the detector needs about ``author``: the sites their
    profile links to and their newest posts' links and replies."""
    own = frozenset(site_of(url) for url in _urls(author.bio)) - {""}
    recent = _recent_posts.rows(
        "recent", _recent_texts, values={"author": author.pk}
    ).rows
    return Behaviour(
        own_domains=own,
        recent_posts=len(recent),
        recent_replies=sum(parent is not None for _, parent in recent),
        recent_urls=tuple(url for text, _ in recent for url in _urls(text)),
        is_reply=is_reply,
    )


def _check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Say why.", code="reason_required")
    if len(reason) > PROMOTIONAL_REASON_MAX_LENGTH:
        raise ValidationError(
            f"Keep the reason to {PROMOTIONAL_REASON_MAX_LENGTH} characters.",
            code="reason_too_long",
        )
    return reason


def _original(post: Post) -> Post:
    # A label belongs to the post that says something, not to a boost.
    return post.reblog_of if post.reblog_of_id and post.reblog_of else post


def label_promotional(moderator: Account, *, post: Post, reason: str) -> Post:
    """Label ``post`` (a boost's original) promotional as a moderator.

    Overrides any other source, and is written to the public moderation
    log with ``reason``. Raises PermissionDenied for a non-moderator and
    ValidationError for an empty or over-long reason; nothing changes then.
    """
    return _moderate(moderator, post, reason, Action.LABEL)


def unlabel_promotional(moderator: Account, *, post: Post, reason: str) -> Post:
    """Clear ``post``'s promotional label as a moderator, whoever set it.

    Recorded in the public log with ``reason``; reports alone never label
    the post again afterwards (a moderator still can). Same refusals as
    ``label_promotional``.
    """
    return _moderate(moderator, post, reason, Action.UNLABEL)


def _moderate(moderator: Account, post: Post, reason: str, action: Action) -> Post:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators label posts.")
    reason = _check_reason(reason)
    post = _original(post)
    labelled = action == Action.LABEL
    with transaction.atomic():
        Post.objects.filter(id=post.id).update(
            promotional_source=(
                PromotionalSource.MODERATOR if labelled else PromotionalSource.NONE
            ),
            promotional_reason=reason if labelled else "",
        )
        record(moderator, action=action, reason=reason, post=post)
        # The moderator has decided: the reports about it are answered.
        Report.objects.filter(
            post=post, reason=Reason.PROMOTIONAL, resolved_at__isnull=True
        ).update(resolved_at=timezone.now(), resolved_by=moderator)
    post.refresh_from_db()
    return post


# --- community reports --------------------------------------------------------

# Effective reports (weighted and clustered exactly as diggs are, see
# news.ranking) that label a post: three independent, established people.
COMMUNITY_THRESHOLD = 3.0
# Independent groups of reporters needed, however heavy one group is: a
# ring of associated accounts is one group, so it can never label alone.
COMMUNITY_MIN_CLUSTERS = 3
COMMUNITY_REASON = "Reported as promotional by {groups} independent groups of readers"


def promotional_reports(post: Post) -> Tally:
    """Weigh the open "promotional" reports on ``post`` as diggs are weighed.

    Each reporter is a ``Voter``: trust from account age and whether they
    have posted; the post's author counts 0 (``is_submitter``). Reporters
    joined by a follow in either direction are associated (a brigade
    organises among people who follow each other), so they form one
    cluster worth the square root of its weight.
    """
    reporters = list(
        Account.objects.filter(
            pk__in=Report.objects.filter(
                post=post, reason=Reason.PROMOTIONAL, resolved_at__isnull=True
            ).values("reporter_id"),
            is_active=True,
        )
    )
    now = timezone.now()
    voters = [
        Voter(
            voter_id=reporter.pk,
            age_days=(now - reporter.date_joined).total_seconds() / 86400,
            has_posted=reporter.posts_count > 0,
            is_submitter=reporter.pk == post.author_id,
        )
        for reporter in reporters
    ]
    ids = [reporter.pk for reporter in reporters]
    edges = Follow.objects.filter(follower_id__in=ids, followee_id__in=ids).values_list(
        "follower_id", "followee_id"
    )
    return effective_diggs(voters, list(edges))


def weigh_promotional_reports(post_id: int) -> bool:
    """Label a post promotional if its reports pass the community rule.

    The rule: effective reports of at least COMMUNITY_THRESHOLD from at
    least COMMUNITY_MIN_CLUSTERS independent groups. A post that already
    carries a label keeps its source; one a moderator cleared is left to
    moderators. Returns whether this call set the label. Safe to run any
    number of times (the conditional update labels once).
    """
    post = Post.objects.filter(id=post_id, deleted_at__isnull=True).first()
    if post is None or post.promotional_source:
        return False
    cleared = LogEntry.objects.filter(post=post, action=Action.UNLABEL).exists()
    if cleared:
        return False
    tally = promotional_reports(post)
    if (
        tally.effective < COMMUNITY_THRESHOLD
        or tally.cluster_count < COMMUNITY_MIN_CLUSTERS
    ):
        return False
    reason = COMMUNITY_REASON.format(groups=tally.cluster_count)
    with transaction.atomic():
        labelled = Post.objects.filter(id=post.id, promotional_source="").update(
            promotional_source=PromotionalSource.COMMUNITY, promotional_reason=reason
        )
        if labelled:
            record(None, action=Action.LABEL, reason=reason, post=post)
    return bool(labelled)
