"""``/api/hubbub/v1``: social news, hubbub's own extension of the API.

Submit, digg, undigg, bury and unbury stories; read Upcoming, the front
page and a story with its "why is this here?" record. Every rule lives in
``news.actions``; these views parse and render. A story also appears in
the Mastodon API as a status, and ``/api/v1/statuses/:id/favourite`` diggs
it, so Mastodon apps need none of this.
"""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import json_response, path_id
from hubbub.api.parsing import Flag
from hubbub.api.serializers import Serializer, rfc3339
from hubbub.news import actions, queries
from hubbub.news.models import (
    BLURB_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
    BuryReason,
    PreviewState,
    State,
    Story,
)
from hubbub.posts.queries import posts_by_id

router = Router(tags=["news"])
PREFIX = "/api/hubbub/v1"
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)
# characters a client may send as a title; the action's limit (150) is the
# rule and answers 422 with its reason, this only bounds the request.
_TITLE_INPUT = 1000
# Pages beyond this are refused (400): they would scan far past any reader.
_MAX_PAGE = 1000


# Entities -------------------------------------------------------------------


class Preview(Schema):
    """The linked page's card, fetched in the background."""

    title: str
    description: str
    site_name: str
    image_url: str | None


class StoryEntity(Schema):
    """A story: its link, where it stands, its aggregates and its status."""

    id: str
    url: str
    domain: str
    title: str
    blurb: str
    topic: str
    state: str = Field(description="upcoming, promoted, review or archived.")
    submitted_at: str
    promoted_at: str | None
    diggs: int
    effective_diggs: float
    clusters: int
    largest_share: float
    buries: int
    effective_buries: float
    comments_count: int
    rank: float
    dugg: bool | None = Field(None, description="With a user token only.")
    buried: bool | None = Field(None, description="With a user token only.")
    preview: Preview | None
    needs: str | None = Field(
        description="While upcoming: what it still needs to be promoted."
    )
    status: schemas.Status


class Submission(Schema):
    """A submitted story; ``duplicate`` when the link was already here."""

    duplicate: bool
    story: StoryEntity


class StoryPage(Schema):
    """A page of stories (30 a page)."""

    stories: list[StoryEntity]
    page: int
    has_next: bool


class UpcomingPage(StoryPage):
    """A page of Upcoming, with the threshold stories are judged against."""

    threshold: float
    threshold_sentence: str


class Discount(Schema):
    """Diggs that counted for less than one each, and why."""

    reason: str
    votes: int
    counted: float
    text: str


class Penalty(Schema):
    """A front-page penalty factor and its reason."""

    factor: float
    reason: str


class RankFactors(Schema):
    """What a promoted story's front-page rank is made of now."""

    effective_diggs: float
    hours_since_promotion: float
    penalties: list[Penalty]
    rank: float


class ModerationEntry(Schema):
    """A public moderation log line about the story."""

    action: str
    reason: str
    at: str


class Why(Schema):
    """Why a story is where it is: the frozen promotion record, the rule's
    verdict now, the discounts and the rank factors. Aggregates only."""

    story: StoryEntity
    record: dict[str, Any] | None = Field(
        description="Frozen when the story was promoted; null before."
    )
    verdict: str
    threshold: float
    discounts: list[str]
    own_digg: bool = Field(
        description="The submitter dugg their own story; that digg counts 0."
    )
    bury_reasons: dict[str, int]
    factors: RankFactors | None
    moderation: list[ModerationEntry]


# Rendering ------------------------------------------------------------------


def _preview(story: Story) -> dict[str, Any] | None:
    if story.preview_state != PreviewState.DONE:
        return None
    return {
        "title": story.preview_title,
        "description": story.preview_description,
        "site_name": story.preview_site_name,
        "image_url": story.preview_image_url or None,
    }


def render_stories(
    request: HttpRequest, me: Account | None, stories: list[Story]
) -> list[dict[str, Any]]:
    """Return StoryEntity dicts for a page of stories (a few queries)."""
    posts = posts_by_id(me, {s.pk for s in stories})
    shown = [s for s in stories if s.pk in posts]
    statuses = Serializer(request, me).statuses([posts[s.pk] for s in shown])
    threshold = actions.current_threshold() if shown else 0.0
    now = timezone.now()
    rendered = []
    for story, status in zip(shown, statuses, strict=True):
        needs = None
        if story.state == State.UPCOMING:
            needs = queries.stored_check(story, threshold=threshold, now=now).explain()
        entity: dict[str, Any] = {
            "id": str(story.pk),
            "url": story.normalised_url,
            "domain": story.domain,
            "title": story.title,
            "blurb": story.blurb,
            "topic": story.topic,
            "state": story.state,
            "submitted_at": rfc3339(story.submitted_at),
            "promoted_at": rfc3339(story.promoted_at) if story.promoted_at else None,
            "diggs": story.diggs,
            "effective_diggs": story.effective,
            "clusters": story.clusters,
            "largest_share": story.largest_share,
            "buries": story.buries,
            "effective_buries": story.effective_buries,
            "comments_count": story.comments_count,
            "rank": story.rank,
            "preview": _preview(story),
            "needs": needs,
            "status": status,
        }
        if me is not None:
            entity["dugg"] = bool(story.dugg)  # type: ignore[attr-defined]
            entity["buried"] = bool(story.buried)  # type: ignore[attr-defined]
        rendered.append(entity)
    return rendered


def _story(request: HttpRequest, me: Account | None, story_id: int) -> HttpResponse:
    story = queries.get_story(me, story_id)
    return json_response(render_stories(request, me, [story])[0])


def _page(request: HttpRequest, me: Account | None, page: queries.Page) -> Any:
    return {
        "stories": render_stories(request, me, page.stories),
        "page": page.number,
        "has_next": page.has_next,
    }


# Writes ---------------------------------------------------------------------


class SubmitForm(Schema):
    """A link to submit."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description="An http or https URL.")
    title: str = Field(max_length=_TITLE_INPUT, description="At most 150 characters.")
    blurb: str | None = Field(None, max_length=BLURB_MAX_LENGTH * 2)
    topic: str | None = Field(None, max_length=TOPIC_MAX_LENGTH * 2)
    promotional: Flag = Field(
        False,
        description="The submitter marks the story promotional (an advert, "
        "sponsored or selling); #ad and #sponsored in the title or blurb do "
        "the same.",
    )


@router.post(f"{PREFIX}/stories", response={200: Submission, **ERRORS})
@requires("write:statuses")
def submit(request: HttpRequest, payload: SubmitForm) -> HttpResponse:
    """Submit a story to Upcoming; a link already submitted in the last 30
    days returns that story with ``duplicate`` true."""
    me = signed_in(request)
    done = actions.submit_story(
        me,
        url=payload.url,
        title=payload.title,
        blurb=payload.blurb or "",
        topic=payload.topic or "",
        promotional=payload.promotional,
    )
    story = queries.get_story(me, done.story.pk)
    return json_response(
        {
            "duplicate": not done.created,
            "story": render_stories(request, me, [story])[0],
        }
    )


@router.post(f"{PREFIX}/stories/{{id}}/digg", response={200: StoryEntity, **ERRORS})
@requires("write:favourites")
def digg(request: HttpRequest, id: str) -> HttpResponse:
    """Digg a story (the same as favouriting its status); twice is harmless."""
    me = signed_in(request)
    actions.digg_story(me, story=queries.get_story(me, path_id(id)))
    return _story(request, me, path_id(id))


@router.post(f"{PREFIX}/stories/{{id}}/undigg", response={200: StoryEntity, **ERRORS})
@requires("write:favourites")
def undigg(request: HttpRequest, id: str) -> HttpResponse:
    """Withdraw the caller's digg of a story."""
    me = signed_in(request)
    story = queries.get_story(me, path_id(id))
    actions.undigg_story(me, story=story)
    return _story(request, me, story.pk)


class BuryForm(Schema):
    """Why the story should sink."""

    model_config = ConfigDict(extra="forbid")

    # Optional here so a malformed id is a 404 before a missing reason is
    # a 422; the action refuses a missing or unknown reason.
    reason: str | None = Field(
        None, max_length=20, description="One of: " + ", ".join(BuryReason.values)
    )


@router.post(f"{PREFIX}/stories/{{id}}/bury", response={200: StoryEntity, **ERRORS})
@requires("write:favourites")
def bury(request: HttpRequest, id: str, payload: BuryForm) -> HttpResponse:
    """Bury a story with a reason (replaces the caller's digg). Enough
    weighted buries send it to the moderators' review queue."""
    me = signed_in(request)
    story = queries.get_story(me, path_id(id))
    actions.bury_story(me, story=story, reason=payload.reason or "")
    return _story(request, me, story.pk)


@router.post(f"{PREFIX}/stories/{{id}}/unbury", response={200: StoryEntity, **ERRORS})
@requires("write:favourites")
def unbury(request: HttpRequest, id: str) -> HttpResponse:
    """Withdraw the caller's bury of a story."""
    me = signed_in(request)
    story = queries.get_story(me, path_id(id))
    actions.unbury_story(me, story=story)
    return _story(request, me, story.pk)


# Reads ----------------------------------------------------------------------


@router.get(f"{PREFIX}/stories/{{id}}", response={200: StoryEntity, **ERRORS})
@optional("read:statuses")
def story(request: HttpRequest, id: str) -> HttpResponse:
    """Return one story the caller may see."""
    return _story(request, viewer(request), path_id(id))


@router.get(f"{PREFIX}/stories/{{id}}/why", response={200: Why, **ERRORS})
@optional("read:statuses")
def why(request: HttpRequest, id: str) -> HttpResponse:
    """Return why a story is where it is: its frozen promotion record, the
    rule's verdict now and its current rank factors."""
    me = viewer(request)
    found = queries.why(me, path_id(id))
    factors = None
    if found.factors is not None:
        factors = {
            "effective_diggs": found.factors.effective,
            "hours_since_promotion": found.factors.hours_since_promotion,
            "penalties": [
                {"factor": factor, "reason": reason}
                for factor, reason in found.factors.penalties
            ],
            "rank": found.factors.rank,
        }
    return json_response(
        {
            "story": render_stories(request, me, [found.story])[0],
            "record": found.record,
            "verdict": found.check.explain(),
            "threshold": found.threshold,
            "discounts": found.discounts,
            "own_digg": found.own_digg,
            "bury_reasons": found.bury_reasons,
            "factors": factors,
            "moderation": found.moderation,
        }
    )


class PageParams(Schema):
    """Which page of 30."""

    page: int = Field(1, ge=1, le=_MAX_PAGE)


class UpcomingParams(PageParams):
    """How to order and filter Upcoming."""

    sort: Literal["rising", "newest"] = "rising"
    topic: str = Field("", max_length=TOPIC_MAX_LENGTH)


@router.get(f"{PREFIX}/upcoming", response={200: UpcomingPage, **ERRORS})
@optional("read:statuses")
def upcoming(request: HttpRequest, params: Query[UpcomingParams]) -> HttpResponse:
    """Return a page of Upcoming, each story with what it still needs, and
    the threshold in force."""
    me = viewer(request)
    found = queries.upcoming(me, sort=params.sort, topic=params.topic, page=params.page)
    page = queries.Page([i.story for i in found.items], found.number, found.has_next)
    return json_response(
        {
            **_page(request, me, page),
            "threshold": found.threshold,
            "threshold_sentence": found.sentence,
        }
    )


@router.get(f"{PREFIX}/front_page", response={200: StoryPage, **ERRORS})
@optional("read:statuses")
def front_page(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Return a page of the front page: promoted stories by rank."""
    me = viewer(request)
    return json_response(_page(request, me, queries.front_page(me, page=params.page)))


@router.get(f"{PREFIX}/front_page/newest", response={200: StoryPage, **ERRORS})
@optional("read:statuses")
def newest_promoted(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    """Return a page of promoted stories, most recently promoted first."""
    me = viewer(request)
    page = queries.newest_promoted(me, page=params.page)
    return json_response(_page(request, me, page))
