"""Fixtures of the cos_sync (blocking facade) tests.

The server runs on its own loop thread (``LocalCosServer.run_in_thread()``), so these tests are
plain synchronous functions, like the code that uses cos_sync.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from cos_async.testing import LocalCosServer, ThreadedLocalCosServer
from cos_sync import CosClient, CosConfig, _portal

#: how long a teardown waits for the loop thread of the facade to stop (it stops asynchronously
#: only after a client was garbage-collected unclosed)
LOOP_STOP_WAIT = 10.0


def wait_until(predicate: object, timeout: float = LOOP_STOP_WAIT) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` passes; returns its last value."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


async def _cancel_leftover_handlers() -> None:
    """Cancel what is still running on the server's loop (but this).

    A client killed (or cancelled) mid-upload leaves aiohttp's handler of that request waiting to
    drain the rest of a body that will never come ("lingering", up to 10 s); its connection is
    already gone, so the runner's cleanup does not see it, and ``ThreadedLocalCosServer.stop()``
    closes the loop with the task pending ("Task was destroyed but it is pending!" at exit).
    """
    me = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not me]
    for t in leftovers:
        t.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@pytest.fixture(scope="session")
def sync_server() -> Iterator[ThreadedLocalCosServer]:
    """One in-memory server for the whole session, on its own thread."""
    with LocalCosServer.run_in_thread() as server:
        yield server
        server.run(_cancel_leftover_handlers())


@pytest.fixture
def sync_config(sync_server: ThreadedLocalCosServer) -> CosConfig:
    return CosConfig(
        region=sync_server.region,
        secret_id=sync_server.secret_id,
        secret_key=sync_server.secret_key,
        endpoint_url=sync_server.endpoint,
    )


@pytest.fixture
def sync_bucket(sync_server: ThreadedLocalCosServer) -> Iterator[str]:
    """A fresh bucket; faults and the request log are cleared around the test."""
    sync_server.faults.clear()
    sync_server.requests.clear()
    name = sync_server.create_bucket()
    try:
        yield name
    finally:
        sync_server.faults.clear()
        sync_server.delete_bucket(name)


@pytest.fixture
def cos(sync_config: CosConfig) -> Iterator[CosClient]:
    with CosClient(sync_config) as client:
        yield client


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cos-sync-loop" and t.is_alive()]


@pytest.fixture(autouse=True)
def _no_leaked_loop_thread() -> Iterator[None]:
    """Every test leaves no facade loop thread behind: all its clients were closed (or collected)."""
    yield
    stopped = wait_until(lambda: _portal.current() is None and not loop_threads())
    assert stopped, f"a cos_sync loop thread is still running: {loop_threads()!r}"
