"""Jobs that publish scheduled articles."""

from datetime import datetime

from django.tasks import task

from hubbub.blog import actions


def enqueue_publication(article_id: int, when: datetime | None) -> None:
    """Queue ``publish_scheduled_article`` to run at ``when`` (None: now)."""
    if when is None:
        publish_scheduled_article.enqueue(article_id)
    else:
        publish_scheduled_article.using(run_after=when).enqueue(article_id)


@task()
def publish_scheduled_article(article_id: int) -> None:
    """Publish a scheduled article whose time has come (see
    ``publish_due_article``: once, however often this runs)."""
    actions.publish_due_article(article_id)
