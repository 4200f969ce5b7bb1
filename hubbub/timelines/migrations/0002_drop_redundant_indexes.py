"""Drop the single-column indexes Django made for the two foreign keys.

``timeline_once`` (reader_id, post_id) already serves lookups by reader and
``timeline_post`` those by post; the extra two only cost every fan-out row
two more index writes. The indexes are dropped by name rather than through
``AlterField``, which on SQLite would copy the whole table twice.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("reader_id", "post_id")
KEPT = {"timeline_post"}


def drop_indexes(apps, schema_editor):
    model = apps.get_model("timelines", "TimelineEntry")
    for column in COLUMNS:
        names = schema_editor._constraint_names(
            model, [column], index=True, unique=False, primary_key=False
        )
        for name in set(names) - KEPT:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_indexes(apps, schema_editor):
    model = apps.get_model("timelines", "TimelineEntry")
    for column in COLUMNS:
        field = model._meta.get_field(column.removesuffix("_id"))
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0001_initial"),
        ("timelines", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="timelineentry",
                    name="post",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="posts.post",
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="reader",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        )
    ]
