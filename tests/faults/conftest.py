"""Shared fixtures of the fault-injection tests (tests/faults): a client for ``server``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import cos_async
from cos_async import AsyncCosClient, CosConfig
from cos_async.testing import LocalCosServer


@pytest.fixture(autouse=True)
def _testing_mode() -> Iterator[None]:
    """Retries happen as configured but without sleeping between attempts."""
    cos_async.set_testing(True)
    try:
        yield
    finally:
        cos_async.set_testing(False)


@pytest.fixture
def config(server: LocalCosServer) -> CosConfig:
    """A path-style client configuration for the ``server`` fixture."""
    return CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )


@pytest.fixture
async def cos(config: CosConfig) -> AsyncIterator[AsyncCosClient]:
    """An AsyncCosClient for ``server``, closed after the test."""
    async with AsyncCosClient(config) as client:
        yield client
