"""The API benchmark's baseline: hubbub's settings, no middleware, one view.

``bench.bare_app``'s JSON view answers ``/api`` with a fixed body of the
API page's size; nothing runs around it, so the baseline is Django's own
request handling and nothing else.
"""

from bench.bare_settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
