"""Writes about posts: publishing notes."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hubbub.accounts.models import Account
from hubbub.core.ids import id_at, new_id
from hubbub.core.text import check_note_text
from hubbub.posts.models import Kind, Post, Visibility
from hubbub.posts.rendering import render_text
from hubbub.timelines.store import get_store


def publish_note(
    author: Account,
    *,
    text: str,
    visibility: str = Visibility.PUBLIC,
) -> Post:
    """Publish a note, or raise ValidationError and write nothing.

    The note is in the author's own timeline when this returns; followers'
    timelines are written by ``fan_out_post`` after commit, and the sweeper
    re-drives it if that job is lost.
    """
    text = check_note_text(text)
    return _do_publish_note(
        author, text=text, visibility=Visibility(visibility), created_at=None
    )


def _do_publish_note(
    author: Account,
    *,
    text: str,
    visibility: Visibility,
    created_at: datetime | None,
) -> Post:
    """Write a note whose text has passed ``check_note_text``.

    ``created_at`` backdates it (the demo seed); None means now.
    """
    from hubbub.timelines.tasks import enqueue_fan_out

    now = timezone.now()
    when = created_at or now
    with transaction.atomic():
        post = Post.objects.create(
            id=id_at(when) if created_at else new_id(),
            author=author,
            kind=Kind.NOTE,
            visibility=visibility,
            text=text,
            html=render_text(text),
            created_at=when,
            fanout_queued_at=now,
        )
        Account.objects.filter(pk=author.pk).update(
            posts_count=F("posts_count") + 1, last_post_at=when
        )
        get_store().add(author.pk, [post.id])
        transaction.on_commit(lambda: enqueue_fan_out(post.id))
    return post
