"""The blocking facade does not freeze on unread bodies either: bodies over the prefetch size
hold a connection each; with all held, a call raises PoolTimeout instead of waiting forever, and
bodies dropped unread give their connections back (with a ResourceWarning)."""

from __future__ import annotations

import time

import attrs
import pytest

from cos_sync import CosClient, CosConfig, PoolTimeout
from cos_sync._client import PREFETCH_LIMIT


def test_unread_large_bodies_time_out_then_release_when_dropped(
    sync_config: CosConfig, sync_bucket: str
) -> None:
    config = attrs.evolve(sync_config, pool_size=2, pool_timeout=0.5)
    with CosClient(config) as cos:
        cos.put_object(sync_bucket, "big", b"x" * (PREFETCH_LIMIT + 1))
        bodies = [cos.get_object(sync_bucket, "big") for _ in range(2)]  # never read
        started = time.monotonic()
        with pytest.raises(PoolTimeout, match="2 of them are held by response bodies"):
            cos.head_object(sync_bucket, "big")
        assert time.monotonic() - started < 30
        with pytest.warns(ResourceWarning, match="unclosed ObjectBody"):
            bodies.clear()
        for _ in range(50):  # the releases run on the loop thread
            try:
                assert cos.head_object(sync_bucket, "big").size == PREFETCH_LIMIT + 1
                break
            except PoolTimeout:
                continue
        else:
            pytest.fail("the dropped bodies never gave their connections back")
