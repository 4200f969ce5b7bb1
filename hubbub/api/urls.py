"""The API's URL map: ninja's routes, the consent page, and a JSON 404."""

from django.urls import path, re_path

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

urlpatterns = [
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="oauth-authorize"),
    path("", api.urls),
    re_path(r"^(?:api|oauth)(?:/.*)?$", unknown_endpoint),
]
