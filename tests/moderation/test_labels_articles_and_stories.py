"""Articles and stories are labelled as notes are: by their author (a box,
a parameter, #ad or #sponsored) or by the detector on publication."""

import pytest

from hubbub.moderation.models import Action, LogEntry
from hubbub.news.models import Story
from hubbub.posts.models import Post, PromotionalSource
from tests.api.conftest import ApiClient, make_token
from tests.conftest import logged_in
from tests.web.test_pages import csrf_token, text_of

pytestmark = pytest.mark.django_db

ADVERT_TITLE = "Flash sale: 30% off every hoodie"
ADVERT_TEXT = (
    "Flash sale! 30% off all hoodies this weekend only. Use code SAVE30 at "
    "checkout. Shop now https://threads.example.shop/sale"
)


def publish_through_the_api(
    api: ApiClient, title: str, source: str, tags: tuple[str, ...] = ()
):
    draft = api.post_json(
        "/api/hubbub/v1/articles",
        {"title": title, "source": source, "tags": list(tags)},
    )
    assert draft.status_code == 200, draft.content
    published = api.post(f"/api/hubbub/v1/articles/{draft.json()['id']}/publish")
    assert published.status_code == 200, published.content
    return Post.objects.get(article__id=draft.json()["id"])


def test_the_detector_labels_an_advert_article_on_publication(alice, bob):
    api = ApiClient(make_token(alice, "write read"))
    post = publish_through_the_api(api, ADVERT_TITLE, ADVERT_TEXT)
    assert post.promotional_source == PromotionalSource.DETECTOR
    assert post.promotional_reason.startswith("Automatic: ")
    entry = LogEntry.objects.get()
    assert (entry.action, entry.moderator, entry.post_id) == (
        Action.LABEL,
        None,
        post.id,
    )
    # A reader's API status for it carries the label as a filter result.
    reader = ApiClient(make_token(bob, "read"))
    (result,) = reader.get(f"/api/v1/statuses/{post.id}").json()["filtered"]
    assert result["filter"]["id"] == "promotional"
    assert "Automatic: " in result["filter"]["title"]


def test_an_ordinary_article_is_not_labelled(alice):
    api = ApiClient(make_token(alice, "write read"))
    post = publish_through_the_api(
        api,
        "What I learned mending a bicycle",
        "The chain slipped on every hill until a friend showed me the "
        "derailleur's limit screws. Here is what we tried, and what worked.",
    )
    assert post.promotional_source == ""
    assert not LogEntry.objects.exists()


def test_an_ad_tag_labels_an_article_as_its_authors(alice):
    api = ApiClient(make_token(alice, "write read"))
    post = publish_through_the_api(
        api, "My year with these boots", "They held up well.", tags=("gear", "ad")
    )
    assert post.promotional_source == PromotionalSource.AUTHOR
    assert post.promotional_reason == "Tagged #ad by its author"
    assert not LogEntry.objects.exists()


# --- stories ------------------------------------------------------------------------


def submit_on_the_page(client, data: dict):
    token = csrf_token(client, "/news/submit")
    return client.post("/news/submit", {**data, "csrfmiddlewaretoken": token})


def test_the_submit_page_offers_the_promotional_box(alice, csrf_client):
    client = logged_in(csrf_client, alice)
    page = text_of(client.get("/news/submit"))
    assert 'name="promotional"' in page
    assert "This is promotional" in page
    response = submit_on_the_page(
        client,
        {
            "url": "https://shop.example/boots",
            "title": "Our new boots",
            "promotional": "on",
        },
    )
    assert response.status_code == 302
    post = Story.objects.get().post
    assert post.promotional_source == PromotionalSource.AUTHOR
    assert post.promotional_reason == "Marked promotional by its author"


def test_an_unticked_box_leaves_an_ordinary_story_alone(alice, csrf_client):
    client = logged_in(csrf_client, alice)
    response = submit_on_the_page(
        client,
        {
            "url": "https://science.example/comet",
            "title": "A comet returns after 80 years",
        },
    )
    assert response.status_code == 302
    assert Story.objects.get().post.promotional_source == ""


@pytest.mark.parametrize(
    ("field", "text", "name"),
    [
        ("title", "Trying the new trail shoes #ad", "ad"),
        ("blurb", "Gift from them #Sponsored", "sponsored"),
    ],
)
def test_an_ad_tag_in_the_title_or_blurb_labels_a_story(alice, field, text, name):
    api = ApiClient(make_token(alice, "write read"))
    data = {"url": "https://shoes.example/trail", "title": "Trail shoes", field: text}
    response = api.post_json("/api/hubbub/v1/stories", data)
    assert response.status_code == 200, response.content
    post = Story.objects.get().post
    assert post.promotional_source == PromotionalSource.AUTHOR
    assert post.promotional_reason == f"Tagged #{name} by its author"


def test_the_api_takes_the_promotional_choice(alice):
    api = ApiClient(make_token(alice, "write read"))
    response = api.post_json(
        "/api/hubbub/v1/stories",
        {"url": "https://shop.example/mugs", "title": "Mugs", "promotional": True},
    )
    assert response.status_code == 200
    assert Story.objects.get().post.promotional_source == PromotionalSource.AUTHOR
    refused = api.post_json(
        "/api/hubbub/v1/stories",
        {"url": "https://shop.example/cups", "title": "Cups", "promotional": "maybe"},
    )
    assert refused.status_code in (400, 422)
    assert Story.objects.count() == 1


def test_the_detector_labels_an_advert_story(alice):
    api = ApiClient(make_token(alice, "write read"))
    response = api.post_json(
        "/api/hubbub/v1/stories",
        {
            "url": "https://threads.example.shop/sale",
            "title": ADVERT_TITLE,
            "blurb": "This weekend only. Use code SAVE30 at checkout. Shop now!",
        },
    )
    assert response.status_code == 200
    post = Story.objects.get().post
    assert post.promotional_source == PromotionalSource.DETECTOR
    assert LogEntry.objects.get().post_id == post.id


def test_the_detector_reads_a_long_articles_opening(alice):
    """A pitch in the opening labels an article, whatever follows; the
    detector reads only the opening, so a long article costs little."""
    api = ApiClient(make_token(alice, "write read"))
    filler = " ".join(["The river rose slowly through the night."] * 3000)
    pitched = publish_through_the_api(api, ADVERT_TITLE, f"{ADVERT_TEXT}\n\n{filler}")
    assert pitched.promotional_source == PromotionalSource.DETECTOR
    buried = publish_through_the_api(
        api, "Notes from the flood", f"{filler}\n\n{ADVERT_TEXT}"
    )
    assert buried.promotional_source == ""
