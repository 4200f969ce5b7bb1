"""What every API and OAuth request goes through before its view."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from hubbub.api.http import json_response
from hubbub.api.ratelimit import quota_for

# Mastodon.py asks for /api/v1/instance/ and toot opens /oauth/authorize/,
# so these routes answer with or without a trailing slash.
SLASH_OPTIONAL = ("/api/", "/oauth/", "/.well-known/")


class ApiMiddleware:
    """Strip trailing slashes; rate-limit /api/ and token requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(SLASH_OPTIONAL) and path.endswith("/"):
            request.path_info = path.rstrip("/")
        quota = quota_for(request)
        if quota is None:
            return self.get_response(request)
        if quota.exceeded:
            response = json_response(
                {"error": "Too many requests"},
                status=429,
                headers={"Retry-After": str(quota.retry_after)},
            )
        else:
            response = self.get_response(request)
            if response.status_code >= 400 and not _is_json(response):
                # Django's and ninja's own refusals (405, 500) are HTML or
                # empty; clients parse every API answer as JSON.
                allow = response.get("Allow")
                response = json_response(
                    {"error": response.reason_phrase}, status=response.status_code
                )
                if allow:
                    response["Allow"] = allow
        for name, value in quota.headers().items():
            # An action's own refusal (core.ratelimits) carries the headers
            # of the limit it hit; those are the ones the client needs.
            response.setdefault(name, value)
        if not response.has_header("Date"):
            # Mastodon.py corrects its clock with it when pacing requests.
            response["Date"] = http_date()
        return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
