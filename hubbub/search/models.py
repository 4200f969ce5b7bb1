"""Search has no models of its own.

The full-text index over ``posts_post.text`` is schema, not data: an FTS5
table kept in step by triggers on SQLite, a GIN expression index on
PostgreSQL. ``hubbub.search.index`` defines both and the migration installs
them; ``hubbub.search.queries`` reads them.
"""
