"""The post: the envelope that notes, articles and stories share."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hubbub.core.fields import RowidAutoField
from hubbub.core.ids import new_id


class Kind(models.TextChoices):
    NOTE = "note", "Note"
    ARTICLE = "article", "Article"
    STORY = "story", "Story"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"
    FOLLOWERS = "followers", "Followers only"
    DIRECT = "direct", "Mentioned people only"


class PromotionalSource(models.TextChoices):
    """Who labelled a post promotional; empty when no one has."""

    NONE = "", "Not labelled"
    AUTHOR = "author", "the author"
    MODERATOR = "moderator", "a moderator"
    COMMUNITY = "community", "community reports"
    DETECTOR = "detector", "the automatic detector"


PROMOTIONAL_REASON_MAX_LENGTH = 200


class Post(models.Model):
    """One post. Its id orders it in time; ``html`` is sanitised on write."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    text = models.TextField()
    html = models.TextField()
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    # The root of the thread this post belongs to (itself for a root), so a
    # whole conversation is one indexed query.
    conversation_id = models.BigIntegerField()
    reblog_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reblogs",
    )
    replies_count = models.PositiveIntegerField(default=0)
    reblogs_count = models.PositiveIntegerField(default=0)
    favourites_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Durable fan-out marker: the sweeper re-drives posts where this is empty.
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    fanout_queued_at = models.DateTimeField(null=True, blank=True)
    # The promotional label: who set it (empty for an unlabelled post) and
    # the short reason shown with it. Readers choose to see, collapse or
    # hide labelled posts (see moderation.promotion).
    promotional_source = models.CharField(
        max_length=10, choices=PromotionalSource.choices, blank=True, default=""
    )
    promotional_reason = models.CharField(
        max_length=PROMOTIONAL_REASON_MAX_LENGTH, blank=True, default=""
    )

    class Meta:
        constraints = [
            # One live boost per person per post.
            models.UniqueConstraint(
                fields=["author", "reblog_of"],
                name="boost_once",
                condition=models.Q(reblog_of__isnull=False, deleted_at__isnull=True),
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_recent"),
            models.Index(fields=["conversation_id", "id"], name="post_conversation"),
            models.Index(
                fields=["-id"],
                name="post_public_recent",
                condition=models.Q(visibility="public", deleted_at__isnull=True),
            ),
            models.Index(
                fields=["fanout_queued_at"],
                name="post_fanout_pending",
                condition=models.Q(fanned_out_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} by {self.author_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.conversation_id:
            self.conversation_id = (
                self.in_reply_to.conversation_id if self.in_reply_to else self.id
            )
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Mention(models.Model):
    """``post`` addresses ``account`` (an @handle that resolved here)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="mention_once"),
        ]
        indexes = [models.Index(fields=["account", "post"])]

    def __str__(self) -> str:
        return f"{self.post_id} mentions {self.account_id}"


class Tag(models.Model):
    """A hashtag. ``name`` is lower-cased for matching; ``display`` as first used."""

    name = models.CharField(max_length=100, unique=True)
    display = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.display}"


class PostTag(models.Model):
    """``post`` carries ``tag``; a tag timeline is one indexed query on this."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "post"], name="post_tag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.tag_id}"


class Favourite(models.Model):
    """``account`` favourited ``post`` (on a story, this is a digg)."""

    # Time-sortable like a post's, and never reused: the id is the cursor
    # a client pages the favourites list with, and the key the
    # notification job is queued with.
    id = RowidAutoField(primary_key=True, default=new_id)
    # No index of its own: favourite_once (account, post) serves every
    # lookup by account, and each favourite (each digg) would write a
    # second one for nothing.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="favourites",
        db_index=False,
    )
    # Nor this one: ("post", "-id") below serves every lookup by post.
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="favourites", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "post"], name="favourite_once"),
        ]
        indexes = [models.Index(fields=["post", "-id"])]

    def __str__(self) -> str:
        return f"{self.account_id} ★ {self.post_id}"
