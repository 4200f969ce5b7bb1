"""ASGI entry point of the streaming server: ``hubbub streaming`` serves it."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
django.setup()

from hubbub.streaming.app import application  # noqa: E402

__all__ = ["application"]
