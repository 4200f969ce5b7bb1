"""Writes about articles: drafts, publishing now or later, edits, comments.

Every action takes content that ``content.check_content`` returned, so
the title, Markdown, excerpt and tags rules are the same for every path.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.models import Account
from hubbub.blog.content import ArticleContent, card_html, card_text, parse_tags
from hubbub.blog.models import ApprovedCommenter, Article, CommentHold, State
from hubbub.core.ids import id_at, new_id
from hubbub.core.ratelimits import enforce
from hubbub.moderation.labels import Label, label_for_new_post, log_detector_label
from hubbub.posts.actions import count_new_post, delete_post, store_tags
from hubbub.posts.models import Kind, Mention, Post, PostTag, Visibility
from hubbub.posts.rendering import parse_text
from hubbub.timelines.store import get_store

# A schedule a little in the past is "now": the form took a while to send.
SCHEDULE_GRACE = timedelta(minutes=1)
# Five years, give or take a leap day: further ahead is a typo.
SCHEDULE_HORIZON = timedelta(days=5 * 365 + 1)


def check_publish_at(when: datetime | None, now: datetime) -> datetime | None:
    """Return when to publish: None for now, or a future moment.

    Raises ValidationError for a naive time, a time more than a minute
    past, or one more than about five years ahead.
    """
    if when is None:
        return None
    if timezone.is_naive(when):
        raise ValidationError(
            "Give the publication time with its time zone.", code="naive"
        )
    if when < now - SCHEDULE_GRACE:
        raise ValidationError(
            "That time has passed: schedule a time in the future, or publish now.",
            code="past",
        )
    if when > now + SCHEDULE_HORIZON:
        raise ValidationError(
            "An article can be scheduled at most five years ahead.", code="too_far"
        )
    return None if when <= now else when


def _own_article(author: Account, article_id: int, *, lock: bool = False) -> Article:
    """Return ``author``'s article ``article_id``, or raise Http404.

    Someone else's article is not found either, as for a post one may not
    see. ``lock`` holds its row until the transaction ends.
    """
    articles = Article.objects.select_related("post", "author")
    if lock:
        articles = articles.select_for_update(of=("self",))
    try:
        return articles.get(id=article_id, author=author)
    except (Article.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such article.") from e


def _apply(article: Article, content: ArticleContent, now: datetime) -> None:
    article.title = content.title
    article.slug = content.slug
    article.source = content.source
    article.custom_excerpt = content.custom_excerpt
    article.html = content.html
    article.excerpt_html = content.excerpt_html
    article.more_label = content.more_label
    article.tags = content.tags_text
    article.updated_at = now


def save_draft(
    author: Account, *, content: ArticleContent, article_id: int | None = None
) -> Article:
    """Save ``content`` as a draft: a new one, or ``article_id`` again.

    A scheduled article saved as a draft is no longer scheduled. A
    published article can't be saved as a draft (ValidationError, code
    ``published``): edit it, or unpublish it first. Someone else's article
    is Http404. A new draft counts toward the author's posting limit
    (RateLimitedError).
    """
    if article_id is None:
        enforce("post", account=author)
    now = timezone.now()
    with transaction.atomic():
        if article_id is None:
            article = Article(author=author, created_at=now)
        else:
            article = _own_article(author, article_id, lock=True)
            if _is_live(article):
                raise ValidationError(
                    "This article is published: update it, or unpublish it "
                    "first to make it a draft again.",
                    code="published",
                )
        _apply(article, content, now)
        article.state = State.DRAFT
        article.publish_at = None
        article.save()
    return article


def edit_article(
    author: Account, *, article_id: int, content: ArticleContent
) -> Article:
    """Replace an article's content, keeping its state.

    A published article changes where it is shown (its card in timelines,
    its page and feeds) at once; its id stays, and a changed title changes
    only the cosmetic slug. Someone else's article is Http404.
    """
    now = timezone.now()
    with transaction.atomic():
        article = _own_article(author, article_id, lock=True)
        _apply(article, content, now)
        article.save()
        if _is_live(article):
            _write_post(article)
    return article


def _is_live(article: Article) -> bool:
    return (
        article.state == State.PUBLISHED
        and article.post is not None
        and article.post.deleted_at is None
    )


def _write_post(article: Article) -> None:
    """Bring the article's Post in step: its card, text and tags."""
    post = article.post
    assert post is not None  # noqa: S101 (only published articles get here)
    html = card_html(
        title=article.title,
        excerpt=article.excerpt_html,
        more_label=article.more_label,
        username=article.author.username,
        post_id=post.id,
        slug=article.slug,
    )
    Post.objects.filter(id=post.id).update(
        text=card_text(article.title, article.excerpt_html), html=html
    )
    post.html = html
    PostTag.objects.filter(post=post).delete()
    # The stored tags passed ``parse_tags`` when they were written.
    store_tags(post, parse_tags(article.tags))


def publish_article(
    author: Account,
    *,
    article_id: int | None,
    publish_at: datetime | None = None,
    content: ArticleContent | None = None,
) -> Article:
    """Publish an article now, or schedule it for ``publish_at``.

    ``article_id`` None publishes ``content`` as a new article. Otherwise
    ``content``, when given, is saved first, in the same transaction, so a
    refused publication changes nothing. An article needs some text to be
    published (code ``blank``). ``publish_at`` follows
    ``check_publish_at``; a scheduled article is published by
    ``publish_scheduled_article`` at its time, once, and re-driven by the
    sweeper if that job is lost. Publishing a published article again is a
    no-op; scheduling one is refused (code ``published``). Published, the
    article goes into the author's timeline at once and to followers'
    through ``fan_out_post``. Someone else's article is Http404. Each call
    counts toward the author's posting limit (RateLimitedError).
    """
    from hubbub.blog.tasks import enqueue_publication

    enforce("post", account=author)
    now = timezone.now()
    when = check_publish_at(publish_at, now)
    with transaction.atomic():
        if article_id is None:
            if content is None:
                raise ValueError("A new article needs its content.")
            article = Article(author=author, created_at=now)
        else:
            article = _own_article(author, article_id, lock=True)
        if content is not None:
            _apply(article, content, now)
        if not article.source.strip():
            raise ValidationError(
                "Write something before publishing: the article is empty.",
                code="blank",
            )
        if _is_live(article):
            if when is not None:
                raise ValidationError(
                    "This article is published already; unpublish it first "
                    "to schedule it.",
                    code="published",
                )
            article.save()
            if content is not None:
                _write_post(article)
            return article
        if when is None:
            _do_publish(article, now)
            return article
        article.state = State.SCHEDULED
        article.publish_at = when
        article.publish_queued_at = now
        article.save()
        transaction.on_commit(lambda: enqueue_publication(article.id, when))
    return article


def publish_due_article(article_id: int) -> bool:
    """Publish a scheduled article whose time has come; return whether it was.

    Safe to call any number of times and at once from several workers:
    the article's row is locked and its state checked under the lock, so
    it is published exactly once. An article unscheduled, rescheduled
    later or unpublished meanwhile is left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        article = (
            Article.objects.select_for_update(of=("self",))
            .select_related("post", "author")
            .filter(id=article_id, state=State.SCHEDULED, publish_at__lte=now)
            .first()
        )
        if article is None:
            return False
        _do_publish(article, now)
    return True


def _do_publish(
    article: Article, now: datetime, *, backdate: datetime | None = None
) -> None:
    """Make ``article`` published: write or restore its Post and fan it out.

    Call inside a transaction holding the article's row, with the article
    not live. The Post is made on first publication, labelled promotional
    if ``_label`` says so; after an unpublish the same Post is restored,
    with its label, id, URL and conversation.
    ``backdate`` dates a first publication in the past (the demo seed).
    """
    from hubbub.timelines.tasks import enqueue_fan_out

    author = article.author
    if article.post is None:
        when = backdate or now
        label = _label(article)
        post = Post.objects.create(
            id=id_at(when) if backdate else new_id(),
            author=author,
            kind=Kind.ARTICLE,
            visibility=Visibility.PUBLIC,
            text="",
            html="",
            created_at=when,
            fanout_queued_at=now,
            promotional_source=label.source if label else "",
            promotional_reason=label.reason if label else "",
        )
        log_detector_label(post, label)
        article.post = post
    else:
        post = article.post
        Post.objects.filter(id=post.id).update(
            deleted_at=None, fanned_out_at=None, fanout_queued_at=now
        )
        post.deleted_at = None
    article.state = State.PUBLISHED
    article.publish_at = post.created_at
    article.publish_queued_at = None
    article.save()
    _write_post(article)
    count_new_post(author.pk, post.created_at)
    get_store().add(author.pk, [post.id])
    transaction.on_commit(lambda: enqueue_fan_out(post.id))


def _label(article: Article) -> Label | None:
    """Return the promotional label an article takes on first publication:
    its author's, for the tag #ad or #sponsored in its tags or title, else
    the detector's reading of its title and text."""
    return label_for_new_post(
        article.author,
        text=f"{article.title}\n\n{article.source}",
        tags={**parse_tags(article.tags), **parse_text(article.title).tags},
        promotional=False,
        is_reply=False,
    )


def unpublish_article(author: Account, *, article_id: int) -> Article:
    """Take an article back to a draft; a draft stays as it is.

    A published article's Post becomes a tombstone (``delete_post``): it
    leaves every timeline, its boosts go, and comments can no longer be
    added; publishing again restores it with its comments. A scheduled
    article is simply no longer scheduled. Someone else's article is
    Http404.
    """
    with transaction.atomic():
        article = _own_article(author, article_id, lock=True)
        if article.post is not None and article.post.deleted_at is None:
            delete_post(author, post=article.post)
        article.state = State.DRAFT
        article.publish_at = None
        article.publish_queued_at = None
        article.updated_at = timezone.now()
        article.save()
    return article


def set_comments_closed(author: Account, *, article_id: int, closed: bool) -> Article:
    """Close or reopen an article's comments; Http404 for someone else's."""
    with transaction.atomic():
        article = _own_article(author, article_id, lock=True)
        article.comments_closed = closed
        article.save(update_fields=["comments_closed"])
    return article


# --- held comments ------------------------------------------------------------


def _own_hold(author: Account, post_id: int) -> CommentHold:
    """Return a comment held on one of ``author``'s articles, or Http404."""
    try:
        return (
            CommentHold.objects.select_for_update(of=("self",))
            .select_related("post__author", "article")
            .get(post_id=post_id, article__author=author)
        )
    except (CommentHold.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such comment is waiting.") from e


def approve_comment(author: Account, *, post_id: int) -> Post:
    """Show a held comment to everyone, and hold no more from its writer.

    The comment gets the visibility its writer chose and is fanned out
    like a new note. Http404 unless it is held on ``author``'s article.
    """
    from hubbub.timelines.tasks import enqueue_fan_out

    with transaction.atomic():
        hold = _own_hold(author, post_id)
        comment = hold.post
        if hold.added_mention:
            Mention.objects.filter(post=comment, account=author).delete()
        now = timezone.now()
        Post.objects.filter(id=comment.id).update(
            visibility=hold.visibility, fanned_out_at=None, fanout_queued_at=now
        )
        comment.visibility = hold.visibility
        ApprovedCommenter.objects.get_or_create(
            author=author, commenter_id=comment.author_id
        )
        hold.delete()
        transaction.on_commit(lambda: enqueue_fan_out(comment.id))
    return comment


def reject_comment(author: Account, *, post_id: int) -> None:
    """Delete a held comment, as its writer deleting it would.

    Http404 unless it is held on ``author``'s article.
    """
    with transaction.atomic():
        hold = _own_hold(author, post_id)
        comment = hold.post
        hold.delete()
        delete_post(comment.author, post=comment)


def repeat_publications(*, limit: int = 100) -> int:
    """Re-queue scheduled articles whose time passed without a publication.

    Their job was lost (a worker killed, a process that died between
    commit and enqueue). Each is claimed through ``publish_queued_at``
    first, so several sweepers never queue the same one twice. Returns how
    many were re-queued.
    """
    from hubbub.blog.tasks import enqueue_publication

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.HUBBUB_FANOUT_SWEEP_AFTER)
    due = list(
        Article.objects.filter(
            state=State.SCHEDULED, publish_at__lt=cutoff, publish_queued_at__lt=cutoff
        )
        .order_by("publish_at")
        .values_list("id", "publish_queued_at")[:limit]
    )
    requeued = 0
    for article_id, queued_at in due:
        claimed = Article.objects.filter(
            id=article_id, state=State.SCHEDULED, publish_queued_at=queued_at
        ).update(publish_queued_at=now)
        if claimed:
            enqueue_publication(article_id, None)
            requeued += 1
    return requeued
