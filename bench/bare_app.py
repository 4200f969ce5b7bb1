"""A bare Django view returning a fixed body, served like hubbub.

``BENCH_BARE_BODY_BYTES`` sets the body's size (the benchmark passes the
home page's size), so both servers write the same bytes per response.

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


def fixed(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("", fixed)]

application = get_wsgi_application()
