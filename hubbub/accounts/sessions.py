"""Sessions in the database, read with a query compiled once.

Every signed-in page reads its session first, and Django's database store
builds and compiles that query anew each time. This store runs the same
query prepared (``hubbub.core.prepared``) and leaves out an expired
session, as Django's store does. With Redis, ``CachedSessionStore`` (the
engine ``hubbub.accounts.cached_sessions``) keeps each session in the cache
too, as Django's ``cached_db`` does.

Both tell when the loaded session ends (``expire_date``): a response kept
for a session (``hubbub.core.kept_responses``) is never sent after that.
"""

from datetime import datetime

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db, db
from django.contrib.sessions.models import Session
from django.core.cache.backends.base import BaseCache
from django.db.models import QuerySet
from django.utils import timezone

from hubbub.core.prepared import PreparedQueries, Stand

_sessions = PreparedQueries(Session)


def _by_key(stand: Stand) -> QuerySet[Session]:
    return Session.objects.filter(session_key=stand.text("key"))


class SessionStore(db.SessionStore):
    # When the loaded session ends, as its row says.
    expire_date: datetime | None = None

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = key and _sessions.run("by key", _by_key, values={"key": key})
        # The expiry is tested here rather than in SQL: the query's one
        # value is the key, and a row past it is as good as none.
        if found and found[0].expire_date > timezone.now():
            self.expire_date = found[0].expire_date
            return found[0]
        self._session_key = None
        return None


class CachedSessionStore(SessionStore, cached_db.SessionStore):
    """Sessions in the database and the cache; the cache holds each
    session's data with its end, as (data, expire_date)."""

    _cache: BaseCache  # set by cached_db's __init__

    def load(self) -> dict[str, object]:
        try:
            cached = self._cache.get(self.cache_key)
        except Exception:
            # As cached_db: a key the cache refuses reads the database.
            cached = None
        if isinstance(cached, tuple):
            data, expires = cached
            if expires <= timezone.now():
                # As the database store: an ended session is none.
                self._session_key = None
                return {}
            self.expire_date = expires
            return dict(data)
        found = self._get_session_from_db()
        if found is None:
            return {}
        data = self.decode(found.session_data)
        self._cache.set(
            self.cache_key,
            (data, found.expire_date),
            self.get_expiry_age(expiry=found.expire_date),
        )
        return data

    def save(self, must_create: bool = False) -> None:
        # Taken before the row's own, so never later than it.
        expires = self.get_expiry_date()
        db.SessionStore.save(self, must_create)
        self.expire_date = expires
        self._cache.set(
            self.cache_key, (dict(self.items()), expires), self.get_expiry_age()
        )

    async def aload(self) -> dict[str, object]:
        return await sync_to_async(self.load)()

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)
