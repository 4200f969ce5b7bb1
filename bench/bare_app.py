"""Bare Django views returning a fixed body, served like hubbub.

``BENCH_BARE_BODY_BYTES`` sets the body's size (the benchmark passes the
size of hubbub's answer), so both servers write the same bytes per
response: HTML at ``/``, a JSON array at ``/api`` (``bench.api``).

    python -m granian --interface wsgi ... bench.bare_app:application
"""

import os

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")

_SIZE = int(os.environ.get("BENCH_BARE_BODY_BYTES", "8192"))
_HEAD = b"<!doctype html>\n<html><body>\n"
BODY = _HEAD + b"x" * max(0, _SIZE - len(_HEAD))


_JSON_HEAD = b'[{"id":"'
JSON_BODY = _JSON_HEAD + b"x" * max(0, _SIZE - len(_JSON_HEAD) - 3) + b'"}]'


def fixed(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


def fixed_json(request: HttpRequest) -> HttpResponse:
    return HttpResponse(JSON_BODY, content_type="application/json")


urlpatterns = [path("", fixed), path("api", fixed_json)]

application = get_wsgi_application()
