"""pytest fixtures for testing code against the local COS server.

Installed with the package (entry point ``pytest11``). Fixtures:

``cos_server``
    a session-wide :class:`~cos_async.testing.ThreadedLocalCosServer` (in memory, port 0).
``cos_bucket``
    a fresh, empty bucket for one test (removed afterwards, with its objects); the server's
    armed faults and request log are cleared first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import LocalCosServer, ThreadedLocalCosServer


@pytest.fixture(scope="session")
def cos_server() -> Iterator[ThreadedLocalCosServer]:
    with LocalCosServer.run_in_thread() as server:
        yield server


@pytest.fixture
def cos_bucket(cos_server: ThreadedLocalCosServer) -> Iterator[str]:
    cos_server.faults.clear()
    cos_server.requests.clear()
    name = cos_server.create_bucket()
    try:
        yield name
    finally:
        cos_server.faults.clear()
        cos_server.delete_bucket(name)
