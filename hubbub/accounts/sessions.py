"""Sessions in the database, read with a query compiled once.

Every signed-in page reads its session first, and Django's database store
builds and compiles that query anew each time. This store runs the same
query prepared (``hubbub.core.prepared``) and leaves out an expired
session, as Django's store does.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from hubbub.core.prepared import PreparedQueries, Stand

_sessions = PreparedQueries(Session)


def _by_key(stand: Stand) -> QuerySet[Session]:
    return Session.objects.filter(session_key=stand.text("key"))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = key and _sessions.run("by key", _by_key, values={"key": key})
        # The expiry is tested here rather than in SQL: the query's one
        # value is the key, and a row past it is as good as none.
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
