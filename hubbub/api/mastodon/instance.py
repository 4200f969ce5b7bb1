"""``/api/v1/instance`` and ``/api/v2/instance``: what this server is.

Both answer anonymously, always: Mastodon.py reads the version from v1
before anything else and recurses without end when it cannot.
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from ninja import Router

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.http import json_response
from hubbub.api.router import MASTODON_VERSION
from hubbub.posts.models import Post

router = Router(tags=["instance"])
STATS_CACHE_SECONDS = 60
DESCRIPTION = (
    "A social web server where conversation comes first: a microblog, "
    "social news and blogs in one conversation."
)


def _stats() -> dict[str, int]:
    # Counting every row on each call would cost a scan; a minute-old
    # count is what Mastodon shows too.
    stats: dict[str, int] | None = cache.get("api:instance:stats")
    if stats is None:
        stats = {
            "user_count": Account.objects.filter(is_active=True).count(),
            "status_count": Post.objects.filter(deleted_at__isnull=True).count(),
            "domain_count": 0,
        }
        cache.set("api:instance:stats", stats, STATS_CACHE_SECONDS)
    return stats


def _statuses_configuration() -> dict[str, int]:
    return {
        "max_characters": settings.HUBBUB_MAX_CHARACTERS,
        "max_media_attachments": 0,
        "characters_reserved_per_url": settings.HUBBUB_CHARACTERS_PER_URL,
    }


def _configuration() -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": _statuses_configuration(),
        # Media and polls are not built yet; zero limits say so.
        "media_attachments": {
            "supported_mime_types": [],
            "image_size_limit": 0,
            "image_matrix_limit": 0,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
    }


def _streaming_url(request: HttpRequest) -> str:
    # `hubbub serve` runs the streaming server on its own port and says
    # where; a lone web process assumes a proxy routes streaming to it.
    if settings.HUBBUB_STREAMING_URL:
        return str(settings.HUBBUB_STREAMING_URL)
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}"


@router.get(
    "/api/v1/instance", response={200: schemas.InstanceV1, **schemas.errors(429)}
)
def instance_v1(request: HttpRequest) -> HttpResponse:
    """Describe this server (Instance v1)."""
    return json_response(
        {
            "uri": request.get_host(),
            "title": settings.HUBBUB_INSTANCE_TITLE,
            "short_description": DESCRIPTION,
            "description": DESCRIPTION,
            "email": "",
            "version": MASTODON_VERSION,
            "urls": {"streaming_api": _streaming_url(request)},
            "stats": _stats(),
            "thumbnail": None,
            "languages": ["en"],
            "registrations": True,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": _configuration(),
            "contact_account": None,
            "rules": [],
            "translation": {"enabled": False},
        }
    )


@router.get(
    "/api/v2/instance", response={200: schemas.InstanceV2, **schemas.errors(429)}
)
def instance_v2(request: HttpRequest) -> HttpResponse:
    """Describe this server (Instance v2)."""
    base = f"{request.scheme}://{request.get_host()}"
    return json_response(
        {
            "domain": request.get_host(),
            "title": settings.HUBBUB_INSTANCE_TITLE,
            "version": MASTODON_VERSION,
            "source_url": f"{base}/",
            "description": DESCRIPTION,
            "usage": {"users": {"active_month": _stats()["user_count"]}},
            "thumbnail": {"url": base + static("hubbub/api/header.png")},
            "icon": [],
            "languages": ["en"],
            "configuration": {
                **_configuration(),
                "urls": {"streaming": _streaming_url(request)},
                "vapid": {"public_key": ""},
                "translation": {"enabled": False},
            },
            "registrations": {
                "enabled": True,
                "approval_required": False,
                "message": None,
            },
            "contact": {"email": "", "account": None},
            "rules": [],
            "api_versions": {"mastodon": 2},
        }
    )
