"""Unit tests of the local server's Store (no HTTP): versions, key iteration, blobs."""

from __future__ import annotations

import asyncio
import platform
import random
import subprocess
import sys
from pathlib import Path

import pytest

from cos_async.testing._store import (
    KEEP_MIN,
    STREAM_CHUNK,
    Acl,
    Blob,
    BucketState,
    MemoryBlob,
    ObjectVersion,
    Store,
    iter_segments,
    retain_freed_memory,
)

MIB = 1024 * 1024


@pytest.fixture(params=[False, True], ids=["slabs", "kept-chunks"])
def keep(request: pytest.FixtureRequest) -> bool:
    """Both in-memory layouts: bodies copied into slabs, or received chunks kept."""
    return bool(request.param)


def payload(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def version(key: str, version_id: str, blob: Blob | None, *, marker: bool = False) -> ObjectVersion:
    segments = [blob] if blob is not None else []
    return ObjectVersion(
        key=key,
        version_id=version_id,
        segments=segments,
        size=blob.size if blob is not None else 0,
        etag='"e"',
        crc64=None,
        last_modified=1_700_000_000.0,
        headers={},
        delete_marker=marker,
    )


async def read(segments: list[Blob], start: int, end: int) -> tuple[bytes, list[int]]:
    chunks = [bytes(c) async for c in iter_segments(segments, start, end)]
    return b"".join(chunks), [len(c) for c in chunks]


async def blob_of(store: Store, data: bytes, piece: int = 100_000) -> Blob:
    writer = store.writer(None)
    for i in range(0, len(data), piece):
        await writer.write(data[i : i + piece])
    return await writer.finish()


def new_bucket(store: Store, versioning: str = "") -> BucketState:
    bucket = store.create_bucket("b-1250000000", "ap-guangzhou", Acl(canned="private"))
    bucket.versioning = versioning
    return bucket


# --- versions ---------------------------------------------------------------------------------


async def test_put_version_replaces_null_when_unversioned() -> None:
    store = Store()
    bucket = new_bucket(store)
    first = version("k", "null", await blob_of(store, b"one"))
    second = version("k", "null", await blob_of(store, b"two"))
    assert store.put_version(bucket, first) == []
    replaced = store.put_version(bucket, second)
    assert replaced == [first]
    assert bucket.objects["k"] == [second]
    assert bucket.current("k") is second
    data, _ = await read(bucket.current("k").segments, 0, 3)
    assert data == b"two"


async def test_put_version_enabled_keeps_all_and_suspended_replaces_only_null() -> None:
    store = Store()
    bucket = new_bucket(store, "Enabled")
    v1 = version("k", "v1", await blob_of(store, b"1"))
    v2 = version("k", "v2", await blob_of(store, b"2"))
    assert store.put_version(bucket, v1) == []
    assert store.put_version(bucket, v2) == []
    assert [v.version_id for v in bucket.objects["k"]] == ["v1", "v2"]

    bucket.versioning = "Suspended"
    n1 = version("k", "null", await blob_of(store, b"n1"))
    n2 = version("k", "null", await blob_of(store, b"n2"))
    assert store.put_version(bucket, n1) == []
    assert store.put_version(bucket, n2) == [n1]
    assert [v.version_id for v in bucket.objects["k"]] == ["v1", "v2", "null"]
    assert bucket.current("k") is n2
    # The versions that were kept still read back.
    assert (await read(v1.segments, 0, 1))[0] == b"1"


async def test_remove_version() -> None:
    store = Store()
    bucket = new_bucket(store, "Enabled")
    store.put_version(bucket, version("a", "v1", await blob_of(store, b"a1")))
    store.put_version(bucket, version("a", "v2", await blob_of(store, b"a2")))
    store.put_version(bucket, version("b", "v3", await blob_of(store, b"b")))
    assert bucket.sorted_keys() == ["a", "b"]
    assert store.remove_version(bucket, "a", "nope") is None
    assert store.remove_version(bucket, "missing", "v1") is None
    removed = store.remove_version(bucket, "a", "v2")
    assert removed is not None
    assert removed.version_id == "v2"
    assert bucket.current("a").version_id == "v1"
    store.remove_version(bucket, "a", "v1")
    assert "a" not in bucket.objects
    assert bucket.current("a") is None
    assert bucket.sorted_keys() == ["b"]


async def test_iter_keys_from() -> None:
    store = Store()
    bucket = new_bucket(store)
    keys = ["a", "a/1", "a/2", "ab", "b", "b/1", "c"]
    for k in reversed(keys):
        store.put_version(bucket, version(k, "null", await blob_of(store, k.encode())))
    assert list(Store.iter_keys_from(bucket, "", "")) == keys
    assert list(Store.iter_keys_from(bucket, "a/1", "")) == ["a/2", "ab", "b", "b/1", "c"]
    assert list(Store.iter_keys_from(bucket, "", "a/")) == ["a/1", "a/2"]
    assert list(Store.iter_keys_from(bucket, "a/1", "a/")) == ["a/2"]
    assert list(Store.iter_keys_from(bucket, "", "b")) == ["b", "b/1"]
    assert list(Store.iter_keys_from(bucket, "0", "zz")) == []
    assert list(Store.iter_keys_from(bucket, "c", "")) == []
    assert list(Store.iter_keys_from(bucket, "aa", "a")) == ["ab"]  # start_after need not exist
    store.remove_version(bucket, "a/2", "null")
    assert list(Store.iter_keys_from(bucket, "", "a")) == ["a", "a/1", "ab"]
    store.put_version(bucket, version("a/15", "null", await blob_of(store, b"x")))
    assert list(Store.iter_keys_from(bucket, "a/1", "a/")) == ["a/15"]


# --- blobs and segments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (0, 1),
        (0, 2 * MIB + 123),
        (MIB - 3, MIB + 5),
        (MIB, 2 * MIB),
        (MIB - 1, 2 * MIB + 1),
        (2 * MIB + 100, 2 * MIB + 123),
        (5, 2 * MIB + 123),
    ],
)
async def test_memory_blob_ranges_across_buffers(start: int, end: int, keep: bool) -> None:
    store = Store(keep_chunks=keep)
    data = payload(2 * MIB + 123, 1)
    blob = await blob_of(store, data, piece=77_777)
    assert blob.size == len(data)
    got, sizes = await read([blob], start, end)
    assert got == data[start:end]
    assert all(0 < s <= STREAM_CHUNK for s in sizes)
    assert await blob.read_all() == data


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 18), (0, 3), (2, 4), (3, 8), (7, 9), (8, 18), (4, 15), (17, 18), (5, 5), (0, 1)],
)
async def test_iter_segments_across_segment_boundaries(start: int, end: int, keep: bool) -> None:
    store = Store(keep_chunks=keep)
    parts = [b"abc", b"defgh", b"", b"ijklmnopqr"]
    segments: list[Blob] = [MemoryBlob(parts[0]), await blob_of(store, parts[1])]
    segments += [MemoryBlob(parts[2]), await blob_of(store, parts[3], piece=4)]
    whole = b"".join(parts)
    got, sizes = await read(segments, start, end)
    assert got == whole[start:end]
    assert 0 not in sizes


async def test_iter_segments_of_large_segments(keep: bool) -> None:
    store = Store(keep_chunks=keep)
    a, b = payload(MIB + 10, 2), payload(MIB + 20, 3)
    segments = [await blob_of(store, a), await blob_of(store, b)]
    whole = a + b
    for start, end in ((0, len(whole)), (MIB + 5, MIB + 15), (len(a) - 1, len(a) + 1)):
        got, sizes = await read(segments, start, end)
        assert got == whole[start:end]
        assert all(s <= STREAM_CHUNK for s in sizes)


async def test_shared_blob_outlives_one_owner(keep: bool) -> None:
    store = Store(keep_chunks=keep)
    bucket = new_bucket(store)
    data = payload(3 * MIB, 4)
    blob = await blob_of(store, data)
    store.put_version(bucket, version("src", "null", blob))
    store.put_version(bucket, version("copy", "null", blob))  # a copy shares its source's blob
    store.remove_version(bucket, "src", "null")
    assert await bucket.current("copy").segments[0].read_all() == data
    # New uploads after the removal do not disturb the shared content.
    other = await blob_of(store, payload(3 * MIB, 5))
    store.put_version(bucket, version("other", "null", other))
    assert await blob.read_all() == data


async def test_reader_keeps_released_blob_intact(keep: bool) -> None:
    """Deleting an object while it is being read must not let new uploads reuse its memory."""
    store = Store(keep_chunks=keep)
    bucket = new_bucket(store)
    data = payload(4 * MIB, 6)
    blob = await blob_of(store, data)
    store.put_version(bucket, version("k", "null", blob))
    chunks = blob.iter_range(0, blob.size)
    first = bytes(await chunks.__anext__())
    views = [await chunks.__anext__()]  # held, not copied
    store.remove_version(bucket, "k", "null")
    for seed in range(3):  # uploads that may take recycled buffers
        await blob_of(store, payload(2 * MIB, 100 + seed))
    rest = [bytes(v) for v in views] + [bytes(c) async for c in chunks]
    assert first + b"".join(rest) == data


async def test_kept_chunks_are_the_received_objects_themselves() -> None:
    store = Store(keep_chunks=True)
    big = [payload(KEEP_MIN, 10), payload(256 * 1024, 11), payload(KEEP_MIN + 1, 12)]
    writer = store.writer(None)
    for chunk in big:
        await writer.write(chunk)
    blob = await writer.finish()
    assert isinstance(blob, MemoryBlob)
    assert [buf for buf, _ in blob.segments] == big
    assert all(buf is chunk for (buf, _), chunk in zip(blob.segments, big, strict=True))
    assert blob.size == sum(map(len, big))
    assert await blob.read_all() == b"".join(big)


async def test_kept_chunks_copy_what_the_sender_may_change_and_join_small_ones() -> None:
    store = Store(keep_chunks=True)
    writer = store.writer(None)
    mutable = bytearray(payload(KEEP_MIN * 2, 20))
    original = bytes(mutable)
    await writer.write(mutable)  # large, but mutable: copied
    mutable[:10] = b"\0" * 10
    view_source = bytearray(payload(KEEP_MIN, 21))
    view_original = bytes(view_source)
    await writer.write(memoryview(view_source))  # a view: copied
    view_source[-1] ^= 0xFF
    small = [payload(1000, 30 + i) for i in range(3000)]  # ~3 MB in 1000-byte pieces
    for chunk in small:
        await writer.write(chunk)
    await writer.write(b"")
    tail = payload(KEEP_MIN, 40)
    await writer.write(tail)
    blob = await writer.finish()
    assert isinstance(blob, MemoryBlob)
    expected = original + view_original + b"".join(small) + tail
    assert blob.size == len(expected)
    assert await blob.read_all() == expected
    assert blob.segments[-1][0] is tail
    # the small pieces were joined into segments of about STREAM_CHUNK, not kept one by one
    assert len(blob.segments) <= 2 + 3000 * 1000 // STREAM_CHUNK + 2
    got, sizes = await read([blob], 5, blob.size - 5)
    assert got == expected[5:-5]
    assert all(0 < n <= STREAM_CHUNK for n in sizes)


async def test_kept_chunks_abort_keeps_nothing() -> None:
    store = Store(keep_chunks=True)
    writer = store.writer(None)
    await writer.write(payload(KEEP_MIN, 50))
    await writer.write(payload(10, 51))
    await writer.abort()
    fresh = await writer.finish()
    assert fresh.size == 0
    assert await fresh.read_all() == b""


def test_retain_freed_memory_only_where_glibc_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # in a child: it changes the allocator of the whole process it runs in
    code = "from cos_async.testing._store import retain_freed_memory as r; print(r())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == str(platform.libc_ver()[0] == "glibc")
    monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: ("musl", "1.2"))
    assert retain_freed_memory() is False  # not glibc: mallopt is never called


def test_cli_keeps_chunks_in_memory_but_not_on_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import cos_async.testing.__main__ as cli

    seen: list[bool] = []

    class Stop(Exception):
        pass

    class Recorder:
        def __init__(self, **kwargs: object) -> None:
            seen.append(bool(kwargs["keep_received_chunks"]))

        async def start(self) -> None:
            raise Stop

    monkeypatch.setattr(cli, "LocalCosServer", Recorder)
    monkeypatch.setattr(cli, "retain_freed_memory", lambda: True)
    for argv in ([], ["--data-dir", str(tmp_path)]):
        with pytest.raises(Stop):
            asyncio.run(cli._serve(cli._parser().parse_args(argv)))
    monkeypatch.setattr(cli, "retain_freed_memory", lambda: False)
    with pytest.raises(Stop):
        asyncio.run(cli._serve(cli._parser().parse_args([])))
    assert seen == [True, False, False]


# --- disk store -------------------------------------------------------------------------------


async def test_disk_writer_finish_and_abort(tmp_path: Path) -> None:
    store = Store(tmp_path)
    blobs = tmp_path / "blobs"
    writer = store.writer(None)
    await writer.write(b"partial")
    assert [p.name.startswith(".tmp-") for p in blobs.iterdir()] == [True]
    await writer.abort()
    assert list(blobs.iterdir()) == []

    data = payload(5 * MIB + 3, 7)
    blob = await blob_of(store, data, piece=MIB)
    assert blob.blob_id is not None
    assert (blobs / blob.blob_id).stat().st_size == len(data)
    got, _ = await read([blob], MIB - 1, 4 * MIB + 1)
    assert got == data[MIB - 1 : 4 * MIB + 1]
    bucket = new_bucket(store)
    store.put_version(bucket, version("k", "null", blob))
    store.remove_version(bucket, "k", "null")
    assert list(blobs.iterdir()) == []


async def test_disk_store_reopens(tmp_path: Path) -> None:
    store = Store(tmp_path)
    bucket = new_bucket(store, "Enabled")
    blob = await blob_of(store, b"persisted")
    v = version("k", "v1", blob)
    v.tags = {"t": "1"}
    v.headers = {"x-cos-meta-a": "b"}
    store.put_version(bucket, v)
    store.put_version(bucket, version("k", "v2", None, marker=True))
    bucket.configs["cors"] = b"<CORSConfiguration/>"
    store.persist_bucket(bucket)

    again = Store(tmp_path)
    b2 = again.buckets["b-1250000000"]
    assert b2.versioning == "Enabled"
    assert b2.configs == {"cors": b"<CORSConfiguration/>"}
    versions = b2.objects["k"]
    assert [(x.version_id, x.delete_marker) for x in versions] == [("v1", False), ("v2", True)]
    assert versions[0].tags == {"t": "1"}
    assert versions[0].headers == {"x-cos-meta-a": "b"}
    assert await versions[0].segments[0].read_all() == b"persisted"
