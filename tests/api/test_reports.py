"""POST /api/v1/reports: an account, or statuses of it, to the moderators."""

import pytest

from hubbub.moderation.models import Reason, Report
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Visibility
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "write:reports"))


def test_report_statuses_of_an_account(alice, bob, alice_api):
    posts = [publish_note(bob, text=f"advert {n}") for n in range(2)]
    response = alice_api.post_json(
        "/api/v1/reports",
        {
            "account_id": str(bob.pk),
            "status_ids": [str(p.id) for p in posts],
            "comment": "Adverts all day",
            "category": "spam",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["category"] == "spam"
    assert body["action_taken"] is False
    assert body["comment"] == "Adverts all day"
    assert body["status_ids"] == [str(p.id) for p in posts]
    assert body["target_account"]["acct"] == "bob"
    reports = Report.objects.order_by("id")
    assert [(r.post_id, r.reason) for r in reports] == [
        (p.id, Reason.SPAM) for p in posts
    ]


def test_report_an_account_with_a_hubbub_reason(alice, bob, alice_api):
    response = alice_api.post(
        "/api/v1/reports", {"account_id": str(bob.pk), "category": "promotional"}
    )
    assert response.status_code == 200
    assert response.json()["category"] == "other"
    assert response.json()["hubbub"] == {"reason": "promotional"}
    assert Report.objects.get().post_id is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"account_id": ""}, 422),
        ({"account_id": "999999"}, 404),
        ({"category": "shouting"}, 422),
        ({"comment": "x" * 1001}, 422),
    ],
)
def test_bad_reports_write_nothing(alice, bob, alice_api, body, status):
    response = alice_api.post_json(
        "/api/v1/reports", {"account_id": str(bob.pk), **body}
    )
    assert response.status_code == status, response.json()
    assert "error" in response.json()
    assert not Report.objects.exists()


def test_statuses_must_be_the_accounts_and_visible(alice, bob, carol, alice_api):
    mine = publish_note(carol, text="not bob's")
    hidden = publish_note(bob, text="secret", visibility=Visibility.FOLLOWERS)
    ok = publish_note(bob, text="fine")
    wrong = alice_api.post_json(
        "/api/v1/reports",
        {"account_id": str(bob.pk), "status_ids": [str(ok.id), str(mine.id)]},
    )
    assert wrong.status_code == 422
    unseen = alice_api.post_json(
        "/api/v1/reports", {"account_id": str(bob.pk), "status_ids": [str(hidden.id)]}
    )
    assert unseen.status_code == 404
    assert not Report.objects.exists()


def test_reporting_needs_the_scope(alice, bob):
    body = {"account_id": str(bob.pk)}
    assert ApiClient().post_json("/api/v1/reports", body).status_code == 401
    read_only = ApiClient(make_token(alice, "read"))
    assert read_only.post_json("/api/v1/reports", body).status_code == 403
