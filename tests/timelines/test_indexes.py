"""The timeline table keeps only the indexes its queries use.

Every fan-out row writes each index, so the foreign keys' own single-column
indexes (covered by ``timeline_once`` and ``timeline_post``) are dropped.
"""

import pytest
from django.db import connection

from hubbub.timelines.models import TimelineEntry

pytestmark = pytest.mark.django_db


def test_timeline_entries_carry_no_redundant_index():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, TimelineEntry._meta.db_table
        )
    indexed = sorted(
        tuple(c["columns"])
        for c in constraints.values()
        if (c["index"] or c["unique"]) and not c["primary_key"]
    )

    assert indexed == [("post_id",), ("reader_id", "post_id")]
