"""Mastodon.py 2.3.3, unmodified, against a live hubbub."""

import time
import warnings

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonUnauthorizedError

from tests.api.live import authorize_in_browser, live_hubbub, mastodon_client, people

pytestmark = pytest.mark.slow
PASSWORD = "a long client password"


@pytest.fixture
def server(transactional_db, tmp_path):
    people("ann", "ben", password=PASSWORD)
    with live_hubbub(tmp_path) as base:
        yield base


def _client(base: str, username: str) -> Mastodon:
    return mastodon_client(base, username, PASSWORD)


def _eventually(read, ready, seconds: float = 15.0):
    """Return ``read()`` once ``ready`` holds for it (the worker is async)."""
    deadline = time.monotonic() + seconds
    while True:
        found = read()
        if ready(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _conversation_flows(ann: Mastodon, ben: Mastodon, note) -> None:
    """Replies, threads, favourites, boosts, notifications, search, delete."""
    reply = ann.status_reply(note, "Lovely #Crumb")
    assert reply.in_reply_to_id == note.id
    assert [m.acct for m in reply.mentions] == ["ben"]
    assert [t.name for t in reply.tags] == ["Crumb"]
    answer = ben.status_post("thanks", in_reply_to_id=reply.id)
    context = ben.status_context(reply.id)
    assert [s.id for s in context.ancestors] == [note.id]
    assert [s.id for s in context.descendants] == [answer.id]

    assert ann.status_favourite(note.id).favourited is True
    assert ann.status_unfavourite(note.id).favourites_count == 0
    assert ann.status_favourite(note.id).favourites_count == 1
    boost = ann.status_reblog(note.id)
    assert boost.reblog.id == note.id
    assert boost.reblogged is True
    assert ann.status_unreblog(note.id).reblogged is False
    ann.status_reblog(note.id)

    wanted = {"mention", "favourite", "reblog", "follow"}
    notes = _eventually(
        ben.notifications, lambda found: {n.type for n in found} >= wanted
    )
    assert {n.type for n in notes} == wanted
    mentions = ben.notifications(types=["mention"])
    assert [n.status.id for n in mentions] == [reply.id]
    ben.notifications_dismiss(mentions[0].id)
    assert not ben.notifications(types=["mention"])
    ben.notifications_clear()
    assert ben.notifications() == []

    found = ann.search_v2("crumb")
    assert [s.id for s in found.statuses] == [reply.id]
    assert [t.name for t in found.hashtags] == ["Crumb"]
    assert [a.acct for a in ann.search_v2("ben", result_type="accounts").accounts] == [
        "ben"
    ]

    deleted = ann.status_delete(reply.id)
    assert deleted.text == "@ben Lovely #Crumb"
    # By id: the author embedded in each copy carries counters (posts,
    # conversation signal) that the worker may update in between.
    assert [s.id for s in ben.status_context(note.id).descendants] == [answer.id]


def test_mastodon_py_core_flows(server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ann = _client(server, "ann@example.com")
        ben = _client(server, "ben")

    assert ann.retrieve_mastodon_version() == "4.3.0"
    assert ann.instance_v2().configuration.statuses.max_characters == 140
    me = ann.account_verify_credentials()
    assert me.username == "ann"
    assert me.acct == "ann"
    assert ann.app_verify_credentials().name == "hubbub tests"

    ben_id = ben.me().id
    relationship = ann.account_follow(ben_id)
    assert relationship.following
    assert ann.account_relationships([ben_id])[0].following
    assert ben.account_relationships(ann.me().id)[0].followed_by

    posted = [ben.status_post(f"note {i}", idempotency_key=f"k{i}") for i in range(3)]
    again = ben.status_post("note 2", idempotency_key="k2")
    assert again.id == posted[2].id
    with pytest.raises(MastodonAPIError) as too_long:
        ben.status_post("x" * 141)
    assert too_long.value.args[1] == 422
    assert ben.status(posted[0].id).content == "<p>note 0</p>"

    page = ben.timeline_home(limit=2)
    assert [s.id for s in page] == [posted[2].id, posted[1].id]
    older = ben.fetch_next(page)
    assert [s.id for s in older] == [posted[0].id]
    assert ben.fetch_next(older) is None
    newer = ben.fetch_previous(older)
    assert [s.id for s in newer] == [posted[2].id, posted[1].id]
    public = ann.timeline_public(limit=3)
    assert {s.id for s in public} == {s.id for s in posted}
    assert ann.timeline_local(limit=1)[0].id == posted[2].id

    _conversation_flows(ann, ben, posted[0])

    assert ann.account_unfollow(ben_id).following is False

    # The authorization code flow, with the out-of-band redirect.
    code_app = Mastodon(
        client_id=ann.client_id, client_secret=ann.client_secret, api_base_url=server
    )
    url = code_app.auth_request_url(scopes=["read", "write"], allow_http=True)
    code = authorize_in_browser(url, "ann", PASSWORD, app_name="hubbub tests")
    code_app.log_in(code=code, scopes=["read", "write"], allow_http=True)
    assert code_app.me().username == "ann"

    for api in (ann, code_app):
        old_token = api.access_token
        api.revoke_access_token(allow_http=True)
        with pytest.raises(MastodonUnauthorizedError):
            Mastodon(
                access_token=old_token, api_base_url=server
            ).account_verify_credentials()
