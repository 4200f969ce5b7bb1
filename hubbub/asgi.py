"""ASGI entry point, used only for streaming."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")

application = get_asgi_application()
