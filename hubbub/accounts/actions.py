"""Writes about accounts: signing up, profiles, follows."""

import regex
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from hubbub.accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    Account,
    Follow,
)
from hubbub.posts.queries import recent_post_ids_for_follower
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
        if any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in value):
            raise ValidationError(f"{field} contains characters that are not allowed.")
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationError(
            f"Display names are at most {DISPLAY_NAME_MAX_LENGTH} characters."
        )
    if len(bio) > BIO_MAX_LENGTH:
        raise ValidationError(f"Bios are at most {BIO_MAX_LENGTH} characters.")
    return display_name, bio


def sign_up(*, username: str, password: str, display_name: str = "") -> Account:
    """Create an account, or raise ValidationError and create nothing."""
    username = check_username(username.strip())
    display_name, _ = _check_profile_text(display_name=display_name, bio="")
    account = Account(username=username, display_name=display_name)
    validate_password(password, user=account)
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


def follow_account(follower: Account, *, followee: Account) -> Follow:
    """Make ``follower`` follow ``followee``; following twice is a no-op.

    The followee's recent notes go into the follower's timeline at once.
    """
    if follower.pk == followee.pk:
        raise ValidationError("You can't follow yourself.", code="self")
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(
            follower=follower, followee=followee
        )
        if created:
            Account.objects.filter(pk=follower.pk).update(
                following_count=F("following_count") + 1
            )
            Account.objects.filter(pk=followee.pk).update(
                followers_count=F("followers_count") + 1
            )
            _backfill(follower, followee)
    return follow


def _backfill(follower: Account, followee: Account) -> None:
    get_store().add(
        follower.pk,
        recent_post_ids_for_follower(followee, limit=settings.HUBBUB_FOLLOW_BACKFILL),
    )


def unfollow_account(follower: Account, *, followee: Account) -> None:
    """Stop ``follower`` following ``followee``; a no-op if not following.

    The followee's posts leave the follower's timeline.
    """
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(
            follower=follower, followee=followee
        ).delete()
        if deleted:
            Account.objects.filter(pk=follower.pk).update(
                following_count=F("following_count") - 1
            )
            Account.objects.filter(pk=followee.pk).update(
                followers_count=F("followers_count") - 1
            )
            get_store().remove_author(follower.pk, followee.pk)
