"""Articles, the comments held for their authors, and who may comment freely."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hubbub.blog.slugs import MAX_SLUG_CHARS, MAX_TITLE_CODE_POINTS
from hubbub.core.ids import new_id
from hubbub.posts.models import Post, Visibility

# A marker's label is at most this long (see excerpt.MAX_LABEL_CHARS).
MORE_LABEL_MAX_LENGTH = 200


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Article(models.Model):
    """A long post in Markdown; published, it is one-to-one with its Post.

    The Post is made on first publication and kept for good: unpublishing
    tombstones it and publishing again restores it, so the article keeps
    its id, its URL and its conversation (the Post is the root). Drafts
    have no Post, and so no one but the author can reach them.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="articles"
    )
    post = models.OneToOneField(
        Post,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="article",
    )
    title = models.CharField(max_length=MAX_TITLE_CODE_POINTS)
    slug = models.CharField(max_length=MAX_SLUG_CHARS)
    source = models.TextField()
    custom_excerpt = models.TextField(blank=True)
    # Rendered once per save, like a note's html: the full article (markers
    # gone), the excerpt an index shows and the "Continue reading" label.
    html = models.TextField()
    excerpt_html = models.TextField()
    more_label = models.CharField(max_length=MORE_LABEL_MAX_LENGTH, blank=True)
    # Tags as written, space-separated; a published article's PostTag rows
    # are made from these.
    tags = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # When a scheduled article goes out; when a published one first did.
    publish_at = models.DateTimeField(null=True, blank=True)
    # Durable marker for scheduled publication: the sweeper re-queues a
    # scheduled article whose time has passed, claiming it through this.
    publish_queued_at = models.DateTimeField(null=True, blank=True)
    comments_closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["author", "state", "-id"], name="article_author"),
            models.Index(
                fields=["publish_at"],
                name="article_due",
                condition=models.Q(state="scheduled"),
            ),
        ]

    def __str__(self) -> str:
        return f"article {self.id} by {self.author_id}: {self.title}"


class CommentHold(models.Model):
    """A first-time commenter's comment, waiting for the article's author.

    Until approved the comment is a direct post addressed to the article's
    author, so ``visible_posts`` shows it to the two of them only;
    ``visibility`` is what the commenter chose, restored on approval.
    """

    post = models.OneToOneField(
        Post, primary_key=True, on_delete=models.CASCADE, related_name="hold"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="holds")
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    # Whether the hold added the mention of the article's author (the
    # comment did not name them), to be taken back on approval.
    added_mention = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["article", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.post_id} held on {self.article_id}"


class ApprovedCommenter(models.Model):
    """``author`` approved a comment by ``commenter``; no more are held."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    commenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author", "commenter"], name="approved_commenter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} approved {self.commenter_id}"


class Reference(models.Model):
    """``post`` links to ``target`` (an article or a story): "mentioned in".

    Found by ``blog.references.linked_post_ids`` when a note is published.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="referenced_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "target"], name="reference_once"),
        ]
        indexes = [models.Index(fields=["target", "-post"])]

    def __str__(self) -> str:
        return f"{self.post_id} mentions {self.target_id}"
