"""The server tests run against both in-memory body layouts of the local server: bodies copied
into pooled slabs (the default) and received chunks kept as they are
(``keep_received_chunks``, what ``python -m cos_async.testing`` uses)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cos_async.testing import LocalCosServer


@pytest.fixture(params=[False, True], ids=["slabs", "kept-chunks"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[LocalCosServer]:
    """A fresh in-memory server on this test's event loop (each body layout in turn)."""
    async with LocalCosServer(keep_received_chunks=request.param) as srv:
        yield srv
