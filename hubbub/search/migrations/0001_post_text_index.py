"""Index post text for search: FTS5 on SQLite, GIN on PostgreSQL.

The SQL lives in ``hubbub.search.index`` because ``repair`` re-creates the
same triggers after later migrations drop them. If that SQL ever changes,
add a migration that runs ``uninstall`` then ``install``.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from hubbub.search import index

    index.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from hubbub.search import index

    index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("posts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
