"""Client-side encryption against the official SDK (``qcloud_cos``'s ``CosEncryptionClient``),
both ways, on the local server: what it writes (symmetric provider, RSA from key strings
(PKCS #1 v1.5) and from key files (OAEP); single PUT and multipart) we read byte-exact, whole,
in ranges across cipher blocks and with ``download_file``; what we write (``put_object``,
``upload_file`` in concurrent parts, ``upload_stream``, part by part) it reads byte-exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cos_async import AsyncCosClient
from cos_async.crypto import AesKeyProvider, AsyncCosEncryptionClient, RsaKeyProvider

from .conftest import MiB, OfficialFactory, RsaPair, official_read, payload

pytest.importorskip("qcloud_cos")

#: ranges (inclusive) across 16-byte block boundaries, and the last bytes
RANGES = [(0, 0), (15, 16), (1, 31), (17, 47), (4095, 4097), (1000, None)]


def _ours(cos: AsyncCosClient, kind: str, aes_key: bytes, rsa_pair: RsaPair) -> Any:
    if kind == "aes":
        return AsyncCosEncryptionClient(cos, AesKeyProvider(aes_key))
    return AsyncCosEncryptionClient(cos, RsaKeyProvider(private_key=rsa_pair.private_pem))


def _official_provider(kind: str, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(
        {"aes": "official_aes", "rsa-strings": "official_rsa_strings"}.get(
            kind, "official_rsa_files"
        )
    )


def _expected(data: bytes, first: int, last: int | None) -> bytes:
    return data[first : None if last is None else last + 1]


@pytest.mark.parametrize("kind", ["aes", "rsa-strings", "rsa-files"])
async def test_we_read_what_the_official_sdk_puts(
    kind: str,
    request: pytest.FixtureRequest,
    official: OfficialFactory,
    cos_client: AsyncCosClient,
    cos_bucket: str,
    aes_key: bytes,
    rsa_pair: RsaPair,
    tmp_path: Path,
) -> None:
    data = payload(300_001, seed=1)
    official(_official_provider(kind, request)).put_object(
        Bucket=cos_bucket, Body=data, Key="theirs"
    )
    raw = await (await cos_client.get_object(cos_bucket, "theirs")).read()
    assert len(raw) == len(data)
    assert raw != data
    enc = _ours(cos_client, kind, aes_key, rsa_pair)
    body = await enc.get_object(cos_bucket, "theirs")
    assert await body.read() == data
    assert body.crc64 == body.meta.crc64 is not None  # checked on the ciphertext
    for first, last in RANGES:
        got = await (await enc.get_object(cos_bucket, "theirs", range=(first, last))).read()
        assert got == _expected(data, first, last), (first, last)
    result = await enc.download_file(
        cos_bucket, "theirs", tmp_path / "out", part_size=MiB, threshold=0
    )
    assert (tmp_path / "out").read_bytes() == data
    assert result.size == len(data)


@pytest.mark.parametrize("kind", ["aes", "rsa-files"])
async def test_we_read_the_official_multipart_upload(
    kind: str,
    request: pytest.FixtureRequest,
    official: OfficialFactory,
    cos_client: AsyncCosClient,
    cos_bucket: str,
    aes_key: bytes,
    rsa_pair: RsaPair,
    tmp_path: Path,
) -> None:
    """Its parts continue one CTR stream whatever their sizes (these are not multiples of 16,
    which its documentation asks for and its code does not need)."""
    client = official(_official_provider(kind, request))
    sizes = [MiB + 5, MiB + 11, 1234]
    data = payload(sum(sizes), seed=2)
    upload_id = client.create_multipart_upload(Bucket=cos_bucket, Key="parts")["UploadId"]
    parts, offset = [], 0
    for n, size in enumerate(sizes, start=1):
        reply = client.upload_part(
            Bucket=cos_bucket,
            Key="parts",
            Body=data[offset : offset + size],
            PartNumber=n,
            UploadId=upload_id,
        )
        parts.append({"PartNumber": n, "ETag": reply["ETag"]})
        offset += size
    client.complete_multipart_upload(
        Bucket=cos_bucket, Key="parts", UploadId=upload_id, MultipartUpload={"Part": parts}
    )
    enc = _ours(cos_client, kind, aes_key, rsa_pair)
    assert await (await enc.get_object(cos_bucket, "parts")).read() == data
    across = (MiB + 3, MiB + 40)  # a range over the first part boundary
    got = await (await enc.get_object(cos_bucket, "parts", range=across)).read()
    assert got == _expected(data, *across)
    await enc.download_file(
        cos_bucket, "parts", tmp_path / "out", part_size=MiB, threshold=0, concurrency=3
    )
    assert (tmp_path / "out").read_bytes() == data


async def test_the_official_sdk_reads_what_we_write_with_aes(
    official: OfficialFactory,
    official_aes: Any,
    cos_client: AsyncCosClient,
    cos_bucket: str,
    aes_key: bytes,
    tmp_path: Path,
) -> None:
    client = official(official_aes)
    enc = AsyncCosEncryptionClient(cos_client, AesKeyProvider(aes_key))
    small = payload(70_001, seed=3)
    await enc.put_object(cos_bucket, "put", small, metadata={"owner": "me"})
    assert official_read(client, cos_bucket, "put") == small
    # its ranged read enters the stream at a block boundary and drops the bytes before
    assert official_read(client, cos_bucket, "put", Range="bytes=17-4100") == small[17:4101]
    meta = await cos_client.head_object(cos_bucket, "put")
    assert meta.metadata["owner"] == "me"  # kept beside the key (the official SDK drops it)

    big = payload(3 * MiB + 7, seed=4)
    (tmp_path / "big").write_bytes(big)
    await enc.upload_file(
        cos_bucket, "file", tmp_path / "big", part_size=MiB, threshold=0, concurrency=4
    )
    assert official_read(client, cos_bucket, "file") == big

    async def chunks() -> Any:
        for off in range(0, len(big), 300_000):
            yield big[off : off + 300_000]

    await enc.upload_stream(cos_bucket, "stream", chunks(), part_size=MiB, concurrency=2)
    assert official_read(client, cos_bucket, "stream") == big

    upload = await enc.create_multipart_upload(cos_bucket, "parts", part_size=MiB)
    parts = [
        await enc.upload_part(
            cos_bucket, "parts", upload.upload_id, n, big[(n - 1) * MiB : n * MiB]
        )
        for n in (2, 1, 4, 3)  # any order: each part is enciphered at its own offset
    ]
    await enc.complete_multipart_upload(cos_bucket, "parts", upload.upload_id, parts)
    assert official_read(client, cos_bucket, "parts") == big


@pytest.mark.parametrize(
    ("padding", "reader"), [("oaep", "official_rsa_files"), ("pkcs1v15", "official_rsa_strings")]
)
async def test_the_official_sdk_reads_what_we_write_with_rsa(
    padding: Any,
    reader: str,
    request: pytest.FixtureRequest,
    official: OfficialFactory,
    cos_client: AsyncCosClient,
    cos_bucket: str,
    rsa_pair: RsaPair,
) -> None:
    """Its readers read only the padding their own kind of provider writes."""
    client = official(request.getfixturevalue(reader))
    writer = RsaKeyProvider(public_key=rsa_pair.public_pem, padding=padding)
    data = payload(50_000, seed=5)
    await AsyncCosEncryptionClient(cos_client, writer).put_object(cos_bucket, "rsa", data)
    assert official_read(client, cos_bucket, "rsa") == data
