"""``AsyncCosEncryptionClient`` on its own, against the local server: plaintext round trips
through every writing and reading method, ranges across cipher blocks, the plaintext length,
CRC-64 on the ciphertext (a damaged body is caught), wrong keys and tampered metadata refused
before any plaintext or file, the multipart rules, and streaming without buffering."""

from __future__ import annotations

import base64
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from cos_async import (
    AsyncCosClient,
    DecryptionError,
    IntegrityError,
    InvalidArgument,
)
from cos_async.crypto import (
    AesKeyProvider,
    AsyncCosEncryptionClient,
    RsaKeyProvider,
    WrappedKey,
)
from cos_async.testing import ThreadedLocalCosServer

from .conftest import MiB, RsaPair, payload

KEY_META = "client-side-encryption-key"
IV_META = "client-side-encryption-iv"
CHECK_META = "client-side-encryption-cos-async-check"


@pytest.fixture
def enc(cos_client: AsyncCosClient, aes_key: bytes) -> AsyncCosEncryptionClient:
    return AsyncCosEncryptionClient(cos_client, AesKeyProvider(aes_key))


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100_003])
async def test_put_and_get_round_trip(
    enc: AsyncCosEncryptionClient, cos_client: AsyncCosClient, cos_bucket: str, size: int
) -> None:
    data = payload(size, seed=size)
    put = await enc.put_object(cos_bucket, "k", data)
    raw = await (await cos_client.get_object(cos_bucket, "k")).read()
    assert len(raw) == size  # the plaintext length is the object's length
    assert size < 16 or raw != data
    assert put.crc64 == (await cos_client.head_object(cos_bucket, "k")).crc64
    body = await enc.get_object(cos_bucket, "k")
    assert body.size == size
    assert await body.read() == data


@pytest.mark.parametrize(
    ("first", "last"),
    [(0, 0), (0, 15), (15, 16), (16, 31), (1, 30), (31, 33), (4095, 4096), (5000, None)],
)
async def test_ranges_across_cipher_blocks(
    enc: AsyncCosEncryptionClient, cos_bucket: str, first: int, last: int | None
) -> None:
    data = payload(10_000, seed=9)
    await enc.put_object(cos_bucket, "k", data)
    body = await enc.get_object(cos_bucket, "k", range=(first, last))
    want = data[first : None if last is None else last + 1]
    assert body.size == len(want)
    assert await body.read() == want


async def test_iter_chunks_of_any_size(enc: AsyncCosEncryptionClient, cos_bucket: str) -> None:
    data = payload(3 * MiB + 5, seed=10)
    await enc.put_object(cos_bucket, "k", data)
    body = await enc.get_object(cos_bucket, "k")
    pieces = [c async for c in body.iter_chunks(12_345)]
    assert b"".join(pieces) == data
    assert {len(p) for p in pieces[:-1]} == {12_345}


async def test_transfers_round_trip(
    enc: AsyncCosEncryptionClient, cos_client: AsyncCosClient, cos_bucket: str, tmp_path: Path
) -> None:
    data = payload(5 * MiB + 3, seed=11)
    src = tmp_path / "src"
    src.write_bytes(data)
    reports: list[Any] = []
    up = await enc.upload_file(
        cos_bucket, "f", src, part_size=MiB, threshold=0, concurrency=3, progress=reports.append
    )
    assert up.size == len(data)
    assert up.parts == 6
    assert reports[-1].bytes_done == len(data)
    head = await cos_client.head_object(cos_bucket, "f")
    assert head.size == len(data)
    assert head.crc64 == up.crc64
    down = await enc.download_file(
        cos_bucket, "f", tmp_path / "dst", part_size=MiB, threshold=0, concurrency=4
    )
    assert (tmp_path / "dst").read_bytes() == data
    assert down.size == len(data)
    assert down.crc64 == up.crc64
    # one PUT below the threshold, and a single-range download
    await enc.upload_file(cos_bucket, "small", src)
    await enc.download_file(cos_bucket, "small", tmp_path / "small")
    assert (tmp_path / "small").read_bytes() == data
    # a stream of unknown length: one PUT when it fits in a part, else parts
    for name, size in (("one", 1000), ("many", 2 * MiB + 1)):

        async def chunks(size: int = size) -> Any:
            for off in range(0, size, 65_536):
                yield data[off : min(size, off + 65_536)]

        await enc.upload_stream(cos_bucket, name, chunks(), part_size=MiB)
        assert await (await enc.get_object(cos_bucket, name)).read() == data[:size]


@pytest.mark.parametrize("threaded", [True, False], ids=["threaded-path", "aiohttp-path"])
async def test_transfers_on_both_transport_paths(
    cos_config: Any, cos_bucket: str, aes_key: bytes, tmp_path: Path, threaded: bool
) -> None:
    """Parts are enciphered, and ranges deciphered, on the threaded bulk path and on the
    aiohttp one (taken behind a proxy): both send and receive through the cipher."""
    from tests.seams import engine

    data = payload(3 * MiB + 100, seed=16)
    (tmp_path / "src").write_bytes(data)
    async with AsyncCosClient(cos_config) as cos:
        transport: Any = engine(cos).transport
        assert transport.bulk is not None
        if not threaded:
            transport.bulk = None
        enc = AsyncCosEncryptionClient(cos, AesKeyProvider(aes_key))
        await enc.upload_file(cos_bucket, "f", tmp_path / "src", part_size=MiB, threshold=0)
        await enc.download_file(cos_bucket, "f", tmp_path / "dst", part_size=MiB, threshold=0)
        assert transport.sent["bulk"] == (8 if threaded else 0)
    assert (tmp_path / "dst").read_bytes() == data


async def test_empty_file(enc: AsyncCosEncryptionClient, cos_bucket: str, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    await enc.upload_file(cos_bucket, "e", tmp_path / "empty")
    result = await enc.download_file(cos_bucket, "e", tmp_path / "back")
    assert result.size == 0
    assert (tmp_path / "back").read_bytes() == b""


async def test_file_object_and_content_md5(enc: AsyncCosEncryptionClient, cos_bucket: str) -> None:
    """A binary file is a replayable body; Content-MD5 is that of the ciphertext (COS checks
    it against what it receives)."""
    import io

    data = payload(200_000, seed=12)
    await enc.put_object(cos_bucket, "k", io.BytesIO(data), content_md5=True)
    assert await (await enc.get_object(cos_bucket, "k")).read() == data


async def test_metadata_beside_the_key(
    enc: AsyncCosEncryptionClient, cos_client: AsyncCosClient, cos_bucket: str
) -> None:
    await enc.put_object(cos_bucket, "k", b"x", metadata={"owner": "me"}, content_type="text/x")
    meta = await cos_client.head_object(cos_bucket, "k")
    assert meta.metadata["owner"] == "me"
    assert meta.content_type == "text/x"
    assert {KEY_META, IV_META, CHECK_META} <= set(meta.metadata)
    with pytest.raises(InvalidArgument, match="reserved"):
        await enc.put_object(cos_bucket, "k", b"x", metadata={"Client-Side-Encryption-IV": "a"})
    with pytest.raises(InvalidArgument, match="must not set"):
        await enc.put_object(
            cos_bucket, "k", b"x", extra_headers={f"x-cos-meta-{KEY_META}": "AAAA"}
        )


async def test_metadata_limit_counts_the_wrapped_key(
    cos_client: AsyncCosClient, cos_bucket: str
) -> None:
    enc = AsyncCosEncryptionClient(cos_client, RsaKeyProvider.generate(4096))
    with pytest.raises(InvalidArgument, match="metadata is"):
        await enc.put_object(cos_bucket, "k", b"x", metadata={"big": "v" * 800})
    await enc.put_object(cos_bucket, "k", b"x", metadata={"small": "v" * 100})
    assert await (await enc.get_object(cos_bucket, "k")).read() == b"x"


# --- CRC-64 on the ciphertext -----------------------------------------------------------------


async def test_damaged_download_is_caught(
    enc: AsyncCosEncryptionClient,
    cos_server: ThreadedLocalCosServer,
    cos_bucket: str,
    tmp_path: Path,
) -> None:
    data = payload(300_000, seed=13)
    await enc.put_object(cos_bucket, "k", data)
    cos_server.faults.add(action="corrupt", operation="GetObject", after_bytes=1000)
    with pytest.raises(IntegrityError, match="CRC64"):
        await (await enc.get_object(cos_bucket, "k")).read()
    # download_file fetches a damaged range again; damaged every time, it leaves no file
    cos_server.faults.add(action="corrupt", operation="GetObject", after_bytes=10)
    await enc.download_file(cos_bucket, "k", tmp_path / "ok")
    assert (tmp_path / "ok").read_bytes() == data
    cos_server.faults.add(action="corrupt", operation="GetObject", times=None)
    with pytest.raises(IntegrityError):
        await enc.download_file(cos_bucket, "k", tmp_path / "bad")
    assert _leftovers(tmp_path) == ["ok"]


async def test_damaged_upload_is_caught(
    enc: AsyncCosEncryptionClient, cos_server: ThreadedLocalCosServer, cos_bucket: str
) -> None:
    """COS's CRC-64 of what it stored is compared with that of the ciphertext sent: a part
    stored damaged is sent again (a replayable body)."""
    data = payload(2 * MiB, seed=14)
    rule = cos_server.faults.add(action="corrupt", operation="PutObject", after_bytes=5)
    await enc.put_object(cos_bucket, "k", data)
    assert cos_server.faults.fired(rule) == 1
    assert await (await enc.get_object(cos_bucket, "k")).read() == data


# --- wrong keys, tampered metadata ------------------------------------------------------------


async def test_wrong_aes_key(
    enc: AsyncCosEncryptionClient, cos_client: AsyncCosClient, cos_bucket: str, tmp_path: Path
) -> None:
    await enc.put_object(cos_bucket, "k", payload(1000))
    other = AsyncCosEncryptionClient(cos_client, AesKeyProvider.generate())
    with pytest.raises(DecryptionError, match="another master key"):
        await other.get_object(cos_bucket, "k")
    dest = tmp_path / "dest"
    dest.write_bytes(b"previous content")
    with pytest.raises(DecryptionError):
        await other.download_file(cos_bucket, "k", dest)
    assert dest.read_bytes() == b"previous content"  # untouched, and nothing beside it
    assert _leftovers(tmp_path) == ["dest"]
    # the connection of the refused GET was dropped, not leaked: the client still works
    assert await (await enc.get_object(cos_bucket, "k")).read() == payload(1000)


async def test_wrong_rsa_key_and_public_key_only(
    cos_client: AsyncCosClient,
    cos_bucket: str,
    rsa_pair: RsaPair,
    other_rsa_pair: RsaPair,
    tmp_path: Path,
) -> None:
    writer = AsyncCosEncryptionClient(cos_client, RsaKeyProvider(public_key=rsa_pair.public_pem))
    await writer.put_object(cos_bucket, "k", b"secret")
    with pytest.raises(DecryptionError, match="only the public key"):
        await writer.get_object(cos_bucket, "k")
    other = AsyncCosEncryptionClient(
        cos_client, RsaKeyProvider(private_key=other_rsa_pair.private_pem)
    )
    with pytest.raises(DecryptionError):
        await other.download_file(cos_bucket, "k", tmp_path / "out")
    assert _leftovers(tmp_path) == []
    reader = AsyncCosEncryptionClient(cos_client, RsaKeyProvider(private_key=rsa_pair.private_pem))
    assert await (await reader.get_object(cos_bucket, "k")).read() == b"secret"


async def _with_metadata(
    cos_client: AsyncCosClient, bucket: str, key: str, change: dict[str, str | None]
) -> None:
    """Rewrite ``key``'s metadata in place (a copy onto itself), as someone with write access
    to the bucket could."""
    meta = dict((await cos_client.head_object(bucket, key)).metadata)
    for name, value in change.items():
        if value is None:
            meta.pop(name, None)
        else:
            meta[name] = value
    await cos_client.copy_object(
        bucket,
        key,
        source_bucket=bucket,
        source_key=key,
        metadata_directive="Replaced",
        metadata=meta,
    )


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("flip-iv", "altered"),
        ("flip-key", "altered"),
        ("flip-check", "altered"),
        ("no-iv", "incomplete"),
        ("no-key", "incomplete"),
        ("not-base64", "not base64"),
        ("short-iv", "IV is not 16 bytes"),
    ],
)
async def test_tampered_metadata(
    enc: AsyncCosEncryptionClient,
    cos_client: AsyncCosClient,
    cos_bucket: str,
    tmp_path: Path,
    kind: str,
    match: str,
) -> None:
    await enc.put_object(cos_bucket, "k", payload(5000))
    meta = (await cos_client.head_object(cos_bucket, "k")).metadata
    change: dict[str, str | None] = {
        "flip-iv": {IV_META: _flip(meta[IV_META])},
        "flip-key": {KEY_META: _flip(meta[KEY_META])},
        "flip-check": {CHECK_META: _flip(meta[CHECK_META])},
        "no-iv": {IV_META: None},
        "no-key": {KEY_META: None},
        "not-base64": {IV_META: "not*base64"},
        "short-iv": {IV_META: base64.b64encode(b"12345").decode()},
    }[kind]
    await _with_metadata(cos_client, cos_bucket, "k", change)
    with pytest.raises(DecryptionError, match=match):
        await enc.get_object(cos_bucket, "k")
    with pytest.raises(DecryptionError, match=match):
        await enc.download_file(cos_bucket, "k", tmp_path / "out")
    assert _leftovers(tmp_path) == []


async def test_an_object_that_is_not_encrypted(
    cos_client: AsyncCosClient, cos_bucket: str, aes_key: bytes, tmp_path: Path
) -> None:
    await cos_client.put_object(cos_bucket, "plain", b"plaintext")
    strict = AsyncCosEncryptionClient(cos_client, AesKeyProvider(aes_key))
    with pytest.raises(DecryptionError, match="not client-side encrypted"):
        await strict.get_object(cos_bucket, "plain")
    with pytest.raises(DecryptionError, match="not client-side encrypted"):
        await strict.download_file(cos_bucket, "plain", tmp_path / "out")
    lenient = AsyncCosEncryptionClient(cos_client, AesKeyProvider(aes_key), allow_unencrypted=True)
    assert await (await lenient.get_object(cos_bucket, "plain")).read() == b"plaintext"
    await lenient.download_file(cos_bucket, "plain", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"plaintext"


async def test_a_custom_async_provider(cos_client: AsyncCosClient, cos_bucket: str) -> None:
    """A KMS-like provider: coroutine methods, its own wrapped form (here: a tag and the
    bytes XORed with a pad)."""
    pad = os.urandom(48)
    calls: list[str] = []

    class Kms:
        async def wrap(self, data_key: bytes, iv: bytes) -> WrappedKey:
            calls.append("wrap")
            return WrappedKey(
                key=b"kms:" + bytes(a ^ b for a, b in zip(data_key, pad, strict=False)),
                iv=b"kms:" + bytes(a ^ b for a, b in zip(iv, pad[32:], strict=False)),
            )

        async def unwrap(self, wrapped: WrappedKey) -> tuple[bytes, bytes]:
            calls.append("unwrap")
            key, iv = wrapped.key[4:], wrapped.iv[4:]
            return (
                bytes(a ^ b for a, b in zip(key, pad, strict=False)),
                bytes(a ^ b for a, b in zip(iv, pad[32:], strict=False)),
            )

    enc = AsyncCosEncryptionClient(cos_client, Kms())
    await enc.put_object(cos_bucket, "k", b"through a KMS")
    assert await (await enc.get_object(cos_bucket, "k")).read() == b"through a KMS"
    assert calls == ["wrap", "unwrap"]
    with pytest.raises(InvalidArgument, match="key provider"):
        AsyncCosEncryptionClient(cos_client, object())  # type: ignore[arg-type]


# --- multipart, part by part ------------------------------------------------------------------


async def test_multipart_rules(enc: AsyncCosEncryptionClient, cos_bucket: str) -> None:
    data = payload(2 * MiB + 10, seed=15)
    up = await enc.create_multipart_upload(cos_bucket, "m", part_size=MiB)
    with pytest.raises(InvalidArgument, match="more than the upload's part_size"):
        await enc.upload_part(cos_bucket, "m", up.upload_id, 1, data[: MiB + 1])

    async def too_long() -> Any:  # unknown length: stopped before the excess is sent
        yield data[:MiB]
        yield b"!"

    with pytest.raises(InvalidArgument, match="more than"):
        await enc.upload_part(cos_bucket, "m", up.upload_id, 1, too_long())
    p1 = await enc.upload_part(cos_bucket, "m", up.upload_id, 1, data[: MiB - 1])
    p3 = await enc.upload_part(cos_bucket, "m", up.upload_id, 3, data[2 * MiB :])
    with pytest.raises(InvalidArgument, match="without gaps"):
        await enc.complete_multipart_upload(cos_bucket, "m", up.upload_id, [p1, p3])
    p2 = await enc.upload_part(cos_bucket, "m", up.upload_id, 2, data[MiB : 2 * MiB])
    with pytest.raises(InvalidArgument, match="every part but the last"):
        await enc.complete_multipart_upload(cos_bucket, "m", up.upload_id, [p1, p2, p3])
    p1 = await enc.upload_part(cos_bucket, "m", up.upload_id, 1, data[:MiB])
    with pytest.raises(InvalidArgument, match=r"is of .*, not "):
        await enc.upload_part(cos_bucket, "other", up.upload_id, 1, b"x")
    await enc.complete_multipart_upload(cos_bucket, "m", up.upload_id, [p3, p1, p2])
    assert await (await enc.get_object(cos_bucket, "m")).read() == data
    with pytest.raises(InvalidArgument, match="not started by this encryption client"):
        await enc.upload_part(cos_bucket, "m", up.upload_id, 1, b"x")
    up = await enc.create_multipart_upload(cos_bucket, "gone", part_size=MiB)
    await enc.abort_multipart_upload(cos_bucket, "gone", up.upload_id)
    with pytest.raises(InvalidArgument, match="not started by this encryption client"):
        await enc.upload_part(cos_bucket, "gone", up.upload_id, 1, b"x")


async def test_encrypted_transfers_have_no_checkpoint(enc: AsyncCosEncryptionClient) -> None:
    with pytest.raises(TypeError):
        await enc.upload_file("b-1250000000", "k", "p", checkpoint="x")  # type: ignore[call-arg]


# --- memory -----------------------------------------------------------------------------------


async def test_reads_do_not_buffer_the_object(
    enc: AsyncCosEncryptionClient, cos_bucket: str, tmp_path: Path
) -> None:
    """Python allocations while a 48 MiB object is streamed or downloaded stay a small fraction
    of it (fixed buffers: a chunk at a time, a receive and a decipher buffer per worker)."""
    size = 48 * MiB
    src = tmp_path / "src"
    with src.open("wb") as f:
        for n in range(size // MiB):
            f.write(payload(MiB, seed=n))
    await enc.upload_file(cos_bucket, "big", src, part_size=8 * MiB, concurrency=2)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        async for _ in (await enc.get_object(cos_bucket, "big")).iter_chunks():
            pass
        streamed = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        await enc.download_file(
            cos_bucket, "big", tmp_path / "dst", part_size=MiB, threshold=0, concurrency=2
        )
        downloaded = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert streamed < size // 4, streamed
    assert downloaded < size // 4, downloaded
    with src.open("rb") as a, (tmp_path / "dst").open("rb") as b:
        while chunk := a.read(MiB):
            assert b.read(MiB) == chunk
