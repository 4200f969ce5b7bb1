"""Notes that link to an article or a story: "mentioned in".

``linked_post_ids`` is the one place that knows which of the site's pages
stand for a post; a new kind of post page joins ``LINKABLE_PAGES``.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from hubbub.blog.models import Reference
from hubbub.posts.models import Kind, Post

# URL name (in the "web" namespace) -> the path argument holding the post id.
LINKABLE_PAGES = {
    "article": "post_id",
    "article_by_id": "post_id",
    "story": "post_id",
    "note": "post_id",
}
# The links of one note that are looked at (a note has at most 140
# characters, so this only bounds a pathological caller).
MAX_LINKS = 10


def linked_post_ids(urls: list[str]) -> set[int]:
    """Return the ids of the posts whose pages on this site ``urls`` link to."""
    site = urlsplit(settings.HUBBUB_SITE_URL).netloc.lower()
    found: set[int] = set()
    for url in urls[:MAX_LINKS]:
        parts = urlsplit(url)
        if parts.netloc.lower() != site:
            continue
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        if match.namespace == "web" and match.url_name in LINKABLE_PAGES:
            found.add(int(match.kwargs[LINKABLE_PAGES[match.url_name]]))
    return found


def record_references(post: Post, urls: list[str]) -> None:
    """Record which articles and stories ``post`` links to.

    Call inside the transaction that writes ``post``. Links to posts that
    do not exist, are deleted or are notes are ignored.
    """
    ids = linked_post_ids(urls) - {post.id}
    if not ids:
        return
    targets = Post.objects.filter(
        id__in=ids, deleted_at__isnull=True, kind__in=[Kind.ARTICLE, Kind.STORY]
    ).values_list("id", flat=True)
    Reference.objects.bulk_create(
        [Reference(post=post, target_id=target) for target in targets],
        ignore_conflicts=True,
    )
