"""The API's URL map: ninja's routes, the consent page, and a JSON 404."""

from collections.abc import Sequence

from django.urls import URLPattern, URLResolver, include, path, re_path
from django.urls.resolvers import RoutePattern

from hubbub.api.extensions import articles, news
from hubbub.api.mastodon import (
    accounts,
    apps,
    instance,
    notifications,
    reports,
    search,
    statuses,
    stubs,
    tags,
    timelines,
)
from hubbub.api.oauth import views as oauth
from hubbub.api.router import build_api, unknown_endpoint

api = build_api()
for module in (
    apps,
    instance,
    accounts,
    statuses,
    timelines,
    notifications,
    reports,
    search,
    tags,
    stubs,
    oauth,
    articles,
    news,
):
    api.add_router("", module.router)

# Groups no bigger than this are tried route by route.
_GROUP_SIZE = 4


def grouped(patterns: Sequence[URLPattern]) -> list[URLPattern | URLResolver]:
    """Return ``patterns`` nested under their leading path segments.

    Django tries a URL map's routes in order, and ninja's are one flat list
    of about a hundred; every request (the web's too, which come after) would
    try most of them. Nested under shared segments ("api/", "v1/",
    "statuses/"), a request tries a few prefixes at each level instead.
    Order within a group is kept, and reversing is unchanged.
    """
    groups: dict[str, list[URLPattern]] = {}
    for pattern in patterns:
        route = str(pattern.pattern)
        segment = route[: route.index("/") + 1] if "/" in route else route
        groups.setdefault(segment, []).append(pattern)
    nested: list[URLPattern | URLResolver] = []
    for segment, members in groups.items():
        if len(members) <= _GROUP_SIZE or "<" in segment or not segment.endswith("/"):
            nested += members
            continue
        rest = [_rerouted(m, str(m.pattern)[len(segment) :]) for m in members]
        nested.append(path(segment, include(grouped(rest))))
    return nested


def _rerouted(pattern: URLPattern, route: str) -> URLPattern:
    return URLPattern(
        RoutePattern(route, name=pattern.name, is_endpoint=True),
        pattern.callback,
        pattern.default_args,
        pattern.name,
    )


# Not named app_name: Django would take that as this module's namespace.
_ninja_patterns, _ninja_app, _ninja_namespace = api.urls
urlpatterns = [
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="oauth-authorize"),
    path(
        "",
        include((grouped(_ninja_patterns), _ninja_app), namespace=_ninja_namespace),
    ),
    re_path(r"^(?:api|oauth)(?:/.*)?$", unknown_endpoint),
]
