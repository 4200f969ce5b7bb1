"""hubbub's settings with a one-view URL map: the HTTP benchmark's baseline.

Same middleware, same database settings, same server: only hubbub's own
work (session and account lookups, the timeline query, the templates) is
missing, because nothing touches ``request.user`` or the database.
"""

from hubbub.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_app"
