"""The full-text index over post text, for each database hubbub runs on.

SQLite: an FTS5 table with external content (``posts_post`` holds the text,
the index holds only tokens), kept in step by insert, update and delete
triggers, as the FTS5 documentation shows. It is an index, not a counter,
so triggers are the right tool here.

PostgreSQL: a GIN index on ``to_tsvector('simple', text)``. The query must
use exactly that expression for the planner to pick the index, so it lives
here as ``PG_VECTOR_SQL`` for ``queries`` to share.

Both tokenise the same way where it matters: case is folded, accents are
kept (PostgreSQL has no unaccent without an extension), and no stemming or
stop words, so a search means the same on either database.
"""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

FTS_TABLE = "search_post_fts"
PG_INDEX = "search_post_text_tsv"
# %s is the column; the literal config keeps it equal to the indexed one.
PG_VECTOR_SQL = "to_tsvector('simple'::regconfig, %s)"

_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_post_fts USING fts5("
    "text, content='posts_post', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')"
)
# The 'delete' command must be given the text as it was indexed, which the
# old row still holds; an update is a delete and an insert.
_SQLITE_TRIGGERS = {
    "search_post_fts_insert": """
        AFTER INSERT ON posts_post BEGIN
          INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text);
        END""",
    "search_post_fts_delete": """
        AFTER DELETE ON posts_post BEGIN
          INSERT INTO search_post_fts(search_post_fts, rowid, text)
          VALUES ('delete', old.id, old.text);
        END""",
    "search_post_fts_update": """
        AFTER UPDATE OF id, text ON posts_post BEGIN
          INSERT INTO search_post_fts(search_post_fts, rowid, text)
          VALUES ('delete', old.id, old.text);
          INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text);
        END""",
}
_SQLITE_REBUILD = "INSERT INTO search_post_fts(search_post_fts) VALUES ('rebuild')"


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the index and fill it from the posts already stored."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(_SQLITE_TABLE)
            for name, body in _SQLITE_TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute(_SQLITE_REBUILD)
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON posts_post "
                f"USING gin ({PG_VECTOR_SQL % 'text'})"
            )


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the index (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def repair(connection: BaseDatabaseWrapper) -> bool:
    """Put back lost SQLite triggers and rebuild; return whether it had to.

    Django alters a SQLite table by copying it to a new one and dropping the
    old, and the triggers go with the old table. After any later migration
    that does this to ``posts_post``, new posts would silently stop being
    indexed; this notices and repairs it. A no-op elsewhere, and before the
    search migration has run.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master "
            "WHERE (type = 'table' AND name = %s) "
            "OR (type = 'trigger' AND tbl_name = 'posts_post')",
            [FTS_TABLE],
        )
        found = {name for _, name in cursor.fetchall()}
        if FTS_TABLE not in found or found.issuperset(_SQLITE_TRIGGERS):
            return False
        for name, body in _SQLITE_TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        # Posts written while the triggers were gone are missing, and
        # deletes the index missed would corrupt later 'delete' commands.
        cursor.execute(_SQLITE_REBUILD)
    return True


def repair_after_migrate(using: str, **kwargs: Any) -> None:
    """Run ``repair`` on the database just migrated (post_migrate)."""
    from django.db import connections

    repair(connections[using])
