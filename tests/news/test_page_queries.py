"""The news pages' SQL queries per request: a regression fails here.

A page may read the session and the signed-in account (Django's two) and
then one query for its stories, the threshold riding along as a column.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hubbub.news.actions import digg_story
from hubbub.news.models import State
from tests.conftest import logged_in
from tests.news.conftest import members, story_by, submitted_ago

# Queries a page may cost: session, account, stories.
SIGNED_IN_LIMIT = 3
ANONYMOUS_LIMIT = 1


@pytest.fixture
def news_with_stories(submitter):
    crowd = members(6)
    promoted = submitted_ago(story_by(submitter, "https://front.example/"), 30)
    for voter in crowd:
        digg_story(voter, story=promoted)
    promoted.refresh_from_db()
    assert promoted.state == State.PROMOTED
    waiting = story_by(submitter, "https://upcoming.example/")
    digg_story(crowd[0], story=waiting)
    return crowd[0]


def _queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)  # warm: the session, template loading
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        ("/news", "front.example"),
        ("/news/newest", "front.example"),
        ("/news/upcoming", "upcoming.example"),
        ("/news/upcoming?sort=newest", "upcoming.example"),
    ],
)
def test_news_pages_cost_one_query_and_the_sign_in(news_with_stories, path, shows):
    count, body = _queries(Client(), path)
    assert shows in body
    assert "effective diggs from" in body  # the threshold sentence
    assert count <= ANONYMOUS_LIMIT, f"anonymous {path}: {count} queries"
    count, body = _queries(logged_in(Client(), news_with_stories), path)
    assert shows in body
    assert count <= SIGNED_IN_LIMIT, f"signed-in {path}: {count} queries"
