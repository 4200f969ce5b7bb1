"""Social news: stories, the votes on them, and the community's threshold.

A story is a post (kind ``story``) with a ``Story`` row beside it. Its diggs
are the post's favourites; each also leaves a ``StoryVote`` holding what the
promotion rule weighed about the voter when they voted, and the association
cluster they fell into, so a story's effective diggs are re-tallied from one
indexed read. The aggregates on ``Story`` are what Upcoming, the front page
and the why page read; ``news.actions`` keeps them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hubbub.core.fields import RowidAutoField
from hubbub.moderation.models import Reason
from hubbub.news import ranking

# characters. Long enough for any headline, short enough for a front page.
TITLE_MAX_LENGTH = 150
# characters. A blurb says why the link is worth a click; an essay is a blog.
BLURB_MAX_LENGTH = 500
# characters of a topic slug ("science", "open-source").
TOPIC_MAX_LENGTH = 30
# characters kept of a preview's failure, for the why page and operators.
PREVIEW_ERROR_MAX_LENGTH = 300


class State(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    PROMOTED = "promoted", "Promoted"
    REVIEW = "review", "Held for review"
    ARCHIVED = "archived", "Archived (not promoted)"


class BuryReason(models.TextChoices):
    """Why a story or comment is buried: the moderation reasons that fit."""

    DUPLICATE = Reason.DUPLICATE.value, Reason.DUPLICATE.label
    SPAM = Reason.SPAM.value, Reason.SPAM.label
    OFF_TOPIC = Reason.OFF_TOPIC.value, Reason.OFF_TOPIC.label
    INACCURATE = Reason.INACCURATE.value, Reason.INACCURATE.label
    PROMOTIONAL = Reason.PROMOTIONAL.value, Reason.PROMOTIONAL.label


class PreviewState(models.TextChoices):
    PENDING = "pending", "Being fetched"
    DONE = "done", "Fetched"
    FAILED = "failed", "Could not be fetched"


class Story(models.Model):
    """A link submitted for the community to digg, and where it stands.

    ``url`` is what the submitter typed (trimmed), ``normalised_url`` the
    canonical link shown and followed, ``url_key`` a SHA-256 of
    ``links.duplicate_key`` that duplicate detection looks up. The
    aggregates (``diggs`` … ``upcoming_score``) are rewritten by every
    re-tally; ``rank`` by the tally and by ``tasks.refresh_front_page``.
    ``why`` is the promotion record, frozen once, when promoted.
    """

    post = models.OneToOneField(
        "posts.Post", primary_key=True, on_delete=models.CASCADE, related_name="story"
    )
    url = models.CharField(max_length=2048)
    normalised_url = models.CharField(max_length=2048)
    url_key = models.CharField(max_length=64)
    domain = models.CharField(max_length=253)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    blurb = models.TextField(max_length=BLURB_MAX_LENGTH, blank=True)
    topic = models.CharField(max_length=TOPIC_MAX_LENGTH, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.UPCOMING
    )
    # A moderator's hold, or the state a story left for review: what a
    # release returns it to.
    held_from = models.CharField(max_length=10, choices=State.choices, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    why = models.JSONField(null=True, blank=True)

    # Aggregates: raw counts, E, clusters, largest share, B.
    diggs = models.PositiveIntegerField(default=0)
    effective = models.FloatField(default=0.0)
    clusters = models.PositiveIntegerField(default=0)
    largest_share = models.FloatField(default=0.0)
    buries = models.PositiveIntegerField(default=0)
    effective_buries = models.FloatField(default=0.0)
    # The weighted buries at which a moderator released the story: only
    # buries beyond these can hold it again.
    buries_cleared = models.FloatField(default=0.0)
    upcoming_score = models.FloatField(default=0.0)
    # Front page: hours from ranking.UPCOMING_EPOCH to promotion, so the rank
    # refresh is plain arithmetic on both databases; comments for the
    # heated-thread penalty; the rank itself (0 off the front page).
    promoted_hour = models.FloatField(null=True, blank=True)
    comments_count = models.PositiveIntegerField(default=0)
    rank = models.FloatField(default=0.0)

    preview_state = models.CharField(
        max_length=10, choices=PreviewState.choices, default=PreviewState.PENDING
    )
    preview_title = models.CharField(max_length=300, blank=True)
    preview_description = models.TextField(blank=True)
    preview_site_name = models.CharField(max_length=200, blank=True)
    preview_image_url = models.CharField(max_length=2048, blank=True)
    preview_error = models.CharField(max_length=PREVIEW_ERROR_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["url_key", "-submitted_at"], name="story_duplicates"),
            models.Index(
                fields=["-upcoming_score"],
                name="story_rising",
                condition=models.Q(state="upcoming"),
            ),
            models.Index(
                fields=["-submitted_at"],
                name="story_upcoming_newest",
                condition=models.Q(state="upcoming"),
            ),
            # Only stories with a topic: the others are never listed by
            # topic (a query for one implies the condition), and each digg
            # of one would rewrite its entry here.
            models.Index(
                fields=["topic", "-upcoming_score"],
                name="story_upcoming_topic",
                condition=models.Q(state="upcoming") & ~models.Q(topic=""),
            ),
            models.Index(
                fields=["-rank"],
                name="story_front_page",
                condition=models.Q(state="promoted"),
            ),
            models.Index(
                fields=["-promoted_at"],
                name="story_newest_promoted",
                condition=models.Q(state="promoted"),
            ),
            models.Index(
                fields=["promoted_hour"],
                name="story_ranked",
                condition=models.Q(state="promoted"),
            ),
        ]

    def __str__(self) -> str:
        return f"story {self.post_id}: {self.title}"


class LinkClaim(models.Model):
    """One row per link ever submitted (by ``Story.url_key``), locked by
    each submission of that link until its transaction ends.

    Submitting takes this row before it looks for a duplicate, so of two
    submissions of one link at the same moment the second waits for the
    first to commit and then finds its story: the duplicate window is kept
    by a row lock, not by check-then-insert luck.
    """

    url_key = models.CharField(max_length=64, primary_key=True)
    claimed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"link {self.url_key}"


class VoteKind(models.TextChoices):
    DIGG = "digg", "Digg"
    BURY = "bury", "Bury"


class StoryVote(models.Model):
    """One digg or bury of a story, with what the promotion rule weighs.

    The weight inputs are frozen when the vote is cast: an account's age
    then, whether it had posted, whether it and the submitter followed each
    other, and the weight they give. ``cluster`` labels the association
    cluster (the smallest account id in it, or the submitter's id for
    everyone tied to the submitter);
    diggs and buries are clustered separately. A digg's row lives exactly
    as long as the favourite it shadows.
    """

    # The id is never shown nor kept anywhere, so it may be reused.
    id = RowidAutoField(primary_key=True)
    # No index of their own: story_vote_once leads with the story and
    # story_vote_account with the account, and every digg writes each index.
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="votes", db_index=False
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=4, choices=VoteKind.choices)
    reason = models.CharField(max_length=20, choices=BuryReason.choices, blank=True)
    cluster = models.BigIntegerField()
    # ranking.weight of the frozen inputs below, so a cluster's total weight
    # is one SUM in SQL.
    weight = models.FloatField(default=0.0)
    age_days = models.FloatField()
    has_posted = models.BooleanField()
    tied_to_submitter = models.BooleanField(default=False)
    is_submitter = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["story", "kind", "account"], name="story_vote_once"
            ),
        ]
        indexes = [
            # The co-digg overlap job reads recent diggs account by account.
            models.Index(fields=["account", "created_at"], name="story_vote_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.story_id}"

    def voter(self) -> ranking.Voter:
        """Return the promotion rule's view of this vote's voter."""
        return ranking.Voter(
            voter_id=self.account_id,
            age_days=self.age_days,
            has_posted=self.has_posted,
            mutual_follow_with_submitter=self.tied_to_submitter,
            is_submitter=self.is_submitter,
        )


class Association(models.Model):
    """Two accounts whose recent diggs overlap so much they count as one voice.

    Written only by ``tasks.refresh_associations`` (``account_a`` is always
    the smaller id); the diggs of associated accounts share a cluster.
    """

    account_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    account_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # Jaccard index of the two accounts' dugg stories, 0 to 1.
    overlap = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_a", "account_b"], name="association_once"
            ),
        ]
        indexes = [models.Index(fields=["account_b", "account_a"])]

    def __str__(self) -> str:
        return f"{self.account_a_id} ~ {self.account_b_id}"


class CommentBury(models.Model):
    """``account`` buried a comment (a note in a story's conversation)."""

    post = models.ForeignKey(
        "posts.Post", on_delete=models.CASCADE, related_name="comment_buries"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=BuryReason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account"], name="comment_bury_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} buries comment {self.post_id}"


class Community(models.Model):
    """The one row of community-wide news state: the published threshold.

    ``threshold`` is T of the promotion rule, adapted hourly by
    ``tasks.adapt_threshold``; the timestamps say when each periodic job
    last ran, so any number of workers run each at most once per period.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    threshold = models.FloatField(default=ranking.THRESHOLD_FLOOR)
    threshold_updated_at = models.DateTimeField(default=timezone.now)
    associations_refreshed_at = models.DateTimeField(null=True, blank=True)
    # The co-digg refresh's place in its sweep: the last account id whose
    # pairs are done, None between sweeps.
    associations_cursor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "community"

    def __str__(self) -> str:
        return f"threshold {self.threshold:.1f}"
