"""The scale-out suite's set-up: it makes the PostgreSQL database it needs."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bench import suite


@pytest.mark.database("postgresql")
def test_a_missing_benchmark_database_is_created_once():
    base = urlsplit(os.environ["HUBBUB_DATABASE_URL"])
    name = f"hubbub_bench_ensure_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(base._replace(path=f"/{name}"))
    try:
        assert suite.ensure_database(url) is True
        with psycopg.connect(url) as conn:  # it exists and takes connections
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
        assert suite.ensure_database(url) is False
    finally:
        admin = urlunsplit(base._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
