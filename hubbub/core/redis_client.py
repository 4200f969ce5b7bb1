"""This process's Redis clients, one per URL."""

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

import hiredis
import redis


@cache
def client(url: str) -> redis.Redis:
    """Return this process's Redis client for ``url`` (it pools connections)."""
    return redis.Redis.from_url(url)


class _Own(threading.local):
    pid = 0
    connections: dict[str, Any]  # redis-py types few of its connections' methods


_own = _Own()


def run(url: str, *command: Any) -> Any:
    """Run one command on this thread's own connection to ``url``; return
    the reply as the client would, unparsed.

    For the command every API request pays (the rate limit, which also
    reads the stamp): through the client, checking a pooled connection out
    and in and its event hooks cost about as much CPU as the round trip
    itself. A connection found broken is opened again once, as the client's
    own retry does.
    """
    if _own.pid != os.getpid():  # a forked child must not share a socket
        _own.pid, _own.connections = os.getpid(), {}
    if url not in _own.connections:
        _own.connections[url] = client(url).connection_pool.make_connection()
    connection = _own.connections[url]
    try:
        connection.send_command(*command)
        return connection.read_response()
    except (redis.ConnectionError, redis.TimeoutError):
        connection.disconnect()
        connection.send_command(*command)
        return connection.read_response()
    except BaseException:
        # Whatever stopped it (an error reply included) may have left a
        # reply unread, which the next command would take for its own.
        connection.disconnect()
        raise


@cache
def _script_hash(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 - Redis's name


def run_script(url: str, script: str, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """Run the Lua ``script`` as ``run`` runs a command, by its hash
    (EVALSHA); a Redis that lost it (restarted, or SCRIPT FLUSH) is sent it
    whole once, which loads it again."""
    try:
        return run(url, "EVALSHA", _script_hash(script), len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:
        return run(url, "EVAL", script, len(keys), *keys, *args)


# One Redis command and its arguments, as ``send_all`` takes them.
Command = tuple[str | bytes | int | float, ...]


def send_all(url: str, commands: Sequence[Command]) -> list[Any]:
    """Send ``commands`` to ``url`` in one write and return their replies
    in order, an error reply as its exception (not raised).

    For thousands of small commands at once (a fan-out's mirror): redis-py's
    pipeline builds objects per command, packs each through its own
    checks and asks whether its scripts exist in a round trip of its own,
    about five times the CPU of packing with hiredis and reading the
    replies here.
    """
    pool = client(url).connection_pool
    # redis-py types few of its connections' methods.
    connection: Any = pool.get_connection()
    replies: list[Any] = []
    try:
        # hiredis's stub types a command as a tuple of one argument.
        packed = b"".join(map(hiredis.pack_command, commands))  # type: ignore[arg-type]
        connection.send_packed_command([packed])
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except redis.ResponseError as error:
                replies.append(error)
    except BaseException:
        # Replies may be left unread, which the next user would take.
        connection.disconnect()
        raise
    finally:
        pool.release(connection)
    return replies
