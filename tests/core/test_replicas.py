"""Read replicas: lag-tolerant reads go to one, everything else to the primary.

The test settings list the primary as its own replica, ``replica1`` (a
test mirror of the default database), as an operator lists a real one.
"""

import subprocess

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from hubbub.core.db import replica_reads
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from hubbub.timelines.queries import public_timeline
from hubbub.timelines.store import PageBounds
from tests import live
from tests.conftest import make_account

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica1"])


@pytest.fixture
def replica(settings) -> str:
    settings.HUBBUB_READ_REPLICAS = ["replica1"]
    return "replica1"


def queries_on(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


def test_the_public_timeline_is_read_from_the_replica(replica):
    alice = make_account("alice")
    note = publish_note(alice, text="seen through the replica")

    with queries_on(replica) as on_replica, queries_on("default") as on_primary:
        page = public_timeline(alice, PageBounds())

    assert [post.id for post in page] == [note.id]
    assert len(on_replica) == 1
    assert len(on_primary) == 0


def test_other_reads_writes_and_transactions_stay_on_the_primary(replica):
    alice = make_account("alice")
    note = publish_note(alice, text="written to the primary")

    with queries_on(replica) as on_replica, queries_on("default") as on_primary:
        assert Post.objects.get(id=note.id).text == note.text
        with replica_reads():
            Post.objects.filter(id=note.id).update(text="edited")
            with transaction.atomic():
                assert Post.objects.get(id=note.id).text == "edited"

    assert len(on_replica) == 0
    assert len(on_primary) >= 3  # read, write, read (plus BEGIN, COMMIT)


def test_without_replicas_everything_is_on_the_primary(settings):
    settings.HUBBUB_READ_REPLICAS = []
    alice = make_account("alice")
    publish_note(alice, text="one database")

    with queries_on("replica1") as on_replica:
        assert len(public_timeline(None, PageBounds())) == 1

    assert len(on_replica) == 0


def test_replica_urls_become_aliases(tmp_path):
    url = live.test_database_url()
    show = "from django.conf import settings; print(settings.HUBBUB_READ_REPLICAS)"
    env = live.hubbub_env(tmp_path, HUBBUB_DATABASE_REPLICA_URLS=f"{url},{url}")

    out = subprocess.run(
        [live.HUBBUB, "shell", "-c", show], env=env, capture_output=True, check=True
    )

    assert out.stdout.decode().splitlines()[-1] == "['replica1', 'replica2']"
