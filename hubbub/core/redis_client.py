"""This process's Redis clients, one per URL."""

from functools import cache

import redis


@cache
def client(url: str) -> redis.Redis:
    """Return this process's Redis client for ``url`` (it pools connections)."""
    return redis.Redis.from_url(url)
