"""The search page: accounts, hashtags and notes, paged by offset."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from hubbub.accounts.models import Account
from hubbub.search import queries as search_queries
from hubbub.web.views.common import viewer_of

# Result kinds, in the order the page shows them (an allowlist, B-41).
TYPES = {"accounts": "Accounts", "tags": "Hashtags", "notes": "Notes"}
# The overview: a few of each kind.
ALL = "all"
# Results per kind on the overview, before "show all".
PREVIEW_SIZE = 5


@dataclass(frozen=True, slots=True)
class ResultGroup:
    type: str
    label: str
    count: int
    results: list[object]
    url: str

    @property
    def count_text(self) -> str:
        limit = search_queries.COUNT_LIMIT
        return f"{limit}+" if self.count > limit else str(self.count)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    raw_q = request.GET.get("q", "")
    context: dict[str, object] = {
        # What fits, cleaned, so even a refused query can be shown back.
        "q": search_queries.parse_query(
            raw_q.strip()[: search_queries.MAX_QUERY_LENGTH]
        ).text,
        "max_length": search_queries.MAX_QUERY_LENGTH,
    }
    try:
        kind = _parse_type(request.GET.get("type", ""))
        offset = _parse_offset(request.GET.get("offset", ""))
        query = search_queries.parse_query(raw_q)
    except ValidationError as e:
        context["error"] = e.messages[0]
        return render(request, "web/search.html", context, status=400)
    if query.text:
        # A leading @ or # picks the kind when the searcher did not.
        shown = kind or query.kind or ALL
        context.update(_results(viewer_of(request), query.text, shown, offset))
    return render(request, "web/search.html", context)


def _parse_type(raw: str) -> str:
    if raw and raw != ALL and raw not in TYPES:
        raise ValidationError("Choose accounts, hashtags or notes.")
    return raw


def _parse_offset(raw: str) -> int:
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise ValidationError("The page number is not valid.")
    return int(raw)


def _results(
    viewer: Account | None, q: str, shown: str, offset: int
) -> dict[str, object]:
    groups = _groups(viewer, q, shown=shown, offset=offset)
    context: dict[str, object] = {
        "q": q,
        "type": "" if shown == ALL else shown,
        "groups": groups,
        "all_url": _url(q, ALL),
    }
    if shown == ALL:
        return context
    page_size = settings.HUBBUB_PAGE_SIZE
    (group,) = [g for g in groups if g.type == shown]
    if offset:
        context["prev_url"] = _url(q, shown, max(0, offset - page_size))
    if (
        len(group.results) == page_size
        and offset + page_size <= search_queries.MAX_OFFSET
    ):
        context["next_url"] = _url(q, shown, offset + page_size)
    return context


def _groups(
    viewer: Account | None, q: str, *, shown: str, offset: int
) -> list[ResultGroup]:
    """Count every kind; load a page of the shown kind, or a preview of all."""
    limit = PREVIEW_SIZE if shown == ALL else settings.HUBBUB_PAGE_SIZE
    start = 0 if shown == ALL else offset
    searches: dict[str, tuple[Callable[[], int], Callable[[], Sequence[object]]]] = {
        "accounts": (
            lambda: search_queries.count_accounts(viewer, q),
            lambda: search_queries.search_accounts(
                viewer, q, limit=limit, offset=start
            ),
        ),
        "tags": (
            lambda: search_queries.count_tags(q),
            lambda: search_queries.search_tags(q, limit=limit, offset=start),
        ),
        "notes": (
            lambda: search_queries.count_posts(viewer, q),
            lambda: search_queries.search_posts(viewer, q, limit=limit, offset=start),
        ),
    }
    groups = []
    for kind, label in TYPES.items():
        count, load = searches[kind]
        groups.append(
            ResultGroup(
                type=kind,
                label=label,
                count=count(),
                # Kinds not shown need only their count.
                results=list(load()) if shown in (ALL, kind) else [],
                url=_url(q, kind),
            )
        )
    return groups


def _url(q: str, kind: str, offset: int = 0) -> str:
    params = {"q": q, "type": kind}
    if offset:
        params["offset"] = str(offset)
    return f"{reverse('web:search')}?{urlencode(params)}"
