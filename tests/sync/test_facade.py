"""The blocking facade against the local server: operations, bodies, listings, errors, transfers
with progress, the client and loop-thread lifecycle, and where it may (not) be called from."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

import cos_async
import cos_sync
from cos_async.testing import ThreadedLocalCosServer
from cos_sync import CosClient, CosConfig, _portal

from .conftest import loop_threads, wait_until

#: how many pages an iteration abandoned early may have fetched past the one in hand
READ_AHEAD_PAGES = 4

T = TypeVar("T")
MiB = 1024 * 1024


def bounded(fn: Callable[[], T], timeout: float = 30.0) -> T:
    """Run ``fn`` on a helper thread; fail (instead of hanging the suite) if it does not return."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(fn)
        try:
            return fut.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            pytest.fail(f"{fn!r} did not return within {timeout} s (a hang)")


@pytest.fixture
def record_warnings() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


# --- objects and bodies ----------------------------------------------------------------------


def test_put_get_head_delete(cos: CosClient, sync_bucket: str) -> None:
    put = cos.put_object(sync_bucket, "a/b.txt", b"hello world", metadata={"who": "me"})
    assert isinstance(put, cos_async.PutObjectResult)
    assert put.etag
    head = cos.head_object(sync_bucket, "a/b.txt")
    assert isinstance(head, cos_async.ObjectMeta)
    assert head.size == 11
    assert head.etag == put.etag
    assert head.metadata == {"who": "me"}
    assert cos.object_exists(sync_bucket, "a/b.txt") is True
    with cos.get_object(sync_bucket, "a/b.txt") as body:
        assert isinstance(body, cos_sync.ObjectBody)
        assert body.size == 11
        assert body.meta.etag == put.etag
        assert body.read() == b"hello world"
    ranged = cos.get_object(sync_bucket, "a/b.txt", range=(6, None))
    assert ranged.read() == b"world"
    cos.delete_object(sync_bucket, "a/b.txt")
    assert cos.object_exists(sync_bucket, "a/b.txt") is False
    assert cos.bucket_exists(sync_bucket) is True
    assert cos.object_url(sync_bucket, "a/b.txt").endswith("/a/b.txt")


def test_body_iter_chunks(cos: CosClient, sync_bucket: str) -> None:
    data = os.urandom(100_000)
    cos.put_object(sync_bucket, "k", data)
    chunks = list(cos.get_object(sync_bucket, "k").iter_chunks(30_000))
    assert [len(c) for c in chunks] == [30_000, 30_000, 30_000, 10_000]
    assert b"".join(chunks) == data
    assert b"".join(cos.get_object(sync_bucket, "k").iter_chunks()) == data


def test_body_save(cos: CosClient, sync_bucket: str, tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 5)
    cos.put_object(sync_bucket, "k", data)
    target = tmp_path / "out.bin"
    assert cos.get_object(sync_bucket, "k").save(target) == len(data)
    assert target.read_bytes() == data


def test_body_closed_unread_releases_its_connection(
    sync_config: CosConfig, sync_bucket: str, record_warnings: list[warnings.WarningMessage]
) -> None:
    """With a pool of one connection, a body closed unread (context manager) or abandoned half-way
    through ``iter_chunks`` must give the connection back, or the next request waits forever."""
    with CosClient(attrs.evolve(sync_config, pool_size=1)) as cos:
        cos.put_object(sync_bucket, "k", os.urandom(2 * MiB))
        for _ in range(3):
            with cos.get_object(sync_bucket, "k") as body:
                assert body.size == 2 * MiB
            bounded(lambda: cos.head_object(sync_bucket, "k"))
        for _ in range(3):
            chunks = cos.get_object(sync_bucket, "k").iter_chunks(1000)
            assert len(next(chunks)) == 1000
            chunks.close()
            bounded(lambda: cos.head_object(sync_bucket, "k"))
        assert bounded(lambda: cos.get_object(sync_bucket, "k").read()) is not None
    gc.collect()
    assert [str(w.message) for w in record_warnings] == []


# --- listings --------------------------------------------------------------------------------


def test_listing_generators_cover_all_pages(cos: CosClient, sync_bucket: str) -> None:
    keys = [f"p/{i:03d}" for i in range(23)] + [f"p/sub/{i}" for i in range(3)]
    for k in keys:
        cos.put_object(sync_bucket, k, k.encode())
    listing = cos.list_objects(sync_bucket, prefix="p/", page_size=5)
    assert isinstance(listing, Iterator)
    infos = list(listing)
    assert [o.key for o in infos] == sorted(keys)
    assert all(isinstance(o, cos_async.ObjectInfo) for o in infos)
    assert {o.key: o.size for o in infos} == {k: len(k) for k in keys}

    pages = list(cos.list_objects_pages(sync_bucket, prefix="p/", delimiter="/", page_size=5))
    assert len(pages) == 5  # 23 objects + 1 common prefix, 5 a page
    assert all(isinstance(p, cos_async.ListObjectsPage) for p in pages)
    assert [o.key for p in pages for o in p.objects] == sorted(keys)[:23]
    assert [c for p in pages for c in p.common_prefixes] == ["p/sub/"]
    assert pages[-1].is_truncated is False


def test_long_listing_with_a_slow_consumer(cos: CosClient, sync_bucket: str) -> None:
    """More items than the hand-over buffer, taken slowly: the producer waits for room and is
    woken each time (nothing lost, nothing duplicated, order kept)."""
    for i in range(40):
        cos.put_object(sync_bucket, f"s/{i:02d}", b"")
    seen = []
    for info in cos.list_objects(sync_bucket, prefix="s/", page_size=7):
        seen.append(info.key)
        if len(seen) % 10 == 0:
            cos.head_object(sync_bucket, info.key)  # the consumer is busy; the queue fills
            threading.Event().wait(0.06)
    assert seen == [f"s/{i:02d}" for i in range(40)]


def test_early_break_of_a_listing(
    cos: CosClient,
    sync_bucket: str,
    sync_server: ThreadedLocalCosServer,
    record_warnings: list[warnings.WarningMessage],
) -> None:
    for i in range(60):
        cos.put_object(sync_bucket, f"e/{i:02d}", b"x")
    sync_server.requests.clear()
    it = cos.list_objects(sync_bucket, prefix="e/", page_size=5)
    assert next(it).key == "e/00"
    assert next(it).key == "e/01"
    time.sleep(0.3)  # the producer runs as far ahead as it may
    it.close()
    with pytest.raises(StopIteration):
        next(it)
    time.sleep(0.1)
    # the abandoned iteration stopped, 4 pages at most past the one in hand (of 12): one waits
    # for the caller, one is gathered, and the listing requests the next while parsing one
    abandoned = sync_server.requests.count("GetBucket")
    assert 2 <= abandoned <= 1 + READ_AHEAD_PAGES
    # the client goes on working, on the same loop thread
    assert cos.head_object(sync_bucket, "e/59").size == 1
    assert len(list(cos.list_objects(sync_bucket, prefix="e/", page_size=5))) == 60
    assert sync_server.requests.count("GetBucket") == abandoned + 12

    # a for loop left by break (the generator is dropped, not closed explicitly)
    for info in cos.list_objects(sync_bucket, prefix="e/", page_size=5):
        if info.key == "e/07":
            break
    assert cos.object_exists(sync_bucket, "e/07")
    gc.collect()
    assert [str(w.message) for w in record_warnings] == []


def test_listing_errors_surface_on_the_first_next(cos: CosClient, sync_bucket: str) -> None:
    missing = "no-such-bucket-1250000000"
    it = cos.list_objects(missing)  # nothing is sent yet
    with pytest.raises(cos_async.NoSuchBucket) as info:
        next(it)
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(StopIteration):
        next(it)


# --- errors ----------------------------------------------------------------------------------


def test_errors_are_cos_async_classes(cos: CosClient, sync_bucket: str) -> None:
    with pytest.raises(cos_async.NoSuchKey) as info:
        cos.head_object(sync_bucket, "missing")
    err = info.value
    assert type(err) is cos_async.NoSuchKey is cos_sync.NoSuchKey
    assert isinstance(err, FileNotFoundError)
    assert isinstance(err, cos_async.CosServiceError)
    assert err.status == 404

    with pytest.raises(FileNotFoundError):
        cos.get_object(sync_bucket, "missing")
    with pytest.raises(cos_async.NoSuchBucket):
        cos.put_object("no-such-bucket-1250000000", "k", b"x")
    with pytest.raises(cos_async.InvalidArgument):
        cos.put_object("not a bucket", "k", b"x")
    with pytest.raises(cos_async.NoSuchUpload):
        cos.abort_multipart_upload(sync_bucket, "k", "no-such-upload")
    # the client is fine after errors
    cos.put_object(sync_bucket, "k", b"x")
    assert cos.get_object(sync_bucket, "k").read() == b"x"


def test_wrong_credentials(sync_config: CosConfig, sync_bucket: str) -> None:
    with CosClient(attrs.evolve(sync_config, secret_key="wrong")) as cos:
        with pytest.raises(cos_async.SignatureDoesNotMatch) as info:
            cos.list_objects_page(sync_bucket)
        assert isinstance(info.value, PermissionError)


def test_config_must_be_a_cos_config() -> None:
    with pytest.raises(cos_async.InvalidArgument):
        CosClient({"region": "ap-guangzhou"})  # type: ignore[arg-type]


# --- transfers and progress ------------------------------------------------------------------


def _progress_recorder() -> tuple[list[tuple[int, Any, int]], Callable[[Any], None]]:
    reports: list[tuple[int, Any, int]] = []

    def progress(p: Any) -> None:
        reports.append((p.bytes_done, p.total, threading.get_ident()))

    return reports, progress


def test_upload_and_download_file_with_progress(
    cos: CosClient, sync_bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(6 * MiB + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)

    reports, progress = _progress_recorder()
    up = cos.upload_file(sync_bucket, "big", src, part_size=1 * MiB, progress=progress)
    assert up.size == len(data)
    assert up.parts == 7
    assert reports, "no progress was reported"
    assert {tid for _, _, tid in reports} == {threading.get_ident()}
    done = [d for d, _, _ in reports]
    assert done == sorted(done)
    assert reports[-1][:2] == (len(data), len(data))
    assert list(cos.list_multipart_uploads(sync_bucket)) == []

    reports, progress = _progress_recorder()
    dst = tmp_path / "dst.bin"
    down = cos.download_file(
        sync_bucket, "big", dst, part_size=1 * MiB, concurrency=3, progress=progress
    )
    assert down.size == len(data)
    assert dst.read_bytes() == data
    assert {tid for _, _, tid in reports} == {threading.get_ident()}
    assert reports[-1][:2] == (len(data), len(data))


def test_progress_runs_on_the_calling_worker_thread(
    cos: CosClient, sync_bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 * MiB))
    results: dict[str, Any] = {}

    def worker() -> None:
        reports, progress = _progress_recorder()
        cos.upload_file(sync_bucket, "w", src, part_size=1 * MiB, progress=progress)
        results["me"] = threading.get_ident()
        results["tids"] = {tid for _, _, tid in reports}
        results["last"] = reports[-1][:2]

    t = threading.Thread(target=worker)
    t.start()
    t.join(60)
    assert not t.is_alive()
    assert results["tids"] == {results["me"]}
    assert results["me"] != threading.get_ident()
    assert results["last"] == (3 * MiB, 3 * MiB)


def test_a_failing_progress_callback_cancels_the_upload(
    cos: CosClient, sync_bucket: str, sync_server: ThreadedLocalCosServer, tmp_path: Path
) -> None:
    """The callback's exception reaches the caller; the upload is cancelled and aborted first."""
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(4 * MiB))
    sync_server.faults.add(action="delay", delay=0.3, operation="UploadPart", times=None)

    class Stop(Exception):
        pass

    def progress(p: Any) -> None:
        raise Stop(p.bytes_done)

    with pytest.raises(Stop):
        cos.upload_file(sync_bucket, "k", src, part_size=1 * MiB, concurrency=2, progress=progress)
    assert sync_server.requests.count("InitiateMultipartUpload") == 1
    assert sync_server.requests.count("AbortMultipartUpload") == 1
    assert sync_server.requests.count("CompleteMultipartUpload") == 0
    assert list(cos.list_multipart_uploads(sync_bucket)) == []
    assert not cos.object_exists(sync_bucket, "k")


def test_upload_stream_and_copy(cos: CosClient, sync_bucket: str) -> None:
    pieces = [os.urandom(700_000) for _ in range(4)]
    res = cos.upload_stream(sync_bucket, "s", iter(pieces), part_size=1 * MiB)
    assert res.size == sum(map(len, pieces))
    cos.copy(sync_bucket, "s", sync_bucket, "s2")
    assert cos.get_object(sync_bucket, "s2").read() == b"".join(pieces)


# --- the client's lifecycle ------------------------------------------------------------------


def test_close_is_idempotent_and_closed_clients_refuse(
    sync_config: CosConfig, sync_bucket: str
) -> None:
    cos = CosClient(sync_config)
    cos.put_object(sync_bucket, "k", b"x")
    cos.close()
    cos.close()
    with cos:  # exiting closes again: still fine
        pass
    calls: list[Callable[[], object]] = [
        lambda: cos.put_object(sync_bucket, "k", b"x"),
        lambda: cos.get_object(sync_bucket, "k"),
        lambda: cos.list_objects(sync_bucket),
        lambda: cos.object_url(sync_bucket, "k"),
        lambda: cos.upload_file(sync_bucket, "k", __file__),
    ]
    for call in calls:
        with pytest.raises(cos_async.CosClientError, match="closed"):
            call()


def test_the_loop_thread_lives_while_clients_are_open(sync_config: CosConfig) -> None:
    assert _portal.current() is None
    first = CosClient(sync_config)
    lt = _portal.current()
    assert lt is not None
    assert lt.thread.is_alive()
    second = CosClient(sync_config)
    assert _portal.current() is lt  # one loop thread for every client
    first.close()
    assert _portal.current() is lt
    assert lt.thread.is_alive()
    second.close()
    assert _portal.current() is None
    assert not lt.thread.is_alive()
    assert lt.loop.is_closed()
    assert loop_threads() == []

    with CosClient(sync_config) as third:
        again = _portal.current()
        assert again is not None
        assert again is not lt
        assert again.thread.is_alive()
        assert third.bucket_exists("no-such-bucket-1250000000") is False
    assert _portal.current() is None
    assert not again.thread.is_alive()


def _use_and_drop(config: CosConfig, bucket: str) -> None:
    """A client used, then dropped unclosed (collected on return)."""
    cos = CosClient(config)
    cos.put_object(bucket, "k", b"x")
    del cos
    gc.collect()


def test_an_unclosed_client_warns_when_collected(sync_config: CosConfig, sync_bucket: str) -> None:
    with pytest.warns(ResourceWarning, match="unclosed"):
        _use_and_drop(sync_config, sync_bucket)
    # and its pool and the loop thread are released all the same
    assert wait_until(lambda: _portal.current() is None and not loop_threads())


def test_an_unclosed_client_is_cleaned_up_even_when_warnings_are_errors(
    sync_config: CosConfig, sync_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``-W error`` the ResourceWarning is raised inside ``__del__`` (and only reported);
    the cleanup must not be skipped because of it."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _use_and_drop(sync_config, sync_bucket)
    assert [type(u.exc_value) for u in unraisable] == [ResourceWarning]
    assert wait_until(lambda: _portal.current() is None and not loop_threads())


def test_calling_from_the_loop_thread_raises(cos: CosClient, sync_bucket: str) -> None:
    cos.put_object(sync_bucket, "k", b"x")
    lt = _portal.current()
    assert lt is not None
    outcome: concurrent.futures.Future[list[str]] = concurrent.futures.Future()

    def on_loop() -> None:
        messages = []
        for call in (
            lambda: cos.head_object(sync_bucket, "k"),
            lambda: cos.get_object(sync_bucket, "k"),
            lambda: next(cos.list_objects(sync_bucket)),
        ):
            try:
                call()
            except RuntimeError as exc:
                messages.append(str(exc))
            except BaseException as exc:  # reported to the test thread
                messages.append(f"unexpected {exc!r}")
            else:
                messages.append("no error")
        outcome.set_result(messages)

    lt.loop.call_soon_threadsafe(on_loop)
    messages = outcome.result(timeout=30)
    assert len(messages) == 3
    assert all("own event loop thread" in m for m in messages), messages
    assert "use cos_async" in messages[0]
    # the loop thread survived
    assert cos.head_object(sync_bucket, "k").size == 1


def test_calling_from_inside_a_running_event_loop_works(cos: CosClient, sync_bucket: str) -> None:
    async def inner() -> tuple[int, list[str]]:
        cos.put_object(sync_bucket, "in-loop", b"abc")
        size = cos.head_object(sync_bucket, "in-loop").size
        keys = [o.key for o in cos.list_objects(sync_bucket)]
        return size, keys

    assert asyncio.run(inner()) == (3, ["in-loop"])


async def test_calling_from_an_async_test_works(cos: CosClient, sync_bucket: str) -> None:
    cos.put_object(sync_bucket, "k", b"from a coroutine")
    assert cos.get_object(sync_bucket, "k").read() == b"from a coroutine"
    assert threading.current_thread() is threading.main_thread()
