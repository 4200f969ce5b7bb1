"""Writes about accounts: signing up, profiles, follows, blocks, mutes."""

import contextlib

import regex
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q

from hubbub.accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    Account,
    Block,
    Follow,
    FollowRequest,
    Mute,
    PromotionalPosts,
)
from hubbub.accounts.signal import signal_sql
from hubbub.core.ratelimits import enforce
from hubbub.core.text import has_forbidden_characters
from hubbub.notifications import tasks as notification_tasks
from hubbub.notifications.actions import withdraw
from hubbub.notifications.models import Notification, NotificationType
from hubbub.posts.queries import recent_posts_for_follower
from hubbub.posts.rendering import render_text
from hubbub.timelines.store import get_store

_USERNAME = regex.compile(r"^[A-Za-z0-9_]+$")
# Names that collide with hubbub's own URLs or that people would mistake for
# the server speaking.
RESERVED_USERNAMES = frozenset(
    {
        "about", "admin", "administrator", "api", "auth", "feeds", "help",
        "home", "hubbub", "login", "logout", "media", "moderator", "news",
        "notifications", "oauth", "postmaster", "public", "root", "search",
        "settings", "signup", "static", "support", "system", "tags", "upcoming",
        "users", "webmaster", "well-known", "www",
    }
)  # fmt: skip


def check_username(username: str) -> str:
    """Return ``username`` if it may be registered, else raise ValidationError."""
    if not username:
        raise ValidationError("Choose a username.", code="blank")
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            f"Usernames are at most {USERNAME_MAX_LENGTH} characters.", code="long"
        )
    if not _USERNAME.match(username):
        raise ValidationError(
            "Usernames use only the letters a-z, digits and underscores.",
            code="invalid",
        )
    if username.lower() in RESERVED_USERNAMES:
        raise ValidationError("That username is reserved.", code="reserved")
    if Account.objects.filter(username__iexact=username).exists():
        raise ValidationError("That username is taken.", code="taken")
    return username


def _check_profile_text(*, display_name: str, bio: str) -> tuple[str, str]:
    display_name, bio = display_name.strip(), bio.strip()
    for field, value in (("Display name", display_name), ("Bio", bio)):
        if has_forbidden_characters(value):
            raise ValidationError(f"{field} contains characters that are not allowed.")
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationError(
            f"Display names are at most {DISPLAY_NAME_MAX_LENGTH} characters."
        )
    if len(bio) > BIO_MAX_LENGTH:
        raise ValidationError(f"Bios are at most {BIO_MAX_LENGTH} characters.")
    return display_name, bio


def sign_up(*, username: str, password: str, display_name: str = "") -> Account:
    """Create an account, or raise ValidationError and create nothing.

    Sign-ups from one address are limited (RateLimitedError); the checks
    come first, so a form with a typo does not use up an attempt.
    """
    username = check_username(username.strip())
    display_name, _ = _check_profile_text(display_name=display_name, bio="")
    account = Account(username=username, display_name=display_name)
    validate_password(password, user=account)
    enforce("signup")
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as e:
        # Two sign-ups raced for the same name; the unique index decided.
        raise ValidationError("That username is taken.", code="taken") from e
    return account


def update_profile(account: Account, *, display_name: str, bio: str) -> Account:
    """Change an account's display name and bio."""
    display_name, bio = _check_profile_text(display_name=display_name, bio=bio)
    account.display_name = display_name
    account.bio = bio
    account.bio_html = render_text(bio) if bio else ""
    account.save(update_fields=["display_name", "bio", "bio_html"])
    return account


def _lock_pair(a_id: int, b_id: int) -> None:
    """Lock two accounts' rows, lower id first, until the transaction ends.

    Follows, requests, blocks and mutes between one pair then run one at a
    time, so a follow can't slip in beside a block that is removing it, and
    the fixed order can't deadlock. SQLite needs no lock: its transactions
    take the one write lock when they begin.
    """
    list(
        Account.objects.select_for_update(no_key=True)
        .filter(pk__in=[a_id, b_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_may_follow(follower: Account, followee: Account) -> None:
    if follower.pk == followee.pk:
        raise ValidationError("You can't follow yourself.", code="self")
    if Block.objects.filter(account=follower, target=followee).exists():
        raise ValidationError(
            f"You block @{followee.username}: unblock them to follow.",
            code="blocking",
        )
    if Block.objects.filter(account=followee, target=follower).exists():
        raise ValidationError(f"You can't follow @{followee.username}.", code="blocked")


def follow_account(follower: Account, *, followee: Account) -> Follow | FollowRequest:
    """Make ``follower`` follow ``followee``, or ask to if it is locked.

    Returns the Follow, or for a locked account the pending FollowRequest;
    following or asking twice is a no-op. The followee's recent notes go
    into the follower's timeline at once, and ``notify_follow`` (or
    ``notify_follow_request``) runs after commit. Following yourself, an
    account you block or one that blocks you raises ValidationError (code
    ``self``, ``blocking``, ``blocked``) and writes nothing; so does going
    over the following limit (RateLimitedError).
    """
    with transaction.atomic():
        _lock_pair(follower.pk, followee.pk)
        _check_may_follow(follower, followee)
        follow = Follow.objects.filter(follower=follower, followee=followee).first()
        if follow is not None:
            return follow
        enforce("follow", account=follower)
        if followee.locked:
            request, created = FollowRequest.objects.get_or_create(
                follower=follower, followee=followee
            )
            if created:
                transaction.on_commit(
                    lambda: notification_tasks.notify_follow_request.enqueue(request.id)
                )
            return request
        follow = _do_follow(follower, followee)
        transaction.on_commit(
            lambda: notification_tasks.notify_follow.enqueue(follow.id)
        )
    return follow


def _do_follow(follower: Account, followee: Account) -> Follow:
    """Write a follow with its counters and backfill.

    Preconditions: inside a transaction holding ``_lock_pair`` for the two,
    no follow between them yet, and following allowed.
    """
    follow = Follow.objects.create(follower=follower, followee=followee)
    Account.objects.filter(pk=follower.pk).update(
        following_count=F("following_count") + 1
    )
    Account.objects.filter(pk=followee.pk).update(
        followers_count=F("followers_count") + 1
    )
    _backfill(follower, followee)
    return follow


def _backfill(follower: Account, followee: Account) -> None:
    get_store().add_followed(
        follower.pk,
        recent_posts_for_follower(followee, limit=settings.HUBBUB_FOLLOW_BACKFILL),
    )


def unfollow_account(follower: Account, *, followee: Account) -> None:
    """Stop ``follower`` following ``followee``, or withdraw the request.

    A no-op if neither is there. The followee's posts leave the follower's
    timeline.
    """
    with transaction.atomic():
        _lock_pair(follower.pk, followee.pk)
        if _do_unfollow(follower, followee):
            get_store().remove_author(follower.pk, followee.pk)
        _drop_request(follower, followee)


def _do_unfollow(follower: Account, followee: Account) -> bool:
    """Delete a follow and its counters; return whether there was one.

    Precondition: inside a transaction holding ``_lock_pair`` for the two.
    """
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        Account.objects.filter(pk=follower.pk, following_count__gt=0).update(
            following_count=F("following_count") - 1
        )
        Account.objects.filter(pk=followee.pk, followers_count__gt=0).update(
            followers_count=F("followers_count") - 1
        )
    return bool(deleted)


def _drop_request(follower: Account, followee: Account) -> bool:
    """Delete a pending request and its notification; return whether it was.

    Precondition: inside a transaction holding ``_lock_pair`` for the two.
    """
    deleted, _ = FollowRequest.objects.filter(
        follower=follower, followee=followee
    ).delete()
    if deleted:
        withdraw(
            followee.pk,
            actor_id=follower.pk,
            kind=NotificationType.FOLLOW_REQUEST,
        )
    return bool(deleted)


def approve_follow_request(account: Account, *, follower: Account) -> Follow:
    """Let ``follower``, who asked, follow the locked ``account``.

    The follow is written as for an unlocked account (counters, backfill).
    Approving again returns the follow already made; approving someone who
    has not asked raises ValidationError (code ``no_request``).
    """
    with transaction.atomic():
        _lock_pair(account.pk, follower.pk)
        if _drop_request(follower, account):
            return _do_follow(follower, account)
        follow = Follow.objects.filter(follower=follower, followee=account).first()
    if follow is None:
        raise ValidationError(
            f"@{follower.username} has not asked to follow you.", code="no_request"
        )
    return follow


def reject_follow_request(account: Account, *, follower: Account) -> None:
    """Turn down ``follower``'s request to follow ``account``; a no-op if none."""
    with transaction.atomic():
        _lock_pair(account.pk, follower.pk)
        _drop_request(follower, account)


def set_locked(account: Account, *, locked: bool) -> None:
    """Choose whether ``account`` approves new followers by hand.

    Unlocking approves every pending request (as Mastodon does): nobody is
    left waiting on a question that is no longer asked.
    """
    Account.objects.filter(pk=account.pk).update(locked=locked)
    account.locked = locked
    if locked:
        return
    waiting = Account.objects.filter(follow_requests_sent__followee=account)
    for follower in waiting.order_by("pk"):
        with contextlib.suppress(ValidationError):  # withdrawn meanwhile
            approve_follow_request(account, follower=follower)


def set_promotional_posts(account: Account, *, choice: str) -> None:
    """Choose what ``account`` is shown of posts labelled promotional.

    ``choice`` is show, collapse or hide (PromotionalPosts); anything else
    raises ValidationError (code ``invalid_choice``) and changes nothing.
    Every page, API call and stream read after this obeys it.
    """
    if choice not in PromotionalPosts.values:
        raise ValidationError("Choose show, collapse or hide.", code="invalid_choice")
    Account.objects.filter(pk=account.pk).update(promotional_posts=choice)
    account.promotional_posts = choice


def block_account(account: Account, *, target: Account) -> Block:
    """Block ``target``: neither sees nor reaches the other from now on.

    Follows and follow requests between the two go, both ways, and so do
    each one's posts from the other's home timeline and the notifications
    between them. Blocking twice is a no-op; blocking yourself raises
    ValidationError (code ``self``).
    """
    if account.pk == target.pk:
        raise ValidationError("You can't block yourself.", code="self")
    with transaction.atomic():
        _lock_pair(account.pk, target.pk)
        block, created = Block.objects.get_or_create(account=account, target=target)
        if created:
            for reader, author in ((account, target), (target, account)):
                _do_unfollow(reader, author)
                _drop_request(reader, author)
                get_store().remove_author(reader.pk, author.pk)
            Notification.objects.filter(
                Q(recipient=account, actor=target) | Q(recipient=target, actor=account)
            ).delete()
    return block


def unblock_account(account: Account, *, target: Account) -> None:
    """Lift ``account``'s block of ``target``; a no-op if there is none.

    Follows the block removed stay removed.
    """
    Block.objects.filter(account=account, target=target).delete()


def mute_account(account: Account, *, target: Account) -> Mute:
    """Mute ``target``: their posts and notifications stop reaching ``account``.

    Their posts leave ``account``'s home timeline and their notifications
    to ``account`` go; follows are untouched. Muting twice is a no-op;
    muting yourself raises ValidationError (code ``self``).
    """
    if account.pk == target.pk:
        raise ValidationError("You can't mute yourself.", code="self")
    with transaction.atomic():
        mute, created = Mute.objects.get_or_create(account=account, target=target)
        if created:
            get_store().remove_author(account.pk, target.pk)
            Notification.objects.filter(recipient=account, actor=target).delete()
    return mute


def unmute_account(account: Account, *, target: Account) -> None:
    """Lift ``account``'s mute of ``target``; a no-op if there is none.

    If ``account`` follows ``target``, their recent notes come back into
    the home timeline at once.
    """
    with transaction.atomic():
        deleted, _ = Mute.objects.filter(account=account, target=target).delete()
        if (
            deleted
            and Follow.objects.filter(follower=account, followee=target).exists()
        ):
            _backfill(account, target)


def store_conversation_signals(account_ids: list[int]) -> None:
    """Measure each account's conversation signal and store it on them.

    ``fan_out_post`` runs it for new notes' authors and for the authors
    they answer, whose posts just drew a reply. One statement, run for
    every account at once: each measures and stores in the database.
    """
    rows, measure = [], ""
    for account_id in dict.fromkeys(account_ids):
        # The same SQL for every account; only its parameters differ.
        measure, params = signal_sql(account_id)
        rows.append([*params, account_id])
    if not rows:
        return
    columns = "signal_posts, signal_exchanges, signal_replies"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Account._meta.db_table} SET ({columns}) = ({measure})"  # noqa: S608
            " WHERE id = %s",
            rows,
        )


def set_quiet_broadcasters(account: Account, *, quiet: bool) -> None:
    """Choose whether accounts that only broadcast stay out of home."""
    Account.objects.filter(pk=account.pk).update(quiet_broadcasters=quiet)
    account.quiet_broadcasters = quiet
