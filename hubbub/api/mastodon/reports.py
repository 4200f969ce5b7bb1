"""``/api/v1/reports``: report an account, or some of its statuses."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from hubbub.accounts.queries import get_account_by_id
from hubbub.api import schemas
from hubbub.api.auth import requires, signed_in
from hubbub.api.http import json_response
from hubbub.api.parsing import Flag, IdList, IdParam, StringList
from hubbub.api.serializers import Serializer, rfc3339
from hubbub.moderation import actions
from hubbub.moderation.models import REASON_MAX_LENGTH, Reason, Report
from hubbub.posts.queries import get_post

router = Router(tags=["reports"])
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)
# Statuses one report may name (Mastodon bounds it too).
MAX_STATUSES = 20
# Mastodon's categories, as hubbub's reasons; hubbub's own reasons
# (promotional, off_topic, ...) are accepted by name as well.
CATEGORIES = {
    "spam": Reason.SPAM,
    "violation": Reason.ABUSE,
    "legal": Reason.OTHER,
    "other": Reason.OTHER,
}
# And back, for the entity's ``category``.
CATEGORY_OF = {Reason.SPAM: "spam", Reason.ABUSE: "violation"}


class ReportForm(Schema):
    """A report: the account, optionally its statuses, and why."""

    account_id: IdParam
    status_ids: IdList | None = Field(None, max_length=MAX_STATUSES)
    comment: str | None = Field(None, max_length=REASON_MAX_LENGTH)
    forward: Flag = False
    category: str | None = Field(
        None,
        max_length=20,
        description="spam, legal, violation or other (Mastodon), or one of "
        "hubbub's reasons: promotional, off_topic, duplicate, inaccurate, "
        "abuse; default other.",
    )
    rule_ids: StringList | None = Field(None, max_length=MAX_STATUSES)


class ReportEntity(Schema):
    """Report."""

    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str
    status_ids: list[str] | None
    rule_ids: list[str] | None
    target_account: schemas.Account
    hubbub: dict[str, Any]


def _reason(category: str | None) -> str:
    name = (category or "other").strip().lower()
    reason = CATEGORIES.get(name) or (name if name in Reason.values else None)
    if reason is None:
        raise ValidationError("Category is not included in the list.")
    return reason


@router.post("/api/v1/reports", response={200: ReportEntity, **ERRORS})
@requires("write:reports")
def create_report(request: HttpRequest, payload: ReportForm) -> HttpResponse:
    """Report an account, or statuses of it, to the moderators."""
    me = signed_in(request)
    account = get_account_by_id(int(payload.account_id))
    reason = _reason(payload.category)
    comment = payload.comment or ""
    posts = [get_post(me, int(status_id)) for status_id in payload.status_ids or []]
    if any((post.reblog_of or post).author_id != account.pk for post in posts):
        raise ValidationError("Every status must be one of the reported account's.")
    with transaction.atomic():  # all the statuses' reports, or none
        reports: list[Report] = [
            actions.report_post(me, post=post, reason=reason, comment=comment)
            for post in posts
        ] or [
            actions.report_account(me, account=account, reason=reason, comment=comment)
        ]
    first = reports[0]
    entity = {
        "id": str(first.pk),
        "action_taken": first.resolved_at is not None,
        "action_taken_at": rfc3339(first.resolved_at) if first.resolved_at else None,
        "category": CATEGORY_OF.get(Reason(first.reason), "other"),
        "comment": first.comment,
        "forwarded": False,
        "created_at": rfc3339(first.created_at),
        "status_ids": [str(r.post_id) for r in reports if r.post_id] or None,
        "rule_ids": None,
        "target_account": Serializer(request, me).account(account),
        "hubbub": {"reason": first.reason},
    }
    return json_response(entity)
