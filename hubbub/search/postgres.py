"""Post search's PostgreSQL half, imported only where it runs.

``django.contrib.postgres`` imports psycopg, about 22 MB of memory in
every process that loads it, which a process on SQLite never needs.
"""

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db.models import Func, QuerySet

from hubbub.posts.models import Post
from hubbub.search.index import PG_VECTOR_SQL


class _SimpleVector(Func):
    """The text's tsvector, written exactly as it is indexed."""

    template = PG_VECTOR_SQL % "%(expressions)s"
    output_field = SearchVectorField()


def containing(posts: QuerySet[Post], words: tuple[str, ...]) -> QuerySet[Post]:
    """Return the ``posts`` whose text holds every one of ``words``."""
    # plainto_tsquery reads no operators: every lexeme is ANDed.
    return posts.alias(text_vector=_SimpleVector("text")).filter(
        text_vector=SearchQuery(" ".join(words), config="simple", search_type="plain")
    )
