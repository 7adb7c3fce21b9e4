"""The connection pool: unread bodies release their connection when dropped, and a request that
finds no free connection waits at most ``pool_timeout``, then raises :class:`PoolTimeout`
naming the pool and the bodies holding it (it waited forever before)."""

from __future__ import annotations

import asyncio
import time

import attrs
import pytest

from cos_async import AsyncCosClient, CosConfig, CosError, InvalidArgument, PoolTimeout
from cos_async.testing import LocalCosServer


def _small_pool(config: CosConfig) -> CosConfig:
    return attrs.evolve(config, pool_size=4, pool_timeout=0.5)


async def test_unread_bodies_time_out_then_release_when_dropped(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    async with AsyncCosClient(_small_pool(config)) as cos:
        await cos.put_object(bucket, "k", b"x" * 300_000)
        bodies = [await cos.get_object(bucket, "k") for _ in range(4)]  # never read
        started = time.monotonic()
        with pytest.raises(PoolTimeout) as info:
            await cos.head_object(bucket, "k")
        assert time.monotonic() - started < 30  # bounded: it waited forever before
        message = str(info.value)
        assert "pool_size=4" in message
        assert "4 of them are held by response bodies" in message
        assert isinstance(info.value, TimeoutError)
        assert isinstance(info.value, CosError)
        # dropped unread: each body gives its connection back, with a ResourceWarning
        with pytest.warns(ResourceWarning, match="unclosed ObjectBody"):
            bodies.clear()
        await asyncio.sleep(0)  # the releases run on the loop
        meta = await cos.head_object(bucket, "k")
        assert meta.size == 300_000


async def test_a_closed_or_read_body_frees_its_connection_at_once(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    async with AsyncCosClient(_small_pool(config)) as cos:
        await cos.put_object(bucket, "k", b"x" * 300_000)
        for _ in range(3):  # many more bodies than connections, each read or closed
            for _ in range(4):
                body = await cos.get_object(bucket, "k")
                await body.aclose()
            for _ in range(4):
                assert len(await (await cos.get_object(bucket, "k")).read()) == 300_000
        # a body half read and then closed frees its (now useless) connection too
        body = await cos.get_object(bucket, "k")
        async for _ in body.iter_chunks(1000):
            break
        await cos.head_object(bucket, "k")


async def test_pool_timeout_is_not_retried(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    async with AsyncCosClient(_small_pool(config)) as cos:
        await cos.put_object(bucket, "k", b"x" * 300_000)
        bodies = [await cos.get_object(bucket, "k") for _ in range(4)]
        before = server.requests.count("HeadObject")
        with pytest.raises(PoolTimeout):
            await cos.head_object(bucket, "k")
        assert server.requests.count("HeadObject") == before  # nothing was sent
        for body in bodies:
            await body.aclose()


@pytest.mark.parametrize("value", [0, -1, float("nan"), "5", True])
def test_pool_timeout_is_checked(value: object) -> None:
    with pytest.raises(InvalidArgument, match="pool_timeout"):
        CosConfig(region="ap-guangzhou", pool_timeout=value)  # type: ignore[arg-type]
