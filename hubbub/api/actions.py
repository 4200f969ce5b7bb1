"""Writes the API owns: client apps, token revocation, idempotent posting."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model

from hubbub.accounts.models import Account
from hubbub.api.auth import token_checksum
from hubbub.api.models import (
    APP_NAME_MAX_LENGTH,
    REDIRECT_URIS_MAX_LENGTH,
    Application,
    IdempotencyKey,
)
from hubbub.api.scopes import ALL_SCOPES, DEFAULT_SCOPES
from hubbub.core.ratelimits import enforce
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
IDEMPOTENCY_WINDOW = timedelta(hours=1)


def _check_redirect_uri(uri: str) -> str:
    if uri == OOB_REDIRECT_URI:
        return uri
    parts = urlsplit(uri)
    if not parts.scheme or not (parts.netloc or parts.scheme not in ("http", "https")):
        raise ValidationError("Redirect URI must be an absolute URI.", code="redirect")
    if parts.fragment or any(ch.isspace() for ch in uri):
        raise ValidationError("Redirect URI must be an absolute URI.", code="redirect")
    return uri


def register_application(
    *, name: str, redirect_uris: list[str], scopes: list[str], website: str = ""
) -> tuple[Application, str]:
    """Register a client app; return it and its client secret.

    The secret is stored hashed, so this is the only time it is known.
    Raises ValidationError, and creates nothing, on bad input, and
    RateLimitedError over the registering limit.
    """
    name = name.strip()
    if not name:
        raise ValidationError("Application name can't be blank.", code="blank")
    if len(name) > APP_NAME_MAX_LENGTH:
        raise ValidationError("Application name is too long.", code="long")
    uris = [_check_redirect_uri(u) for u in redirect_uris if u.strip()]
    if not uris:
        raise ValidationError("Redirect URI can't be blank.", code="blank")
    if len(" ".join(uris)) > REDIRECT_URIS_MAX_LENGTH:
        raise ValidationError("Redirect URI is too long.", code="long")
    wanted = scopes or list(DEFAULT_SCOPES)
    if any(scope not in ALL_SCOPES for scope in wanted):
        raise ValidationError("Scopes are invalid.", code="scopes")
    website = website.strip()
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise ValidationError("Website must be an http or https URL.", code="website")
    enforce("app")
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name,
        redirect_uris=" ".join(dict.fromkeys(uris)),
        scopes=" ".join(dict.fromkeys(wanted)),
        website=website,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=secret,
    )
    return application, secret


def revoke_token(application: Application, *, token: str) -> None:
    """Revoke ``token``, which must be ``application``'s; revoking twice is fine.

    Raises PermissionDenied for another app's token.
    """
    access_token = (
        get_access_token_model()
        .objects.filter(token_checksum=token_checksum(token))
        .first()
    )
    if access_token is None:
        return
    if access_token.application_id != application.pk:
        raise PermissionDenied("You are not authorized to revoke this token")
    access_token.revoke()


def publish_note_once(
    author: Account,
    *,
    idempotency_key: str | None,
    text: str,
    visibility: str,
    in_reply_to: int | None = None,
    promotional: bool = False,
) -> Post:
    """Publish a note, or return the one an earlier request with this key made.

    The key is kept for an hour and written in the note's transaction, so
    a retry finds either both or neither; of two racing requests with one
    key, the unique index lets one write and the other returns its note.
    """
    if not idempotency_key:
        return publish_note(
            author,
            text=text,
            visibility=visibility,
            in_reply_to=in_reply_to,
            promotional=promotional,
        )
    cutoff = timezone.now() - IDEMPOTENCY_WINDOW
    earlier = _note_for_key(author, idempotency_key, cutoff)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                account=author, created_at__lt=cutoff
            ).delete()
            post = publish_note(
                author,
                text=text,
                visibility=visibility,
                in_reply_to=in_reply_to,
                promotional=promotional,
            )
            IdempotencyKey.objects.create(
                account=author,
                key=idempotency_key,
                post=post,
                created_at=timezone.now(),
            )
    except IntegrityError:
        earlier = _note_for_key(author, idempotency_key, cutoff)
        if earlier is None:
            raise
        return earlier
    return post


def _note_for_key(author: Account, key: str, cutoff: datetime) -> Post | None:
    found = (
        IdempotencyKey.objects.select_related("post")
        .filter(account=author, key=key, created_at__gte=cutoff)
        .first()
    )
    return found.post if found else None
