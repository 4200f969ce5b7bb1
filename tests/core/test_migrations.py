"""The models and their migrations agree."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    # --check exits non-zero when a model changed without a migration, so a
    # choice or field added in code cannot reach a database unmigrated.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
