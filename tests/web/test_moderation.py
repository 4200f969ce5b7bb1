"""Reporting, the moderators' queue and the public log, through the pages
with CSRF checks on."""

import re

import pytest
from django.test import Client

from hubbub.accounts.models import Account
from hubbub.moderation.models import Action, LogEntry, Reason, Report
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from hubbub.posts.queries import visible_posts
from tests.conftest import logged_in
from tests.factories import PASSWORD
from tests.web.test_pages import csrf_token, submit, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db) -> Account:
    return Account.objects.create_user("mod", password=PASSWORD, is_staff=True)


@pytest.fixture
def note(bob) -> Post:
    return publish_note(bob, text="The tea at the station was cold again")


def _client(account: Account) -> Client:
    return logged_in(Client(enforce_csrf_checks=True), account)


def test_report_a_note_from_its_buttons(csrf_client, alice, note):
    client = logged_in(csrf_client, alice)
    page = text_of(client.get(f"/@bob/{note.id}"))
    report_url = f"/@bob/{note.id}/report"
    assert f'href="{report_url}"' in page

    form = text_of(client.get(report_url))
    # Each reason is a radio button with its own label, inside a fieldset.
    assert "<legend>Why are you reporting it?</legend>" in form
    for value, label in Reason.choices:
        match = re.search(rf'<input[^>]*value="{value}"[^>]*id="([^"]+)"', form)
        assert match, value
        assert f'<label for="{match.group(1)}">{label}</label>' in form

    response = submit(
        client,
        report_url,
        report_url,
        {"reason": "promotional", "comment": "An event push"},
    )
    assert response.status_code == 200
    assert "is with the moderators" in text_of(response)
    report = Report.objects.get()
    assert (report.reporter_id, report.post_id, report.reason) == (
        alice.pk,
        note.id,
        Reason.PROMOTIONAL,
    )
    assert report.comment == "An event push"


def test_a_report_without_a_reason_is_refused(csrf_client, alice, note):
    client = logged_in(csrf_client, alice)
    url = f"/@bob/{note.id}/report"
    response = submit(client, url, url, {"comment": "hm"})
    assert response.status_code == 400
    assert "This field is required" in text_of(response)
    assert not Report.objects.exists()


def test_a_report_needs_the_csrf_token(csrf_client, alice, note):
    client = logged_in(csrf_client, alice)
    response = client.post(f"/@bob/{note.id}/report", {"reason": "spam"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_report_an_account_from_its_profile(csrf_client, alice, bob):
    client = logged_in(csrf_client, alice)
    assert 'href="/@bob/report"' in text_of(client.get("/@bob"))
    response = submit(client, "/@bob/report", "/@bob/report", {"reason": "spam"})
    assert response.status_code == 200
    report = Report.objects.get()
    assert (report.account_id, report.post_id) == (bob.pk, None)


def test_visitors_are_asked_to_log_in_to_report(note):
    page = Client().get(f"/@bob/{note.id}/report")
    assert page.status_code == 200
    assert "Log in to report it" in text_of(page)
    assert (
        Client()
        .post(f"/@bob/{note.id}/report", {"reason": "spam"})["Location"]
        .startswith("/login")
    )


def test_the_queue_is_a_404_for_everyone_but_moderators(csrf_client, alice):
    assert csrf_client.get("/moderation").status_code == 404
    assert _client(alice).get("/moderation").status_code == 404
    assert _client(alice).post("/moderation/reports/1", {}).status_code == 403


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("hide", lambda note, bob: not visible_posts(None).filter(id=note.id)),
        (
            "delete",
            lambda note, bob: Post.objects.get(id=note.id).deleted_at is not None,
        ),
        (
            "silence",
            lambda note, bob: Account.objects.get(pk=bob.pk).silenced_at is not None,
        ),
        ("suspend", lambda note, bob: not Account.objects.get(pk=bob.pk).is_active),
        (
            "label",
            lambda note, bob: (
                Post.objects.get(id=note.id).promotional_source == "moderator"
            ),
        ),
        ("dismiss", lambda note, bob: True),
    ],
)
def test_a_moderator_works_the_queue(alice, bob, mod, note, action, check):
    from hubbub.moderation.actions import report_post

    report = report_post(alice, post=note, reason=Reason.PROMOTIONAL)
    client = _client(mod)
    queue = text_of(client.get("/moderation"))
    assert "The tea at the station was cold again" in queue
    assert "Reported by @alice" in queue
    prefix = str(report.pk)

    response = submit(
        client,
        "/moderation",
        f"/moderation/reports/{report.pk}",
        {f"{prefix}-action": action, f"{prefix}-reason": f"Because {action}"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/moderation"
    assert check(note, bob)
    entry = LogEntry.objects.get()
    assert entry.action == Action(action)
    assert "No open reports" in text_of(client.get("/moderation"))
    # The public log, for anyone, with the reason.
    log = text_of(Client().get("/moderation/log"))
    assert f"Because {action}" in log
    assert Action(action).label in log
    assert "@bob" in log


def test_a_queue_action_without_a_reason_changes_nothing(alice, bob, mod, note):
    from hubbub.moderation.actions import report_post

    report = report_post(alice, post=note, reason=Reason.SPAM)
    client = _client(mod)
    prefix = str(report.pk)
    response = submit(
        client,
        "/moderation",
        f"/moderation/reports/{report.pk}",
        {f"{prefix}-action": "suspend", f"{prefix}-reason": ""},
    )
    assert response.status_code == 400
    assert "This field is required" in text_of(response)
    assert Account.objects.get(pk=bob.pk).is_active
    assert not LogEntry.objects.exists()


def test_the_queue_needs_the_csrf_token(alice, mod, note):
    from hubbub.moderation.actions import report_post

    report = report_post(alice, post=note, reason=Reason.SPAM)
    client = _client(mod)
    csrf_token(client, "/moderation")
    response = client.post(
        f"/moderation/reports/{report.pk}",
        {f"{report.pk}-action": "dismiss", f"{report.pk}-reason": "x"},
    )
    assert response.status_code == 403
    assert not LogEntry.objects.exists()


def test_the_log_pages_back(db, mod, bob, settings):
    from hubbub.moderation.actions import record
    from hubbub.web.views import moderation

    for n in range(moderation.LOG_PAGE_SIZE + 1):
        record(mod, action=Action.DISMISS, reason=f"reason {n:03}", account=bob)
    first = text_of(Client().get("/moderation/log"))
    assert "reason 050" in first
    assert "reason 000" not in first
    older = re.search(r'href="\?max_id=(\d+)"', first)
    assert older
    second = text_of(Client().get(f"/moderation/log?max_id={older.group(1)}"))
    assert "reason 000" in second
    assert Client().get("/moderation/log?max_id=x").status_code == 400


def test_the_moderators_link_shows_for_staff_only(alice, mod):
    assert 'href="/moderation"' in text_of(_client(mod).get("/"))
    assert 'href="/moderation"' not in text_of(_client(alice).get("/"))
    assert 'href="/moderation/log"' in text_of(Client().get("/public"))
