"""Model fields the stock ones lack."""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class RowidAutoField(models.BigAutoField[int, int]):
    """A BigAutoField that SQLite keeps as the plain rowid, without
    AUTOINCREMENT.

    AUTOINCREMENT makes every insert read and rewrite the table's row in
    ``sqlite_sequence``: one more page for each commit to write to the log,
    on tables written by the hottest actions. Without it SQLite numbers a
    new row one past the largest id, so an id is reused only after the
    newest row is deleted; a table whose ids leave the database (cursors,
    job arguments) gives the field ``default=new_id`` so they never are.
    PostgreSQL keeps its identity column.
    """

    def db_type_suffix(self, connection: BaseDatabaseWrapper) -> Any:
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)
