"""Template context every page shares."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_title": settings.HUBBUB_INSTANCE_TITLE,
        "max_characters": settings.HUBBUB_MAX_CHARACTERS,
    }
