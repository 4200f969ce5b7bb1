"""The URL map: each interface wires its own routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("hubbub.api.urls")),
    path("", include("hubbub.web.urls")),
]
