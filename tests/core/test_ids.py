"""Ids: time-sortable, 64-bit and unique."""

import itertools
import threading
import time
from datetime import UTC, datetime

from hubbub.core.ids import id_at, id_for_time, id_to_unix_ms, new_id

BIGINT_MAX = 2**63 - 1


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_ids_increase_and_are_unique_across_rapid_calls():
    ids = [new_id() for _ in range(5000)]

    assert len(set(ids)) == len(ids)
    assert all(a < b for a, b in itertools.pairwise(ids))


def test_ids_fit_a_signed_64_bit_column():
    value = new_id()

    assert isinstance(value, int)
    assert 0 < value <= BIGINT_MAX
    # Far above 32 bits: the millisecond clock is in the top 48.
    assert value.bit_length() > 56


def test_an_id_decodes_to_the_moment_it_was_minted():
    before = _now_ms()
    value = new_id()
    after = _now_ms()

    # A burst of more than 1,024 ids in one millisecond borrows the next
    # millisecond, so the decoded time may run a little ahead of the clock.
    assert before <= id_to_unix_ms(value) <= after + 1000


def test_ids_minted_later_decode_to_a_later_time():
    first = new_id()
    # Wait out the millisecond the first id used (a burst may have run ahead).
    while _now_ms() <= id_to_unix_ms(first):
        time.sleep(0.001)
    second = new_id()

    assert id_to_unix_ms(second) > id_to_unix_ms(first)


def test_backdated_id_decodes_to_its_moment():
    moment = datetime(2024, 2, 29, 12, 30, 15, 250_000, tzinfo=UTC)

    value = id_at(moment)

    assert id_to_unix_ms(value) == int(moment.timestamp() * 1000)
    assert id_at(moment) < new_id()


def test_id_for_time_is_the_smallest_id_of_its_millisecond():
    unix_ms = 1_700_000_000_123

    smallest = id_for_time(unix_ms)

    assert id_to_unix_ms(smallest) == unix_ms
    assert id_to_unix_ms(smallest - 1) == unix_ms - 1
    assert id_for_time(unix_ms + 1) - smallest == 1 << 16


def test_id_for_time_is_a_cursor_below_every_later_id():
    cursor = id_for_time(_now_ms())

    assert cursor <= new_id()


def test_ids_are_unique_across_threads():
    minted: list[list[int]] = [[] for _ in range(4)]

    def mint(into: list[int]) -> None:
        into.extend(new_id() for _ in range(1000))

    threads = [threading.Thread(target=mint, args=(out,)) for out in minted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [value for out in minted for value in out]
    assert len(set(every)) == 4000
    for out in minted:
        assert out == sorted(out)
