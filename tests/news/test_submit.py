"""Submitting stories: validation, normalisation, duplicates, previews."""

import http.server
import threading
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError

from hubbub.core.ratelimits import RateLimitedError
from hubbub.news.actions import submit_story
from hubbub.news.models import PreviewState, State, Story
from hubbub.posts.models import Kind, Post
from hubbub.timelines.models import TimelineEntry
from tests.news.conftest import member, mutual_follow

PAGE = b"""<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="The real title">
<meta property="og:description" content="What the page says.">
<meta property="og:site_name" content="Example Site">
</head><body>Hi</body></html>"""


def test_a_story_is_a_public_post_in_its_own_conversation(submitter):
    submission = submit_story(
        submitter,
        url="HTTPS://Example.COM:443/news/?utm_source=x&id=7#top",
        title="  A   fine   story ",
        blurb="Why it matters.\n\nSecond paragraph.",
        topic="Science",
    )
    story = submission.story
    assert submission.created
    assert story.normalised_url == "https://example.com/news?id=7"
    assert story.domain == "example.com"
    assert story.title == "A fine story"
    assert story.topic == "science"
    assert story.state == State.UPCOMING
    post = Post.objects.get(id=story.pk)
    assert post.kind == Kind.STORY
    assert post.conversation_id == post.id
    assert '<a href="https://example.com/news?id=7"' in post.html
    assert "A fine story</a>" in post.html
    assert "<p>Second paragraph.</p>" in post.html
    submitter.refresh_from_db()
    assert submitter.posts_count == 2  # the note from ``member`` and the story
    assert TimelineEntry.objects.filter(reader=submitter, post=post).exists()


def test_a_story_reaches_followers_timelines(submitter, run_jobs):
    reader = member("reader")
    mutual_follow(reader, submitter)
    with run_jobs():
        story = submit_story(submitter, url="https://example.org/", title="Hello").story
    assert TimelineEntry.objects.filter(reader=reader, post_id=story.pk).exists()


@pytest.mark.parametrize(
    "other",
    [
        "http://example.com/a",
        "https://www.example.com/a/",
        "https://EXAMPLE.com/a?utm_campaign=spring#comments",
        "https://example.com:443/a?fbclid=123",
    ],
)
def test_a_duplicate_within_the_window_leads_to_the_existing_story(submitter, other):
    first = submit_story(submitter, url="https://example.com/a", title="First").story
    someone = member("someone")
    again = submit_story(someone, url=other, title="Second try")
    assert not again.created
    assert again.story.pk == first.pk
    assert Story.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "ftp://example.com/file"}, "Only http and https"),
        ({"url": "javascript:alert(1)"}, "Only http and https"),
        ({"url": "https://user:secret@example.com/"}, "user name or password"),
        ({"url": "https:///nohost"}, "no host"),
        ({"url": "example.com/no-scheme"}, "must start with http"),
        ({"url": "https://exa mple.com/"}, "host name is not valid"),
        ({"url": "https://example.com/" + "a" * 3000}, "longer than 2048"),
        ({"title": ""}, "title can't be blank"),
        ({"title": " \n\t "}, "title can't be blank"),
        ({"title": "x" * 1000}, "title is too long"),
        ({"title": "bad\x00title"}, "not allowed"),
        ({"blurb": "b" * 501}, "blurb is too long"),
        ({"topic": "not a slug!"}, "topic"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(submitter, fields, message):
    before = Post.objects.count()
    arguments = {"url": "https://example.com/ok", "title": "Fine", **fields}
    with pytest.raises(ValidationError, match=message):
        submit_story(submitter, **arguments)
    assert Story.objects.count() == 0
    assert Post.objects.count() == before


# Link previews ---------------------------------------------------------------


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _CountingServer

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


@pytest.fixture
def page_server() -> Iterator[_CountingServer]:
    server = _CountingServer(("127.0.0.1", 0), _Handler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_preview_of_a_loopback_address_is_refused_and_no_request_arrives(
    submitter, run_jobs, page_server, settings
):
    settings.HUBBUB_PREVIEW_ALLOW_ADDRESSES = ""
    port = page_server.server_address[1]
    with run_jobs():
        story = submit_story(
            submitter, url=f"http://127.0.0.1:{port}/page", title="Inside"
        ).story
    story.refresh_from_db()
    assert story.preview_state == PreviewState.FAILED
    assert "loopback" in story.preview_error
    assert page_server.hits == []


def test_a_preview_is_fetched_in_the_background_from_an_allowed_address(
    submitter, run_jobs, page_server, settings
):
    settings.HUBBUB_PREVIEW_ALLOW_ADDRESSES = "127.0.0.1"
    port = page_server.server_address[1]
    with run_jobs():
        story = submit_story(
            submitter, url=f"http://127.0.0.1:{port}/page", title="Allowed"
        ).story
    story.refresh_from_db()
    assert page_server.hits == ["/page"]
    assert story.preview_state == PreviewState.DONE
    assert story.preview_title == "The real title"
    assert story.preview_description == "What the page says."
    assert story.preview_site_name == "Example Site"


def test_submitting_over_the_limit_is_refused_and_writes_nothing(
    submitter, rate_limits
):
    rate_limits(story__account=(1, 3600))
    submit_story(submitter, url="https://example.com/one", title="One")
    with pytest.raises(RateLimitedError):
        submit_story(submitter, url="https://example.com/two", title="Two")
    assert Story.objects.count() == 1
