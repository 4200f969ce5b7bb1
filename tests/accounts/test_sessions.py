"""The session store reads sessions with a prepared query, as Django would."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubbub.accounts.sessions import CachedSessionStore, SessionStore
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_with_its_data():
    store = SessionStore()
    store["colour"] = "green"
    store.save()

    loaded = SessionStore(store.session_key)

    assert loaded["colour"] == "green"
    assert loaded.session_key == store.session_key


def test_an_unknown_key_loads_nothing_and_is_dropped():
    store = SessionStore("nosuchsessionkey0123456789abcdef")

    assert dict(store.items()) == {}
    assert store.session_key is None


def test_an_expired_session_loads_nothing():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    loaded = SessionStore(store.session_key)

    assert "colour" not in loaded
    assert loaded.session_key is None


def test_a_signed_in_page_ends_when_its_session_expires(alice, settings):
    # The store is the engine without Redis; with it, the cached store
    # keeps sessions in Redis too, so set it here for both runs.
    settings.SESSION_ENGINE = "hubbub.accounts.sessions"
    client = logged_in(Client(), alice)
    assert client.get("/").status_code == 200

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/public"


def test_both_stores_tell_when_the_loaded_session_ends():
    for store_class in (SessionStore, CachedSessionStore):
        store = store_class()
        store["colour"] = "green"
        store.save()
        row = Session.objects.get(session_key=store.session_key)

        loaded = store_class(store.session_key)
        assert loaded["colour"] == "green"
        assert loaded.expire_date is not None
        # Never later than the row says, so nothing outlives the session.
        assert row.expire_date - timedelta(seconds=1) < loaded.expire_date
        assert loaded.expire_date <= row.expire_date


def test_the_cached_store_reads_a_saved_session_from_the_cache_alone():
    store = CachedSessionStore()
    store["colour"] = "green"
    store.save()

    with CaptureQueriesContext(connection) as queries:
        loaded = CachedSessionStore(store.session_key)
        assert loaded["colour"] == "green"
    assert len(queries) == 0
    assert loaded.expire_date == store.expire_date


def test_the_cached_store_reads_an_entry_of_another_shape_from_the_database():
    store = CachedSessionStore()
    store["colour"] = "green"
    store.save()
    # As Django's cached_db leaves it: the data alone.
    store._cache.set(store.cache_key, {"colour": "stale"})

    loaded = CachedSessionStore(store.session_key)

    assert loaded["colour"] == "green"
    assert loaded.expire_date is not None
    cached = store._cache.get(store.cache_key)
    assert cached == ({"colour": "green"}, loaded.expire_date)
