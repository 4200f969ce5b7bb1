"""Jobs about moderation."""

from django.tasks import task

from hubbub.moderation.labels import weigh_promotional_reports


@task()
def label_if_reported(post_id: int) -> None:
    """Label a post promotional if its reports now pass the community rule."""
    weigh_promotional_reports(post_id)
