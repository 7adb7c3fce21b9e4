"""Copy sources elsewhere (issue 19, items 1 and 4): another region or endpoint for
``copy_object``, ``upload_part_copy`` and ``copy``; the source host COS documents
(``<bucket>.cos.<region>.myqcloud.com``, never the accelerate domain), checked against the
official SDK's; SSE-C sources and SSE-C restores."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from qcloud_cos.cos_comm import gen_copy_source_url

from cos_async import (
    AsyncCosClient,
    CosConfig,
    InvalidArgument,
    NoSuchBucket,
    NoSuchKey,
)
from cos_async._endpoint import Endpoint
from cos_async._transport import HttpRequest, Response
from cos_async.testing import LocalCosServer
from tests.seams import engine

MiB = 1024 * 1024
B = "src-1250000000"


def _source(config: dict[str, Any], **kwargs: Any) -> str:
    cfg = CosConfig(secret_id="a", secret_key="b", **config)
    return Endpoint(cfg).copy_source(B, "dir/ü k", None, **kwargs)


@pytest.mark.parametrize(
    ("config", "kwargs", "official"),
    [
        ({"region": "ap-guangzhou"}, {}, {"Region": "ap-guangzhou"}),
        ({"region": "ap-guangzhou"}, {"region": "ap-beijing"}, {"Region": "ap-beijing"}),
        (
            {"region": "ap-guangzhou"},
            {"endpoint": "cos.ap-shanghai.myqcloud.com"},
            {"Endpoint": "cos.ap-shanghai.myqcloud.com"},
        ),
        # the accelerate domain is no copy source: the source is named by its region
        ({"region": "ap-guangzhou", "accelerate": True}, {}, {"Region": "ap-guangzhou"}),
        (
            {"region": "ap-guangzhou", "endpoint": "cos.accelerate.myqcloud.com"},
            {},
            {"Region": "ap-guangzhou"},
        ),
    ],
)
def test_the_source_host_is_the_official_sdks(
    config: dict[str, Any], kwargs: dict[str, Any], official: dict[str, str]
) -> None:
    expected = gen_copy_source_url(
        {"Bucket": B, "Key": "dir/ü k", **official},
        EnableOldDomain=True,
        EnableInternalDomain=False,
    )
    got = _source(config, **kwargs)
    assert got.split("/", 1)[0] == expected.split("/", 1)[0]
    assert got.endswith("/dir/%C3%BC%20k")


def test_internal_and_new_domains() -> None:
    assert _source({"region": "ap-guangzhou", "internal": True}).startswith(
        f"{B}.cos-internal.ap-guangzhou.tencentcos.cn/"
    )
    assert _source(
        {"region": "ap-guangzhou", "domain_suffix": "tencentcos.cn"}, region="ap-beijing"
    ).startswith(f"{B}.cos.ap-beijing.tencentcos.cn/")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"source_region": "AP BEIJING"}, "source_region"),
        ({"source_endpoint": "http://x"}, "source_endpoint"),
    ],
)
async def test_bad_sources(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, kwargs: dict[str, str], named: str
) -> None:
    with pytest.raises(InvalidArgument, match=named):
        await cos.copy_object(bucket, "k", source_bucket=bucket, source_key="s", **kwargs)
    with pytest.raises(InvalidArgument, match=named):
        await cos.copy(bucket, "s", bucket, "k", **kwargs)
    assert server.requests.records() == []


async def test_a_copy_from_another_region(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    source = server.create_bucket("beijing-1250000000", region="ap-beijing")
    data = random.Random(3).randbytes(3 * MiB + 5)
    await cos.put_object(source, "s", data)
    # without the region the source is looked for in the client's region: not there
    with pytest.raises(NoSuchBucket, match="ap-beijing"):
        await cos.copy_object(bucket, "k", source_bucket=source, source_key="s")
    await cos.copy_object(
        bucket, "k", source_bucket=source, source_key="s", source_region="ap-beijing"
    )
    assert await (await cos.get_object(bucket, "k")).read() == data
    result = await cos.copy(
        source, "s", bucket, "big", source_region="ap-beijing", threshold=MiB, part_size=MiB
    )
    assert result.parts == 4
    assert await (await cos.get_object(bucket, "big")).read() == data
    up = await cos.create_multipart_upload(bucket, "part")
    part = await cos.upload_part_copy(
        bucket,
        "part",
        up.upload_id,
        1,
        source_bucket=source,
        source_key="s",
        source_region="ap-beijing",
        source_range=(0, 99),
    )
    await cos.complete_multipart_upload(bucket, "part", up.upload_id, [(1, part.etag)])
    assert await (await cos.get_object(bucket, "part")).read() == data[:100]


async def test_copy_heads_the_source_in_its_region() -> None:
    """A virtual-hosted client: the HEAD of copy() goes to the source region's host."""
    cos = AsyncCosClient(CosConfig(region="ap-guangzhou", secret_id="a", secret_key="b"))
    hosts: list[str] = []

    class Refusing:
        async def send(self, request: HttpRequest) -> Response:
            hosts.append(request.url.split("/")[2])
            raise NoSuchKey("absent", status=404, code="NoSuchKey")

        async def close(self) -> None:
            pass

        def interrupt(self) -> None:
            pass

        @property
        def closed(self) -> bool:
            return False

    engine(cos).transport = Refusing()
    with pytest.raises(NoSuchKey):
        await cos.copy(B, "s", "dst-1250000000", "k", source_region="ap-beijing")
    assert hosts == [f"{B}.cos.ap-beijing.myqcloud.com"]
    await cos.aclose()


async def test_sse_c_sources_and_restores(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    key_a, key_b = os.urandom(32), os.urandom(32)
    data = random.Random(4).randbytes(2 * MiB + 1)
    await cos.put_object(bucket, "enc", data, sse_customer_key=key_a)
    await cos.copy(
        bucket,
        "enc",
        bucket,
        "enc2",
        threshold=MiB,
        part_size=MiB,
        source_sse_customer_key=key_a,
        sse_customer_key=key_b,
    )
    body = await cos.get_object(bucket, "enc2", sse_customer_key=key_b)
    assert await body.read() == data
    await cos.put_object(
        bucket, "cold", b"archived", storage_class="ARCHIVE", sse_customer_key=key_a
    )
    with pytest.raises(Exception, match=r"SSE-C|customer key") as info:
        await cos.restore_object(bucket, "cold", days=1)
    assert getattr(info.value, "status", None) == 400
    assert await cos.restore_object(bucket, "cold", days=1, sse_customer_key=key_a) == 202
