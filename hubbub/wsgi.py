"""WSGI entry point: granian serves request/response through this."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")

application = get_wsgi_application()
