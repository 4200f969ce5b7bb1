"""Jobs that write notifications.

Each job takes ids, runs after the commit that caused it, and may run any
number of times: ``notify`` writes a notification at most once.
"""

from typing import Any

from django.db import models, transaction
from django.tasks import task

from hubbub.accounts.models import Account, Follow, FollowRequest
from hubbub.notifications.actions import notify
from hubbub.notifications.models import NotificationType
from hubbub.posts.models import Favourite, Mention, Post
from hubbub.posts.queries import visible_posts

_NO_POST = models.Value(None, output_field=models.BigIntegerField())


def _notify_while_locked(cause: "models.QuerySet[Any]", kind: NotificationType) -> None:
    """Notify as ``cause`` says: (recipient id, actor id, post id), or not at all.

    ``cause`` selects the row that caused the notification FOR UPDATE. A job
    that finds it gone (the favourite withdrawn, the boost deleted) writes
    nothing; an undo that commits at the same moment waits for this lock and
    then withdraws what was written, so no notification outlives its cause.
    """
    with transaction.atomic():
        row = cause.first()
        if row is not None:
            recipient_id, actor_id, post_id = row
            notify(recipient_id, actor_id=actor_id, kind=kind, post_id=post_id)


@task()
def notify_favourite(favourite_id: int) -> None:
    """Tell a post's author that someone favourited it."""
    _notify_while_locked(
        Favourite.objects.select_for_update(of=("self",))
        .filter(id=favourite_id)
        .values_list("post__author_id", "account_id", "post_id"),
        NotificationType.FAVOURITE,
    )


@task()
def notify_boost(boost_id: int) -> None:
    """Tell a post's author that someone boosted it."""
    _notify_while_locked(
        Post.objects.select_for_update(of=("self",))
        .filter(id=boost_id, deleted_at__isnull=True, reblog_of__isnull=False)
        .values_list("reblog_of__author_id", "author_id", "reblog_of_id"),
        NotificationType.REBLOG,
    )


@task()
def notify_follow(follow_id: int) -> None:
    """Tell an account that someone followed it."""
    _notify_while_locked(
        Follow.objects.select_for_update()
        .filter(id=follow_id)
        .values_list("followee_id", "follower_id", _NO_POST),
        NotificationType.FOLLOW,
    )


@task()
def notify_follow_request(request_id: int) -> None:
    """Tell a locked account that someone asked to follow it."""
    _notify_while_locked(
        FollowRequest.objects.select_for_update()
        .filter(id=request_id)
        .values_list("followee_id", "follower_id", _NO_POST),
        NotificationType.FOLLOW_REQUEST,
    )


@task()
def notify_post(post_id: int) -> None:
    """Tell the people a note mentions, and the author of the note it answers.

    The author answered is told of a reply (even when also mentioned); the
    others of a mention. Only people who may see the note are told, so a
    followers-only or direct note reaches nobody else this way. The note is
    locked as ``delete_post`` locks it, so a note deleted meanwhile tells
    nobody.
    """
    with transaction.atomic():
        row = (
            Post.objects.select_for_update(of=("self",))
            .filter(id=post_id, deleted_at__isnull=True)
            .values_list("author_id", "in_reply_to__author_id")
            .first()
        )
        if row is None:
            return
        author_id, answered_id = row
        recipients = dict.fromkeys(
            Mention.objects.filter(post_id=post_id)
            .order_by("id")
            .values_list("account_id", flat=True),
            NotificationType.MENTION,
        )
        if answered_id is not None:
            recipients[answered_id] = NotificationType.REPLY
        recipients.pop(author_id, None)
        for recipient_id, kind in recipients.items():
            if visible_posts(Account(pk=recipient_id)).filter(id=post_id).exists():
                notify(recipient_id, actor_id=author_id, kind=kind, post_id=post_id)
