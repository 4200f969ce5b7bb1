"""The social news pages, through a CSRF-enforcing client.

Every form post first GETs the page that shows the form and takes its CSRF
token, as a browser does; htmx posts send the token as a header. Stories,
diggs and buries are made with the real actions, by members made with the
news scenario helpers (accounts old enough, and with a post, to count).
"""

import re

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from hubbub.moderation.models import Report
from hubbub.news.actions import bury_comment, bury_story, digg_story, submit_story
from hubbub.news.models import CommentBury, PreviewState, State, Story, StoryVote
from hubbub.news.queries import PAGE_SIZE
from hubbub.posts.actions import favourite_post, publish_note
from hubbub.posts.models import Favourite, Post, Visibility
from tests.conftest import logged_in
from tests.news.conftest import member, members, submitted_ago
from tests.web.test_pages import csrf_token, htmx_post, submit, text_of

pytestmark = pytest.mark.django_db

URL = "https://example.com/articles/tea"


def comments() -> QuerySet[Post]:
    """Replies, that is comments (members have a note of their own each)."""
    return Post.objects.filter(kind="note", in_reply_to__isnull=False)


def story_url(story: Story) -> str:
    return f"/news/{story.pk}"


def a_story(author: Account, url: str = URL, **fields: str) -> Story:
    fields.setdefault("title", "How tea is grown")
    return submit_story(author, url=url, **fields).story


def promote(story: Story) -> Story:
    """Promote ``story`` as the community would: past its 20-minute dwell,
    five independent established members digg it."""
    submitted_ago(story, 30)
    for voter in members(5, "fan"):
        digg_story(voter, story=story)
    story.refresh_from_db()
    assert story.state == State.PROMOTED
    return story


def client_for(account: Account) -> Client:
    return logged_in(Client(enforce_csrf_checks=True), account)


def main_of(response) -> str:
    html = text_of(response)
    return html[html.index("<main") :]


@pytest.fixture
def submitter(db) -> Account:
    return member("submitter")


@pytest.fixture
def reader(db) -> Account:
    return member("reader")


@pytest.fixture
def submitter_client(submitter) -> Client:
    return client_for(submitter)


@pytest.fixture
def reader_client(reader) -> Client:
    return client_for(reader)


# --- navigation ------------------------------------------------------------------


def test_news_is_in_the_site_navigation(csrf_client, reader_client):
    nav = text_of(csrf_client.get("/public"))
    assert '<a href="/news">News</a>' in nav
    assert '<a href="/news/upcoming">Upcoming</a>' in nav
    assert "/news/submit" not in nav
    nav = text_of(reader_client.get("/news"))
    assert '<a href="/news" aria-current="page">News</a>' in nav
    assert '<a href="/news/submit">Submit a story</a>' in nav


# --- submitting ------------------------------------------------------------------


def test_submit_a_story_through_the_form(submitter_client, submitter):
    page = text_of(submitter_client.get("/news/submit"))
    for label in ("Link", "Title", "Blurb (optional)", "Topic (optional)"):
        assert re.search(rf'<label for="id_\w+">{re.escape(label)}</label>', page)

    response = submit(
        submitter_client,
        "/news/submit",
        "/news/submit",
        {
            "url": "https://Example.com:443/articles/tea/?utm_source=x#top",
            "title": "  How   tea is grown ",
            "blurb": "From bush to cup.",
            "topic": "Food",
        },
    )

    story = Story.objects.get()
    assert response.status_code == 302
    assert response["Location"] == story_url(story)
    assert story.post.author == submitter
    assert story.normalised_url == "https://example.com/articles/tea"
    assert (story.title, story.blurb, story.topic) == (
        "How tea is grown",
        "From bush to cup.",
        "food",
    )
    page = main_of(submitter_client.get(response["Location"]))
    assert "Your story is in Upcoming." in page
    assert 'href="https://example.com/articles/tea" rel="nofollow ugc noopener"' in page
    assert "From bush to cup." in page


def test_a_duplicate_leads_to_the_existing_story(submitter, reader_client):
    first = a_story(submitter)

    response = submit(
        reader_client,
        "/news/submit",
        "/news/submit",
        {"url": "http://www.example.com/articles/tea?utm_medium=social", "title": "t"},
    )

    assert response.status_code == 302
    assert response["Location"] == story_url(first)
    assert Story.objects.count() == 1
    page = text_of(reader_client.get(response["Location"]))
    assert "That link was submitted already" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "javascript:alert(1)"}, "url", "http"),
        ({"url": "ftp://example.com/file"}, "url", "http"),
        ({"url": "https://user:secret@example.com/"}, "url", ""),
        ({"url": ""}, "url", "This field is required."),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"title": "x" * 1000}, None, "The title is too long"),
        ({"title": "A"}, None, None),
        ({"topic": "not a slug!"}, "topic", "A topic is up to"),
        ({"blurb": "b" * 501}, None, "The blurb is too long"),
    ],
)
def test_bad_submissions_show_the_error_and_write_nothing(
    submitter_client, data, field, message
):
    fields = {"url": URL, "title": "A fine title", **data}
    response = submit(submitter_client, "/news/submit", "/news/submit", fields)

    if message is None:
        # A one-character title is short, not wrong.
        assert response.status_code == 302
        return
    assert response.status_code == 400
    page = main_of(response)
    assert 'role="alert"' in page
    assert message in page
    if field is not None:
        assert re.search(rf'<input[^>]*name="{field}"[^>]*aria-invalid="true"', page)
    assert not Story.objects.exists()
    assert not Post.objects.filter(kind="story").exists()


def test_submitting_needs_a_login_and_a_token(csrf_client, submitter_client):
    response = csrf_client.get("/news/submit")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/news/submit")
    response = submitter_client.post("/news/submit", {"url": URL, "title": "t"})
    assert response.status_code == 403
    assert not Story.objects.exists()


# --- Upcoming --------------------------------------------------------------------


def test_upcoming_shows_each_story_with_what_it_needs_and_the_threshold(
    csrf_client, submitter, reader
):
    story = a_story(submitter)
    other = a_story(submitter, "https://example.org/b", title="Second story")
    digg_story(reader, story=story)
    digg_story(member(), story=story)

    page = main_of(csrf_client.get("/news/upcoming"))

    assert "Today a story needs 5.0 effective diggs from 5+ independent groups" in page
    # Rising: two effective diggs outweigh being a moment newer.
    assert page.index("How tea is grown") < page.index("Second story")
    item = page[page.index(f'id="story-{story.pk}"') : page.index(f"story-{other.pk}")]
    assert "<strong>2</strong> diggs" in item
    assert (
        "Needs 3.0 more effective diggs from at least 3 more independent groups" in item
    )
    assert "Log in to digg" in item


def test_upcoming_sorts_by_newest_and_by_topic(csrf_client, submitter, reader):
    old = a_story(submitter, topic="science", title="Old science")
    new = a_story(submitter, "https://example.org/n", title="New food", topic="food")
    digg_story(reader, story=old)

    newest = main_of(csrf_client.get("/news/upcoming?sort=newest"))
    assert newest.index(new.title) < newest.index(old.title)

    topics = main_of(csrf_client.get("/news/upcoming?sort=topic"))
    assert '<a href="/news/upcoming?topic=food">food</a>' in topics
    assert '<a href="/news/upcoming?topic=science">science</a>' in topics
    assert old.title not in topics

    science = main_of(csrf_client.get("/news/upcoming?topic=science"))
    assert old.title in science
    assert new.title not in science
    assert "Upcoming: science" in science


def test_upcoming_pages_hold_thirty_stories(csrf_client, submitter):
    for n in range(PAGE_SIZE + 1):
        a_story(submitter, f"https://example.com/{n}", title=f"Story number {n}")

    first = main_of(csrf_client.get("/news/upcoming?sort=newest"))
    assert first.count('class="story-item h-entry"') == PAGE_SIZE
    assert '<a rel="next" href="?sort=newest&amp;page=2">Next page</a>' in first
    second = main_of(csrf_client.get("/news/upcoming?sort=newest&page=2"))
    assert second.count('class="story-item h-entry"') == 1
    assert "Story number 0<" in second
    assert '<a rel="prev" href="?sort=newest&amp;page=1">Previous page</a>' in second


@pytest.mark.parametrize(
    "query",
    ["sort=hot", "page=0", "page=-1", "page=abc", "page=9999999", "sort=%00"],
)
def test_bad_list_parameters_are_400(csrf_client, query):
    assert csrf_client.get(f"/news/upcoming?{query}").status_code == 400
    if query.startswith("page"):
        assert csrf_client.get(f"/news?{query}").status_code == 400
        assert csrf_client.get(f"/news/newest?{query}").status_code == 400


# --- the front page --------------------------------------------------------------


def test_a_promoted_story_leaves_upcoming_for_the_front_page(csrf_client, submitter):
    story = promote(a_story(submitter))
    waiting = a_story(submitter, "https://example.org/w", title="Still waiting")

    front = main_of(csrf_client.get("/news"))
    assert story.title in front
    assert waiting.title not in front
    assert '<span class="rank" aria-hidden="true">1.</span>' in front
    assert "Why is this here?" in front
    assert "promoted just now" in front

    upcoming = main_of(csrf_client.get("/news/upcoming"))
    assert story.title not in upcoming
    assert waiting.title in upcoming

    newest = main_of(csrf_client.get("/news/newest"))
    assert story.title in newest
    assert '<a href="/news/newest" aria-current="page">Newest promoted</a>' in newest


def test_the_front_page_costs_the_same_queries_for_more_stories(
    csrf_client, submitter, django_assert_max_num_queries
):
    promote(a_story(submitter))
    with django_assert_max_num_queries(3) as few:
        csrf_client.get("/news")
    for n in range(3):
        promote(a_story(submitter, f"https://example.net/{n}", title=f"More {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = csrf_client.get("/news")
    assert text_of(response).count('class="story-item h-entry"') == 4


# --- a story ---------------------------------------------------------------------


def test_story_page_shows_link_preview_blurb_and_state(csrf_client, submitter):
    story = a_story(submitter, blurb="Why it matters.\n\nA second paragraph.")
    # What fetch_preview stores once the page is fetched (its own tests
    # cover the fetching).
    Story.objects.filter(pk=story.pk).update(
        preview_state=PreviewState.DONE,
        preview_title="Tea: a history",
        preview_description="Leaves, <b>water</b> and time.",
        preview_site_name="Example Press",
    )

    page = main_of(csrf_client.get(story_url(story)))

    assert '<h1 class="p-name">' in page
    assert "Example Press" in page
    assert "Tea: a history" in page
    assert "Leaves, &lt;b&gt;water&lt;/b&gt; and time." in page
    assert "<p>Why it matters.</p>" in page
    assert "needs 5.0 more effective diggs" in page
    assert "0 comments" in page


def test_a_story_post_s_note_page_leads_to_the_story(csrf_client, submitter):
    story = a_story(submitter)
    response = csrf_client.get(f"/@{submitter.username}/{story.pk}")
    assert response.status_code == 302
    assert response["Location"] == story_url(story)


def test_missing_stories_are_404(csrf_client, submitter):
    note = publish_note(submitter, text="just a note")
    for url in (f"/news/{note.id}", f"/news/{note.id}/why", "/news/1", "/news/1/why"):
        assert csrf_client.get(url).status_code == 404


# --- digging ---------------------------------------------------------------------


def test_digg_and_undigg_without_javascript(reader_client, reader, submitter):
    story = a_story(submitter)
    page = story_url(story)

    response = submit(
        reader_client, page, f"/news/{story.pk}/digg", {"next": "/news/upcoming"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/news/upcoming#story-{story.pk}"
    story.refresh_from_db()
    assert story.diggs == 1
    assert Favourite.objects.filter(account=reader, post_id=story.pk).exists()
    html = text_of(reader_client.get(page))
    assert 'aria-pressed="true">Dugg' in html

    response = submit(reader_client, page, f"/news/{story.pk}/undigg", {})
    assert response.status_code == 302
    assert response["Location"] == f"{page}#story-{story.pk}"
    story.refresh_from_db()
    assert story.diggs == 0


def test_digg_with_htmx_swaps_the_button(reader_client, reader, submitter):
    story = a_story(submitter)

    response = htmx_post(
        reader_client, story_url(story), f"/news/{story.pk}/digg", {"next": "/news"}
    )

    assert response.status_code == 200
    html = text_of(response)
    assert html.startswith("{# A story") is False
    assert f'<div class="digg" id="digg-{story.pk}">' in html
    assert "<strong>1</strong> digg</span>" in html
    assert 'aria-pressed="true">Dugg' in html
    assert f'hx-post="/news/{story.pk}/undigg"' in html
    # Digging again is a no-op, not an error.
    again = htmx_post(reader_client, story_url(story), f"/news/{story.pk}/digg", {})
    assert "<strong>1</strong> digg</span>" in text_of(again)
    assert StoryVote.objects.filter(story=story, kind="digg").count() == 1


def test_the_submitter_s_own_digg_is_said_to_count_zero(submitter_client, submitter):
    story = a_story(submitter)
    response = htmx_post(
        submitter_client, story_url(story), f"/news/{story.pk}/digg", {}
    )
    assert "Your own digg counts 0 toward promotion." in text_of(response)
    story.refresh_from_db()
    assert (story.diggs, story.effective) == (1, 0.0)


def test_digging_needs_a_login_a_token_and_a_story(
    csrf_client, reader_client, submitter
):
    story = a_story(submitter)
    note = publish_note(submitter, text="not a story")
    token = csrf_token(csrf_client, "/login")
    response = csrf_client.post(
        f"/news/{story.pk}/digg", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    assert reader_client.post(f"/news/{story.pk}/digg").status_code == 403
    token = csrf_token(reader_client, "/news")
    for target in (note.id, 1):
        response = reader_client.post(
            f"/news/{target}/digg", {"csrfmiddlewaretoken": token}
        )
        assert response.status_code == 404
    assert reader_client.get(f"/news/{story.pk}/digg").status_code == 405
    assert not Favourite.objects.exists()


def test_digging_a_deleted_story_is_404(reader_client, submitter):
    story = a_story(submitter)
    Post.objects.filter(pk=story.pk).update(deleted_at=timezone.now())
    token = csrf_token(reader_client, "/news")
    response = reader_client.post(
        f"/news/{story.pk}/digg", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 404
    assert not Favourite.objects.exists()


# --- burying and reporting -------------------------------------------------------


def test_bury_a_story_with_a_reason_and_take_it_back(reader_client, reader, submitter):
    story = a_story(submitter)
    page = story_url(story)
    html = main_of(reader_client.get(page))
    assert f'<label for="bury-reason-{story.pk}">Why bury it?</label>' in html

    response = submit(reader_client, page, f"/news/{story.pk}/bury", {"reason": "spam"})

    assert response.status_code == 302
    vote = StoryVote.objects.get(story=story, kind="bury")
    assert (vote.account, vote.reason) == (reader, "spam")
    html = main_of(reader_client.get(page))
    assert "You buried this story as spam." in html
    assert "Take back your bury" in html

    response = submit(reader_client, page, f"/news/{story.pk}/unbury", {})
    assert response.status_code == 302
    assert not StoryVote.objects.filter(story=story, kind="bury").exists()


@pytest.mark.parametrize("reason", ["", "lame", "abuse"])
def test_a_bury_needs_a_known_reason(reader_client, submitter, reason):
    story = a_story(submitter)
    response = submit(
        reader_client, story_url(story), f"/news/{story.pk}/bury", {"reason": reason}
    )
    assert response.status_code == 400
    assert "Why bury it?" in text_of(response)
    assert not StoryVote.objects.exists()


def test_burying_your_own_story_is_refused(submitter_client, submitter):
    story = a_story(submitter)
    html = main_of(submitter_client.get(story_url(story)))
    assert "Why bury it?" not in html  # no form for it
    response = submit(
        submitter_client, story_url(story), f"/news/{story.pk}/bury", {"reason": "spam"}
    )
    assert response.status_code == 400
    assert "You can&#x27;t bury your own story" in text_of(response)
    assert not StoryVote.objects.exists()


def test_report_a_story_and_a_comment(reader_client, reader, submitter):
    story = a_story(submitter)
    comment = publish_note(submitter, text="buy my thing", in_reply_to=story.post)

    response = submit(
        reader_client,
        story_url(story),
        f"/news/posts/{story.pk}/report",
        {"reason": "inaccurate", "comment": "The date is wrong."},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{story_url(story)}#post-{story.pk}"
    response = submit(
        reader_client,
        story_url(story),
        f"/news/posts/{comment.id}/report",
        {"reason": "spam"},
    )
    assert response["Location"] == f"{story_url(story)}#post-{comment.id}"
    reports = Report.objects.order_by("id")
    assert [(r.post_id, r.reason, r.comment) for r in reports] == [
        (story.pk, "inaccurate", "The date is wrong."),
        (comment.id, "spam", ""),
    ]
    assert "the moderators will look at it" in text_of(
        reader_client.get(story_url(story))
    )


def test_a_bad_report_changes_nothing(reader_client, submitter):
    story = a_story(submitter)
    for data in ({"reason": "boring"}, {"reason": "spam", "comment": "x" * 5000}):
        response = submit(
            reader_client, story_url(story), f"/news/posts/{story.pk}/report", data
        )
        assert response.status_code == 400
        assert 'role="alert"' in text_of(response)
    assert not Report.objects.exists()


# --- held for review -------------------------------------------------------------


def test_a_buried_story_is_held_and_listed_for_moderators(
    csrf_client, reader_client, submitter
):
    story = a_story(submitter)
    for burier in members(3, "burier"):
        bury_story(burier, story=story, reason="spam")
    story.refresh_from_db()
    assert story.state == State.REVIEW

    page = main_of(csrf_client.get(story_url(story)))
    assert "Held for review." in page
    assert '<a href="/news/review">moderators\u2019 review queue</a>' in page
    why = main_of(csrf_client.get(f"/news/{story.pk}/why"))
    assert "Why was it held?" in why
    assert "3 spam" in why
    assert "reached the limit" in why

    queue = main_of(reader_client.get("/news/review"))
    assert story.title in queue
    assert "Release it" not in queue  # readers see the queue, not the tools
    token = csrf_token(reader_client, story_url(story))
    response = reader_client.post(
        f"/news/{story.pk}/release",
        {"reason": "fine", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.state == State.REVIEW


def test_a_moderator_releases_a_held_story(submitter):
    story = a_story(submitter)
    for burier in members(3, "burier"):
        bury_story(burier, story=story, reason="off_topic")
    moderator = member("mod")
    Account.objects.filter(pk=moderator.pk).update(is_staff=True)
    moderator.refresh_from_db()
    client = client_for(moderator)
    assert "Release it" in text_of(client.get("/news/review"))

    response = submit(
        client, "/news/review", f"/news/{story.pk}/release", {"reason": ""}
    )
    assert response.status_code == 400
    response = submit(
        client,
        "/news/review",
        f"/news/{story.pk}/release",
        {"reason": "On topic after all.", "next": "/news/review"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/news/review"
    story.refresh_from_db()
    assert story.state == State.UPCOMING
    assert story.title not in main_of(client.get("/news/review"))
    assert "On topic after all." in main_of(client.get(f"/news/{story.pk}/why"))


# --- comments --------------------------------------------------------------------


def test_comment_and_reply_through_the_forms(reader_client, reader, submitter):
    story = a_story(submitter)
    page = story_url(story)
    assert '<label for="id_text">Add a comment</label>' in text_of(
        reader_client.get(page)
    )

    response = submit(reader_client, page, f"/news/{story.pk}/comments", {"text": "Hi"})
    comment = Post.objects.get(author=reader, in_reply_to__isnull=False)
    assert response.status_code == 302
    assert response["Location"] == f"{page}#post-{comment.id}"
    assert comment.in_reply_to_id == story.pk
    assert comment.conversation_id == story.pk
    assert comment.visibility == Visibility.PUBLIC

    submitter_client = client_for(submitter)
    response = submit(
        submitter_client,
        page,
        f"/news/{story.pk}/comments",
        {"text": "Thanks!", "in_reply_to": comment.id},
    )
    reply = Post.objects.get(author=submitter, in_reply_to__isnull=False)
    assert response["Location"] == f"{page}#post-{reply.id}"
    assert reply.in_reply_to_id == comment.id
    story.refresh_from_db()
    assert story.comments_count == 2

    html = main_of(reader_client.get(page))
    assert "2 comments" in html
    assert f'<label for="reply-text-{comment.id}">Reply to @{reader.username}' in html
    # The reply sits in a list inside the comment's <details>.
    branch = html[html.index(f'id="post-{comment.id}"') :]
    assert branch.index('<ol class="thread">') < branch.index(f'id="post-{reply.id}"')
    assert branch.index(f'id="post-{reply.id}"') < branch.index("</details></li>")


@pytest.mark.parametrize("text", ["", "   ", "x" * 141])
def test_a_bad_comment_shows_the_error_and_keeps_the_draft(
    reader_client, submitter, text
):
    story = a_story(submitter)
    response = submit(
        reader_client, story_url(story), f"/news/{story.pk}/comments", {"text": text}
    )
    assert response.status_code == 400
    html = main_of(response)
    assert 'role="alert"' in html
    assert 'id="id_text"' in html
    if text.strip():
        assert text in html
    assert not comments().exists()


def test_a_bad_reply_opens_its_form_with_the_error(reader_client, submitter):
    story = a_story(submitter)
    comment = publish_note(submitter, text="first!", in_reply_to=story.post)
    response = submit(
        reader_client,
        story_url(story),
        f"/news/{story.pk}/comments",
        {"text": "y" * 141, "in_reply_to": comment.id},
    )
    assert response.status_code == 400
    html = main_of(response)
    box = html[html.index(f'id="post-{comment.id}"') :]
    assert '<details class="reply-box" open>' in box
    assert "y" * 141 in box
    assert 'role="alert"' in box
    assert comments().count() == 1


def test_replying_to_another_conversation_is_refused(reader_client, submitter):
    story = a_story(submitter)
    elsewhere = publish_note(submitter, text="elsewhere")
    response = submit(
        reader_client,
        story_url(story),
        f"/news/{story.pk}/comments",
        {"text": "hi", "in_reply_to": elsewhere.id},
    )
    assert response.status_code == 400
    assert "That comment is not on this story." in text_of(response)
    assert not comments().exists()


def test_comments_sort_best_newest_and_oldest(csrf_client, submitter):
    story = a_story(submitter)
    first = publish_note(submitter, text="first comment", in_reply_to=story.post)
    second = publish_note(submitter, text="second comment", in_reply_to=story.post)
    third = publish_note(submitter, text="third comment", in_reply_to=story.post)
    for fan in members(3, "liker"):
        favourite_post(fan, post=second)

    def order(sort: str) -> list[int]:
        html = main_of(csrf_client.get(f"{story_url(story)}?sort={sort}"))
        ids = [first.id, second.id, third.id]
        return sorted(ids, key=lambda i: html.index(f'id="post-{i}"'))

    assert order("best") == [second.id, first.id, third.id]
    assert order("new") == [third.id, second.id, first.id]
    assert order("old") == [first.id, second.id, third.id]
    html = main_of(csrf_client.get(f"{story_url(story)}?sort=new"))
    assert '<a href="?sort=new#comments-heading" aria-current="page">Newest</a>' in html
    assert csrf_client.get(f"{story_url(story)}?sort=top").status_code == 400


def test_a_buried_comment_is_collapsed_with_its_reason(reader_client, submitter):
    story = a_story(submitter)
    comment = publish_note(submitter, text="cheap pills", in_reply_to=story.post)
    fine = publish_note(submitter, text="a fair point", in_reply_to=story.post)
    response = submit(
        reader_client,
        story_url(story),
        f"/news/comments/{comment.id}/bury",
        {"reason": "spam"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{story_url(story)}#post-{comment.id}"
    for burier in members(2, "burier"):
        bury_comment(burier, post=comment, reason="spam")

    html = main_of(reader_client.get(story_url(story)))

    assert f'<details class="comment buried" id="post-{comment.id}">' in html
    assert "collapsed: buried 3 times, mostly as spam" in html
    assert f'<details class="comment" id="post-{fine.id}" open>' in html


def test_burying_a_comment_is_checked(reader_client, reader, submitter):
    story = a_story(submitter)
    own = publish_note(reader, text="mine", in_reply_to=story.post)
    loose = publish_note(submitter, text="not on a story")
    token = csrf_token(reader_client, story_url(story))
    response = reader_client.post(
        f"/news/comments/{own.id}/bury",
        {"reason": "spam", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 400
    assert "You can&#x27;t bury your own comment" in text_of(response)
    response = reader_client.post(
        f"/news/comments/{loose.id}/bury",
        {"reason": "spam", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 404
    response = reader_client.post(
        f"/news/comments/{own.id}/bury",
        {"reason": "meh", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 400
    assert not CommentBury.objects.exists()


def test_a_followers_only_comment_shows_only_to_followers(submitter, reader):
    story = a_story(submitter)
    outsider = member("outsider")
    follow_account(reader, followee=submitter)
    publish_note(
        submitter,
        text="for my followers",
        in_reply_to=story.post,
        visibility=Visibility.FOLLOWERS,
    )
    assert "for my followers" in text_of(client_for(reader).get(story_url(story)))
    assert "for my followers" not in text_of(client_for(outsider).get(story_url(story)))
    assert "for my followers" not in text_of(Client().get(story_url(story)))


# --- why is this here? -----------------------------------------------------------


def test_why_page_shows_the_frozen_record_and_the_rank_now(csrf_client, submitter):
    story = a_story(submitter)
    digg_story(submitter, story=story)
    story = promote(story)

    html = main_of(csrf_client.get(f"/news/{story.pk}/why"))

    assert "<h1>Why is this here?</h1>" in html
    assert "When it was promoted" in html
    assert "6 diggs, counted as 5.0 effective diggs" in html
    assert "Threshold then</dt><dd>5.0 effective diggs" in html
    # The frozen record and the current tally both say it.
    assert html.count("<li>The submitter&#x27;s own digg counts as 0.</li>") == 2
    assert "Its place on the front page now" in html
    assert "Penalties</dt><dd>None" in html
    assert "after 30 min in Upcoming" in html


def test_why_page_of_an_upcoming_story_says_what_it_needs(csrf_client, submitter):
    story = a_story(submitter)
    digg_story(member("early"), story=story)
    html = main_of(csrf_client.get(f"/news/{story.pk}/why"))
    assert "<h1>What does it need?</h1>" in html
    assert "It needs 4.0 more effective diggs" in html
    assert "When it was promoted" not in html


# --- limits ----------------------------------------------------------------------


def test_over_the_submitting_limit_the_page_says_so(
    submitter_client, submitter, rate_limits
):
    rate_limits(story__account=(1, 3600))
    first = submit(
        submitter_client, "/news/submit", "/news/submit", {"url": URL, "title": "One"}
    )
    assert first.status_code == 302
    second = submit(
        submitter_client,
        "/news/submit",
        "/news/submit",
        {"url": "https://example.org/two", "title": "Two"},
    )
    assert second.status_code == 429
    assert "You have reached the limit" in text_of(second)
    assert second["Retry-After"]
    assert Story.objects.count() == 1
