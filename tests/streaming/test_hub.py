"""Routing: which connection gets which event, rendered for whom."""

import orjson
import pytest

from hubbub.accounts.actions import follow_account
from hubbub.api.auth import load_token
from hubbub.core import events
from hubbub.posts.actions import publish_note
from hubbub.streaming import hub as hubs
from hubbub.streaming.hub import Listener, StreamError, route, stream_for
from tests.api.conftest import make_token


def listen(token: str | None, name: str, tag: str | None = None) -> Listener:
    found = load_token(token) if token else None
    return Listener(found, frozenset({stream_for(name, tag, found)}))


def created(post) -> list[events.Event]:
    return [events.Event(events.POST_CREATED, {"post_id": post.id})]


def test_update_reaches_followers_and_public_streams(alice, bob, carol, run_jobs):
    follow_account(bob, followee=alice)
    bobs, carols = (
        listen(make_token(bob, "read"), "user"),
        listen(make_token(carol, "read"), "user"),
    )
    public, tag = listen(None, "public"), listen(None, "hashtag", "#Cats")
    with run_jobs():
        post = publish_note(alice, text="hello #cats")
    sent = route(created(post), [bobs, carols, public, tag])
    assert [(who, m[0], m[1]) for who, m in sent] == [
        (bobs, ("user",), "update"),
        (public, ("public",), "update"),
        (tag, ("hashtag", "cats"), "update"),
    ]
    # Rendered for the stream's user: viewer flags only with a user.
    assert "reblogged" in orjson.loads(sent[0][1][2])
    assert "reblogged" not in orjson.loads(sent[1][1][2])


def test_followers_only_posts_stay_off_public_streams(alice, bob, run_jobs):
    follow_account(bob, followee=alice)
    bobs, public = listen(make_token(bob, "read"), "user"), listen(None, "public")
    with run_jobs():
        post = publish_note(alice, text="friends only", visibility="followers")
    assert [who for who, _ in route(created(post), [bobs, public])] == [bobs]


def test_delete_and_notification_routing(alice, bob):
    from hubbub.notifications.actions import notify
    from hubbub.notifications.models import NotificationType

    alices = listen(make_token(alice, "read:notifications"), "user:notification")
    public = listen(None, "public")
    deleted = events.Event(events.POST_DELETED, {"post_id": 12, "author_id": 1})
    assert [(who, m) for who, m in route([deleted], [alices, public])] == [
        (public, (("public",), "delete", "12"))
    ]
    followed = notify(alice.pk, actor_id=bob.pk, kind=NotificationType.FOLLOW)
    note = events.Event(
        events.NOTIFICATION_CREATED,
        {"notification_id": followed.id, "recipient_id": alice.pk},
    )
    sent = route([note], [alices, public])
    assert [(who, m[0], m[1]) for who, m in sent] == [
        (alices, ("user:notification",), "notification")
    ]
    entity = orjson.loads(sent[0][1][2])
    assert (entity["id"], entity["type"]) == (str(followed.id), "follow")
    assert entity["account"]["username"] == "bob"


def test_stream_rules(alice):
    assert stream_for("public", None, None) == ("public",)
    with pytest.raises(StreamError) as anonymous:
        stream_for("user", None, None)
    assert anonymous.value.status == 401
    wrong_scope = load_token(make_token(alice, "read:accounts"))
    for name in ("user", "public"):
        with pytest.raises(StreamError) as refused:
            stream_for(name, None, wrong_scope)
        assert refused.value.status == 403
    with pytest.raises(StreamError):
        stream_for("hashtag", "", None)


def test_revoked_tokens_and_deactivated_accounts(alice, bob):
    alices, bobs = (
        listen(make_token(alice, "read"), "user"),
        listen(make_token(bob, "read"), "user"),
    )
    assert hubs.revoked([alices, bobs]) == []
    from oauth2_provider.models import AccessToken

    AccessToken.objects.filter(id=alices.credentials.token_id).delete()
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert hubs.revoked([alices, bobs]) == [alices, bobs]


def test_web_session_streams_end_with_the_session(alice, client):
    client.force_login(alice)
    key = client.session.session_key
    found = hubs.session_credentials(key)
    assert found.account == alice
    assert stream_for("user", None, found) == ("user",)
    web = Listener(found, frozenset({("user",)}), session_key=key)
    assert hubs.revoked([web]) == []
    client.logout()
    assert hubs.session_credentials(key) is None
    assert hubs.revoked([web]) == [web]
