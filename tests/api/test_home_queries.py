"""The API's home timeline costs at most three SQL queries a page (issue 7).

The token with its account, the page of statuses, and the page's mentions
and tags together: whatever the page holds. A kept page costs fewer.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubbub.accounts.actions import follow_account
from hubbub.api.auth import known_tokens
from hubbub.core import kept_responses
from hubbub.posts.actions import boost_post, favourite_post, publish_note
from tests.api.conftest import ApiClient, make_token
from tests.conftest import make_account, run_queued_tasks

MAX_QUERIES = 3


def test_a_full_home_page_takes_three_queries(alice, bob, carol, run_jobs):
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    with run_jobs():
        first = publish_note(bob, text="Morning @carol, see #Rivers and #maps")
        reply = publish_note(carol, text="@bob hello back #maps", in_reply_to=first)
        publish_note(alice, text="My own note @bob")
        elsewhere = publish_note(make_account("dave"), text="Far away #maps @bob")
        boost_post(carol, post=elsewhere)
        favourite_post(alice, post=reply)
        for n in range(20):
            publish_note(bob if n % 2 else carol, text=f"Note {n} #n{n % 3}")
    api = ApiClient(make_token(alice, "read"))
    api.get("/api/v1/timelines/home")  # a client's second call: caches warm

    with CaptureQueriesContext(connection) as queries:
        page = api.get("/api/v1/timelines/home?limit=40")

    assert page.status_code == 200
    assert len(queries) <= MAX_QUERIES, [q["sql"] for q in queries]
    statuses = page.json()
    assert len(statuses) == 24
    by_id = {s["id"]: s for s in statuses}
    shown_reply = by_id[str(reply.id)]
    assert shown_reply["in_reply_to_account_id"] == str(bob.id)
    assert shown_reply["favourited"] is True
    assert [m["username"] for m in shown_reply["mentions"]] == ["bob"]
    assert [t["name"] for t in shown_reply["tags"]] == ["maps"]
    shown_first = by_id[str(first.id)]
    assert [m["acct"] for m in shown_first["mentions"]] == ["carol"]
    assert sorted(t["name"] for t in shown_first["tags"]) == ["Rivers", "maps"]
    boost = next(s for s in statuses if s["reblog"])
    assert boost["account"]["username"] == "carol"
    assert boost["reblog"]["id"] == str(elsewhere.id)
    assert [t["name"] for t in boost["reblog"]["tags"]] == ["maps"]
    assert [m["username"] for m in boost["reblog"]["mentions"]] == ["bob"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_page_still_takes_three_queries_and_a_kept_one_less():
    # As in production: the database's stamp is read (on PostgreSQL
    # without Redis with the token, in the same statement), the page is
    # kept under it, and sent again while nothing stored changes.
    alice, bob = make_account("alice"), make_account("bob")
    follow_account(alice, followee=bob)
    publish_note(bob, text="Morning @alice #maps")
    run_queued_tasks()
    api = ApiClient(make_token(alice, "read"))
    api.get("/api/v1/timelines/home")
    kept_responses.responses.clear()
    known_tokens.clear()

    with CaptureQueriesContext(connection) as made:
        first = api.get("/api/v1/timelines/home")
    with CaptureQueriesContext(connection) as kept:
        again = api.get("/api/v1/timelines/home")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert len(made) <= MAX_QUERIES, [q["sql"] for q in made]
    # SQLite's stamp is no query, nor is one kept in Redis; PostgreSQL's
    # own comes with the token.
    snapshot_only = connection.vendor == "postgresql" and not settings.REDIS_URL
    assert len(kept) == (1 if snapshot_only else 0)
