"""The serializer's own shortcuts, checked against what they stand for."""

import orjson
import pytest
from django.urls import reverse

from bench.serialise import BASE, build_page
from hubbub.api import schemas
from hubbub.api.serializers import NOTIFICATION_TYPES, Serializer, url_maker
from hubbub.notifications.models import NotificationType


@pytest.mark.parametrize(
    "argument", ["alice", "under_score", "café", "日本語", "x%y", "a+b", "é́"]
)
@pytest.mark.parametrize("name", ["web:profile", "web:tag"])
def test_url_maker_builds_what_reverse_does(name, argument):
    make = url_maker("https://social.example", name)
    expected = "https://social.example" + reverse(name, args=[argument])
    assert make(argument) == expected
    assert make(argument) == expected  # and again, from its cache


def test_the_benchmark_page_renders_valid_statuses():
    """bench/serialise.py times this page: it must be what the API sends."""
    viewer, posts, data = build_page()
    rendered = Serializer(BASE, viewer).render_statuses(posts, data)
    assert len(rendered) == len(posts)
    for status in orjson.loads(orjson.dumps(rendered)):
        schemas.Status.model_validate(status)
    assert any(s["reblog"] for s in rendered)
    assert any(s["in_reply_to_account_id"] for s in rendered)
    assert any(s["mentions"] and s["tags"] for s in rendered)
    assert rendered[0]["account"]["url"] == f"{BASE}/@person0"


def test_every_notification_type_has_a_mastodon_name():
    """A type without one would make every notifications page a 500."""
    assert set(NOTIFICATION_TYPES) == {kind.value for kind in NotificationType}
    assert set(NOTIFICATION_TYPES.values()) <= TOOT_NOTIFICATION_TYPES


# The types toot 0.52.1 understands (it only warns on others).
TOOT_NOTIFICATION_TYPES = {
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
}
