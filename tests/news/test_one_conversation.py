"""A story submitted from an article or note joins that post's conversation."""

import pytest
from django.conf import settings

from hubbub.blog import actions as blog_actions
from hubbub.blog.content import article_path, check_content
from hubbub.news import queries as news_queries
from hubbub.news.actions import submit_story
from hubbub.news.models import Story
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Visibility
from hubbub.posts.queries import conversation, get_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(alice):
    return blog_actions.publish_article(
        alice,
        article_id=None,
        content=check_content(title="On sourdough", source="Flour, water, time."),
    )


def article_link(article) -> str:
    return settings.HUBBUB_SITE_URL + article_path(
        article.author.username, article.post_id, article.slug
    )


def thread_ids(viewer, post) -> list[int]:
    return [node.id for node in conversation(viewer, post).descendants]


def test_a_story_about_an_article_shares_its_conversation(alice, bob, carol, article):
    story = submit_story(bob, url=article_link(article), title="Sourdough").story
    assert story.post.conversation_id == article.post_id
    assert story.post.in_reply_to_id is None

    on_article = publish_note(
        alice, text="Thanks for reading.", in_reply_to=article.post
    )
    on_story = publish_note(alice, text="Glad it is here.", in_reply_to=story.post)
    answer = publish_note(alice, text="And one more thing.", in_reply_to=on_story)

    # Every surface shows every reply, wherever it was written.
    expected = {on_article.id, on_story.id, answer.id}
    assert set(thread_ids(carol, article.post)) == expected
    assert set(thread_ids(carol, get_post(carol, story.pk))) == expected
    comments = news_queries.story_comments(carol, story)
    assert {c.id for c in comments} == expected
    # The reply keeps its place under the comment it answers.
    depth = {c.id: c.depth for c in comments}
    assert depth[answer.id] == depth[on_story.id] + 1
    # A reply's own context still leads up through the story it was on.
    ancestors = conversation(carol, get_post(carol, answer.id)).ancestors
    assert [node.id for node in ancestors] == [story.pk, on_story.id]
    # The story counts the whole conversation's comments.
    assert Story.objects.get(pk=story.pk).comments_count == len(expected)
    found = news_queries.stories_in_conversation(carol, article.post_id)
    assert [s.pk for s in found] == [story.pk]


def test_a_story_about_a_public_note_joins_its_thread(alice, bob):
    note = publish_note(alice, text="A long thread starts here.")
    link = f"{settings.HUBBUB_SITE_URL}/@{alice.username}/{note.id}"
    story = submit_story(bob, url=link, title="A thread worth reading").story
    assert story.post.conversation_id == note.conversation_id


@pytest.mark.parametrize("visibility", [Visibility.FOLLOWERS, Visibility.UNLISTED])
def test_a_story_about_a_non_public_note_starts_its_own(alice, bob, visibility):
    note = publish_note(alice, text="Not for everyone.", visibility=visibility)
    link = f"{settings.HUBBUB_SITE_URL}/@{alice.username}/{note.id}"
    story = submit_story(bob, url=link, title="Leaked").story
    assert story.post.conversation_id == story.pk


@pytest.mark.parametrize(
    "path", ["https://example.com/@alice/1234", "/@alice/99999999999", "/public"]
)
def test_links_elsewhere_or_to_missing_posts_start_their_own(bob, path):
    url = path if path.startswith("https:") else settings.HUBBUB_SITE_URL + path
    story = submit_story(bob, url=url, title="Elsewhere").story
    assert story.post.conversation_id == story.pk
