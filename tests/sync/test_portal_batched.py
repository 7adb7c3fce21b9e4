"""The batched iteration of the facade's listings (``LoopThread.iterate(batched=True)``): the
items of a page cross to the caller's thread together, in order; items produced before the
producer waits are handed over without waiting for more; a slow consumer holds the producer
back (memory bounded); stopping early closes the async iterator."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from cos_sync import _portal

BOUND = 20.0


@pytest.fixture
def lt() -> Iterator[_portal.LoopThread]:
    thread = _portal.acquire()
    try:
        yield thread
    finally:
        _portal.release(thread)


def test_pages_arrive_in_order(lt: _portal.LoopThread) -> None:
    async def pages() -> AsyncIterator[int]:
        for page in range(5):
            await asyncio.sleep(0.001)  # the network
            for i in range(700):
                yield page * 700 + i

    assert list(lt.iterate(pages(), batched=True)) == list(range(3500))


def test_items_before_a_wait_are_handed_over_at_once(lt: _portal.LoopThread) -> None:
    release = threading.Event()

    async def slow() -> AsyncIterator[int]:
        yield 1
        yield 2
        await asyncio.to_thread(release.wait, 30)  # a long wait for the next page
        yield 3

    gen = lt.iterate(slow(), batched=True)
    assert next(gen) == 1  # did not wait for the next page
    assert next(gen) == 2
    release.set()
    assert list(gen) == [3]


def test_a_slow_consumer_holds_the_producer_back(lt: _portal.LoopThread) -> None:
    produced = [0]

    async def endless() -> AsyncIterator[int]:
        n = 0
        while True:
            produced[0] += 1
            yield n
            n += 1
            if n % 100 == 0:
                await asyncio.sleep(0)

    gen = lt.iterate(endless(), batched=True)
    assert next(gen) == 0
    time.sleep(0.3)  # the consumer does nothing for a while
    # at most the batch in hand, the one queued and the one being gathered
    assert produced[0] <= 3 * _portal.MAX_BATCH
    assert next(gen) == 1
    gen.close()


def test_stopping_early_closes_the_iterator(lt: _portal.LoopThread) -> None:
    closed = threading.Event()

    async def items() -> AsyncIterator[int]:
        try:
            for i in range(10_000):
                yield i
                if i % 500 == 0:
                    await asyncio.sleep(0)
        finally:
            closed.set()

    for i in lt.iterate(items(), batched=True):
        if i == 3:
            break
    assert closed.wait(BOUND)


def test_an_error_after_some_items(lt: _portal.LoopThread) -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0)
        raise KeyError("page 2")

    gen = lt.iterate(failing(), batched=True)
    assert next(gen) == 1
    with pytest.raises(KeyError, match="page 2"):
        next(gen)
