"""Comments on articles: closed threads, held first comments, the queue."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from hubbub.blog import actions
from hubbub.blog.comments import COMMENTS_CLOSED
from hubbub.blog.content import check_content
from hubbub.blog.models import CommentHold
from hubbub.blog.queries import held_comments, mentioned_in
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import conversation, visible_posts

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(alice):
    return actions.publish_article(
        alice,
        article_id=None,
        content=check_content(title="On sourdough", source="Flour, water, time."),
    )


def thread_ids(viewer, article) -> list[int]:
    return [node.id for node in conversation(viewer, article.post).descendants]


def test_first_comment_is_held_until_the_author_approves(alice, bob, carol, article):
    comment = publish_note(bob, text="Lovely piece!", in_reply_to=article.post)
    assert comment.conversation_id == article.post_id
    assert comment.visibility == Visibility.DIRECT
    # The commenter and the article's author see it; nobody else does.
    assert thread_ids(bob, article) == [comment.id]
    assert thread_ids(alice, article) == [comment.id]
    assert thread_ids(carol, article) == []
    assert thread_ids(None, article) == []
    assert [h.post_id for h in held_comments(alice)] == [comment.id]
    # A second comment before approval waits too.
    second = publish_note(bob, text="And another thing.", in_reply_to=article.post)
    assert second.visibility == Visibility.DIRECT

    approved = actions.approve_comment(alice, post_id=comment.id)
    assert approved.visibility == Visibility.PUBLIC
    assert thread_ids(carol, article) == [comment.id]
    # The mention added to hold it is gone; the comment named no one.
    assert not Post.objects.get(id=comment.id).mentions.exists()
    # Approved once, never held again.
    third = publish_note(bob, text="Back again.", in_reply_to=comment)
    assert third.visibility == Visibility.PUBLIC
    assert not CommentHold.objects.filter(post=third).exists()


def test_authors_own_comments_are_never_held(alice, article):
    mine = publish_note(alice, text="Thanks for reading.", in_reply_to=article.post)
    assert mine.visibility == Visibility.PUBLIC


def test_rejecting_deletes_the_comment(alice, bob, carol, article):
    comment = publish_note(bob, text="Buy my pills", in_reply_to=article.post)
    with pytest.raises(Http404):
        actions.reject_comment(carol, post_id=comment.id)
    with pytest.raises(Http404):
        actions.approve_comment(bob, post_id=comment.id)
    actions.reject_comment(alice, post_id=comment.id)
    assert not visible_posts(bob).filter(id=comment.id).exists()
    assert not CommentHold.objects.exists()
    assert list(held_comments(alice)) == []
    # Rejected is not approved: the next comment is held again.
    again = publish_note(bob, text="Sorry, a real comment", in_reply_to=article.post)
    assert again.visibility == Visibility.DIRECT


def test_closed_article_refuses_comments_and_changes_nothing(alice, bob, article):
    actions.set_comments_closed(alice, article_id=article.id, closed=True)
    before = Post.objects.count()
    for author in (bob, alice):
        with pytest.raises(ValidationError) as e:
            publish_note(author, text="Hello?", in_reply_to=article.post)
        assert e.value.messages == [COMMENTS_CLOSED]
    assert Post.objects.count() == before
    with pytest.raises(Http404):
        actions.set_comments_closed(bob, article_id=article.id, closed=False)
    actions.set_comments_closed(alice, article_id=article.id, closed=False)
    publish_note(alice, text="Open again.", in_reply_to=article.post)


def test_a_note_linking_to_an_article_is_mentioned_in_it(alice, bob, article, settings):
    url = f"{settings.HUBBUB_SITE_URL}/@alice/blog/{article.post_id}/anything"
    note = publish_note(bob, text=f"Worth reading: {url}")
    elsewhere = publish_note(bob, text="https://example.com/@alice/blog/1/x")
    assert [p.id for p in mentioned_in(None, article.post)] == [note.id]
    assert elsewhere.id not in [p.id for p in mentioned_in(None, article.post)]
