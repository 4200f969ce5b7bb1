"""Blog pages through a CSRF-enforcing client: the editor, a blog's index,
an article with its comments, drafts and the queue of held comments."""

import re

import pytest
from django.conf import settings
from django.test import Client

from hubbub.blog import actions
from hubbub.blog.content import check_content
from hubbub.blog.models import Article, State
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from tests.conftest import logged_in
from tests.web.test_pages import submit, text_of

pytestmark = pytest.mark.django_db

SOURCE = (
    "Before the fold.\n\n<!--more Read the whole recipe-->\n\n"
    "After the fold.\n\n```\n<!--more-->\n```\n"
)


@pytest.fixture
def alice_client(csrf_client, alice):
    return logged_in(csrf_client, alice)


def write(client: Client, **fields):
    data = {"title": "Bread at dawn", "source": SOURCE, "tags": "baking"}
    data.update(fields)
    return submit(client, "/blog/new", "/blog/new", data)


def test_editor_has_real_labels(alice_client):
    page = text_of(alice_client.get("/blog/new"))
    for field, label in [
        ("title", "Title"),
        ("source", "Text (Markdown)"),
        ("custom_excerpt", "Excerpt (optional)"),
        ("tags", "Tags"),
        ("publish_at", "Publish at (UTC, optional)"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in page


def test_write_publish_then_read_index_and_article(alice_client, alice):
    response = write(alice_client, action="publish")
    article = Article.objects.get()
    url = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    assert response.status_code == 302
    assert response["Location"] == url

    index = text_of(Client().get("/@alice/blog"))
    assert "Before the fold." in index
    assert "After the fold." not in index
    assert "Read the whole recipe" in index
    assert f'href="{url}"' in index
    assert "application/atom+xml" in index

    page = text_of(Client().get(url))
    assert "Before the fold." in page
    assert "After the fold." in page
    # The marker is invisible, except in code where the author shows it.
    assert page.count("&lt;!--more--&gt;") == 1
    assert "Read the whole recipe" not in page
    assert 'class="article h-entry"' in page
    assert 'class="p-category" rel="tag" href="/tags/baking"' in page
    assert "Log in</a> to comment" in page


def test_wrong_slug_or_author_redirects_to_the_canonical_page(alice):
    article = actions.publish_article(
        alice,
        article_id=None,
        content=check_content(title="Bread at dawn", source="Text."),
    )
    canonical = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    client = Client()
    for wrong in (
        f"/@alice/blog/{article.post_id}/old-title",
        f"/@alice/blog/{article.post_id}",
        f"/@bob/blog/{article.post_id}/bread-at-dawn",
        f"/@alice/{article.post_id}",
    ):
        response = client.get(wrong, follow=True)
        assert response.redirect_chain[-1][0] == canonical, wrong
        assert response.status_code == 200
    assert client.get(f"/@alice/blog/{article.post_id}/..%2F..%2Fetc").status_code in (
        301,
        404,
    )
    assert client.get("/@alice/blog/99999/x").status_code == 404


def test_preview_shows_the_excerpt_and_saves_nothing(alice_client):
    response = write(alice_client, action="preview")
    assert response.status_code == 200
    page = text_of(response)
    assert "Preview" in page
    assert "Before the fold." in page
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "A title can&#x27;t be blank."),
        ({"title": "x" * 1000}, "at most 200 characters"),
        ({"publish_at": "2001-01-01T10:00"}, "That time has passed"),
        ({"publish_at": "2226-01-01T10:00"}, "at most five years ahead"),
        ({"tags": "../../etc"}, "is not a tag"),
        ({"source": "[" * 300_000}, "too complex"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(alice_client, fields, message):
    response = write(alice_client, action="publish", **fields)
    assert response.status_code == 400
    assert message in text_of(response)
    assert not Article.objects.exists()
    assert not Post.objects.exists()


def test_script_in_every_field_is_inert(alice_client):
    script = "<script>alert(1)</script>"
    write(
        alice_client,
        action="publish",
        title=f"T {script}",
        source=f"{script}\n\n[x](javascript:alert(1))",
        custom_excerpt=script,
    )
    article = Article.objects.get()
    page = text_of(Client().get(f"/@alice/blog/{article.post_id}/{article.slug}"))
    assert "<script>alert" not in page
    assert 'href="javascript' not in page


def test_draft_list_and_editing_someone_elses_article(alice_client, bob):
    write(alice_client, action="draft")
    article = Article.objects.get()
    assert article.state == State.DRAFT
    drafts = text_of(alice_client.get("/blog/drafts"))
    assert "Bread at dawn" in drafts
    assert f"/blog/{article.id}/edit" in drafts
    assert Client().get(f"/@alice/blog/{article.id}").status_code == 404
    bob_client = logged_in(Client(), bob)
    assert bob_client.get(f"/blog/{article.id}/edit").status_code == 404
    assert bob_client.post(f"/blog/{article.id}/edit", {"title": "x"}).status_code == (
        404
    )
    assert bob_client.post(f"/blog/{article.id}/unpublish").status_code == 404
    assert Article.objects.get().title == "Bread at dawn"


def test_comment_held_then_approved_from_the_queue(alice_client, alice, bob, carol):
    write(alice_client, action="publish")
    article = Article.objects.get()
    url = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    bob_client = logged_in(Client(enforce_csrf_checks=True), bob)
    assert ">Your comment</label>" in text_of(bob_client.get(url))
    response = submit(
        bob_client,
        url,
        "/notes",
        {"text": "Lovely crumb!", "in_reply_to": article.post_id, "next": url},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(url)
    assert "Waiting for the article\N{RIGHT SINGLE QUOTATION MARK}s author" in text_of(
        bob_client.get(url)
    )
    assert "Lovely crumb!" not in text_of(logged_in(Client(), carol).get(url))

    queue = text_of(alice_client.get("/blog/comments"))
    assert "Lovely crumb!" in queue
    comment = Post.objects.get(text="Lovely crumb!")
    response = submit(
        alice_client, "/blog/comments", f"/blog/comments/{comment.id}/approve", {}
    )
    assert response.status_code == 302
    assert "Lovely crumb!" in text_of(Client().get(url))


def test_closing_comments_refuses_new_ones(alice_client, bob):
    write(alice_client, action="publish")
    article = Article.objects.get()
    url = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    submit(alice_client, url, f"/blog/{article.id}/comments", {"closed": "1"})
    bob_client = logged_in(Client(enforce_csrf_checks=True), bob)
    page = text_of(bob_client.get(url))
    assert "Comments are closed on this article." in page
    assert 'name="in_reply_to"' not in page
    before = Post.objects.count()
    response = submit(
        bob_client, url, "/notes", {"text": "Hi", "in_reply_to": article.post_id}
    )
    assert response.status_code == 400
    assert "Comments are closed" in text_of(response)
    assert Post.objects.count() == before


def test_unpublish_takes_the_article_down(alice_client):
    write(alice_client, action="publish")
    article = Article.objects.get()
    url = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    submit(alice_client, url, f"/blog/{article.id}/unpublish", {})
    assert Client().get(url).status_code == 404
    assert re.search("Bread at dawn", text_of(alice_client.get("/blog/drafts")))


def test_a_block_hides_articles_both_ways(alice, bob):
    from hubbub.accounts.actions import block_account

    article = actions.publish_article(
        alice,
        article_id=None,
        content=check_content(title="Bread at dawn", source="Text."),
    )
    block_account(alice, target=bob)
    bob_client = logged_in(Client(), bob)
    url = f"/@alice/blog/{article.post_id}/bread-at-dawn"
    assert bob_client.get(url).status_code == 404
    assert "Bread at dawn" not in text_of(bob_client.get("/@alice/blog"))
    assert "Bread at dawn" in text_of(Client().get("/@alice/blog"))


def test_submit_to_news_joins_the_articles_conversation(csrf_client, alice, bob):
    article = actions.publish_article(
        alice,
        article_id=None,
        content=check_content(title="Bread & butter", source="Flour, water, time."),
    )
    url = f"/@alice/blog/{article.post_id}/{article.slug}"
    bob_client = logged_in(csrf_client, bob)
    page = text_of(bob_client.get(url))
    link = re.search(r'<a href="([^"]+)">Submit to news</a>', page)
    assert link
    submit_page = link.group(1).replace("&amp;", "&")
    # The submit form comes filled in with the article's link and title.
    form = text_of(bob_client.get(submit_page))
    assert 'value="Bread &amp; butter"' in form
    assert f"/@alice/blog/{article.post_id}/{article.slug}" in form

    absolute = settings.HUBBUB_SITE_URL + url
    response = submit(
        bob_client,
        submit_page,
        "/news/submit",
        {"url": absolute, "title": "Bread & butter", "blurb": "", "topic": ""},
    )
    assert response.status_code == 302
    story_url = response["Location"]
    story_page = text_of(bob_client.get(story_url))
    assert "This story is about" in story_page
    assert url.rsplit("/", 1)[0] in story_page  # links to the article by id

    # A comment on the story page shows on the article page, and back.
    story_id = int(story_url.rstrip("/").rsplit("/", 1)[-1])
    alice_client = logged_in(Client(enforce_csrf_checks=True), alice)
    commented = submit(
        alice_client,
        story_url,
        f"/news/{story_id}/comments",
        {"text": "Glad it is on the news."},
    )
    assert commented.status_code == 302
    publish_note(alice, text="Written under the article.", in_reply_to=article.post)
    for page_url in (url, story_url):
        shown = text_of(bob_client.get(page_url))
        assert "Glad it is on the news." in shown
        assert "Written under the article." in shown
    article_page = text_of(bob_client.get(url))
    assert "On the news" in article_page
    assert "Submit to news" not in article_page
