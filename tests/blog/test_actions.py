"""Articles: drafts, publishing now and on schedule, edits, unpublishing.

Jobs run through the real worker (``run_jobs``); tests assert rows.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import follow_account
from hubbub.blog import actions
from hubbub.blog.content import check_content
from hubbub.blog.models import Article, State
from hubbub.blog.queries import blog_articles, get_article, tag_articles
from hubbub.posts.models import Kind, Post, PostTag
from hubbub.timelines.models import TimelineEntry
from tests.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db

SOURCE = "The teaser paragraph.\n\n<!--more-->\n\nThe *rest* of it."


def content(**changes):
    fields = {"title": "Bread at dawn", "source": SOURCE, "tags": "baking #Bread"}
    fields.update(changes)
    return check_content(**fields)


def readers_of(post_id: int) -> set[int]:
    return set(
        TimelineEntry.objects.filter(post_id=post_id).values_list(
            "reader_id", flat=True
        )
    )


def test_draft_has_no_post_and_is_only_the_authors(alice, bob):
    draft = actions.save_draft(alice, content=content())
    assert draft.state == State.DRAFT
    assert draft.post is None
    assert not Post.objects.exists()
    assert list(blog_articles(alice, alice)) == []
    with pytest.raises(Http404):
        actions.save_draft(bob, content=content(), article_id=draft.id)
    with pytest.raises(Http404):
        actions.publish_article(bob, article_id=draft.id)
    assert Article.objects.get().state == State.DRAFT


def test_publish_now_fans_out_a_card(alice, bob, carol, run_jobs):
    follow_account(bob, followee=alice)
    draft = actions.save_draft(alice, content=content())
    with run_jobs():
        article = actions.publish_article(alice, article_id=draft.id)
    post = Post.objects.get()
    assert article.post_id == post.id
    assert post.kind == Kind.ARTICLE
    assert post.conversation_id == post.id
    assert "Bread at dawn" in post.html
    assert "The teaser paragraph." in post.html
    assert "Continue reading" in post.html
    assert "rest" not in post.html
    assert post.html.count(f"/@alice/blog/{post.id}/bread-at-dawn") == 2
    assert readers_of(post.id) == {alice.pk, bob.pk}
    assert Post.objects.get().fanned_out_at is not None
    assert [a.id for a in tag_articles(None, "bread")] == [article.id]
    assert PostTag.objects.filter(post=post).count() == 2
    alice.refresh_from_db()
    assert alice.posts_count == 1
    assert get_article(carol, post.id).id == article.id


def test_new_article_can_be_published_in_one_step(alice):
    article = actions.publish_article(alice, article_id=None, content=content())
    assert article.state == State.PUBLISHED
    assert Article.objects.count() == 1


def test_scheduled_article_is_published_by_its_job_once(alice, bob, run_jobs):
    follow_account(bob, followee=alice)
    when = timezone.now() + timedelta(hours=2)
    with run_jobs():
        article = actions.publish_article(
            alice, article_id=None, content=content(), publish_at=when
        )
    # The job waits for its time; nothing is published yet.
    article.refresh_from_db()
    assert article.state == State.SCHEDULED
    assert article.publish_at == when
    assert not Post.objects.exists()
    job = DBTaskResult.objects.get(task_path__endswith="publish_scheduled_article")
    assert job.run_after == when
    # Time passes: the article is due and the job may run.
    Article.objects.update(publish_at=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.update(run_after=timezone.now())
    with run_jobs():
        run_queued_tasks()
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert readers_of(article.post_id) == {alice.pk, bob.pk}
    # Running it again (a duplicate job, a sweeper) publishes nothing more.
    assert actions.publish_due_article(article.id) is False
    assert Post.objects.count() == 1


def test_a_job_before_its_time_or_after_unscheduling_does_nothing(alice):
    when = timezone.now() + timedelta(hours=1)
    article = actions.publish_article(
        alice, article_id=None, content=content(), publish_at=when
    )
    assert actions.publish_due_article(article.id) is False
    actions.unpublish_article(alice, article_id=article.id)
    Article.objects.update(publish_at=timezone.now() - timedelta(minutes=1))
    assert actions.publish_due_article(article.id) is False
    assert not Post.objects.exists()


def test_sweeper_publishes_a_scheduled_article_whose_job_was_lost(
    alice, settings, run_jobs
):
    settings.HUBBUB_FANOUT_SWEEP_AFTER = 30
    article = actions.publish_article(
        alice,
        article_id=None,
        content=content(),
        publish_at=timezone.now() + timedelta(minutes=5),
    )
    # The job was lost (never enqueued, or its worker died) and the time
    # passed long ago.
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(minutes=10)
    Article.objects.update(publish_at=long_ago, publish_queued_at=long_ago)
    with run_jobs():
        assert actions.repeat_publications() == 1
        # A second sweep finds it claimed.
        assert actions.repeat_publications() == 0
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (timedelta(minutes=-2), "past"),
        (timedelta(days=-3), "past"),
        (timedelta(days=200 * 365), "too_far"),
        (timedelta(days=6 * 365), "too_far"),
    ],
)
def test_schedule_out_of_range_is_refused_and_changes_nothing(alice, offset, code):
    draft = actions.save_draft(alice, content=content())
    with pytest.raises(ValidationError) as e:
        actions.publish_article(
            alice,
            article_id=draft.id,
            publish_at=timezone.now() + offset,
            content=content(title="Changed"),
        )
    assert e.value.code == code
    draft.refresh_from_db()
    assert (draft.state, draft.title) == (State.DRAFT, "Bread at dawn")


def test_a_schedule_seconds_ago_publishes_now(alice):
    article = actions.publish_article(
        alice,
        article_id=None,
        content=content(),
        publish_at=timezone.now() - timedelta(seconds=20),
    )
    assert article.state == State.PUBLISHED


def test_empty_article_is_saved_as_draft_but_not_published(alice):
    draft = actions.save_draft(alice, content=content(source="   "))
    with pytest.raises(ValidationError) as e:
        actions.publish_article(alice, article_id=draft.id)
    assert e.value.code == "blank"
    assert not Post.objects.exists()


def test_edit_keeps_id_and_updates_card_and_tags(alice, bob):
    article = actions.publish_article(alice, article_id=None, content=content())
    post_id = article.post_id
    edited = actions.edit_article(
        alice,
        article_id=article.id,
        content=content(title="Rye at noon", source="All new.", tags="rye"),
    )
    post = Post.objects.get()
    assert (edited.post_id, post.id) == (post_id, post_id)
    assert edited.slug == "rye-at-noon"
    assert "Rye at noon" in post.html
    assert "All new." in post.html
    assert list(PostTag.objects.filter(post=post).values_list("tag__name", flat=True))
    assert [a.id for a in tag_articles(None, "rye")] == [article.id]
    assert list(tag_articles(None, "bread")) == []
    with pytest.raises(Http404):
        actions.edit_article(bob, article_id=article.id, content=content())
    with pytest.raises(Http404):
        actions.unpublish_article(bob, article_id=article.id)
    with pytest.raises(ValidationError) as e:
        actions.save_draft(alice, content=content(), article_id=article.id)
    assert e.value.code == "published"


def test_unpublish_and_publish_again_keep_the_post(alice, bob, run_jobs):
    follow_account(bob, followee=alice)
    with run_jobs():
        article = actions.publish_article(alice, article_id=None, content=content())
    post_id = article.post_id
    with run_jobs():
        actions.unpublish_article(alice, article_id=article.id)
    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert Post.objects.get().deleted_at is not None
    assert readers_of(post_id) == set()
    with pytest.raises(Http404):
        get_article(bob, post_id)
    with run_jobs():
        actions.publish_article(alice, article_id=article.id)
    article.refresh_from_db()
    assert article.post_id == post_id
    assert Post.objects.get().deleted_at is None
    assert readers_of(post_id) == {alice.pk, bob.pk}
    alice.refresh_from_db()
    assert alice.posts_count == 1


def test_publishing_twice_is_a_no_op_and_scheduling_a_live_one_refused(alice):
    article = actions.publish_article(alice, article_id=None, content=content())
    again = actions.publish_article(alice, article_id=article.id)
    assert again.post_id == article.post_id
    with pytest.raises(ValidationError) as e:
        actions.publish_article(
            alice,
            article_id=article.id,
            publish_at=timezone.now() + timedelta(days=1),
        )
    assert e.value.code == "published"
    assert Post.objects.count() == 1


def test_a_deleted_status_leaves_the_article_down_and_listed(alice):
    from hubbub.blog.queries import unpublished_articles
    from hubbub.posts.actions import delete_post

    article = actions.publish_article(alice, article_id=None, content=content())
    # A Mastodon client deletes the article's status.
    delete_post(alice, post=article.post)
    assert [a.id for a in unpublished_articles(alice)] == [article.id]
    with pytest.raises(Http404):
        get_article(alice, article.post_id)
    actions.publish_article(alice, article_id=article.id)
    assert get_article(alice, article.post_id).id == article.id
    assert list(unpublished_articles(alice)) == []
