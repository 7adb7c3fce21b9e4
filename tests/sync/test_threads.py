"""One CosClient shared by many threads (one loop thread serves them all)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

from cos_sync import CosClient, _portal

JOIN_TIMEOUT = 60.0


def run_threads(n: int, target: Callable[[int], None]) -> None:
    """Start ``n`` threads running ``target(i)``, join them (bounded) and re-raise any failure."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads did not finish (a hang): {stuck}"
    if errors:
        raise errors[0]


def payload(t: int, i: int) -> bytes:
    return hashlib.sha256(f"{t}/{i}".encode()).digest() * (1 + (t * 25 + i) % 40)


def test_eight_threads_put_and_get(cos: CosClient, sync_bucket: str) -> None:
    loop_before = _portal.current()
    got: dict[str, bytes] = {}
    lock = threading.Lock()

    def work(t: int) -> None:
        for i in range(25):
            key = f"t{t}/{i:02d}"
            cos.put_object(sync_bucket, key, payload(t, i))
            data = cos.get_object(sync_bucket, key).read()
            with lock:
                got[key] = data

    run_threads(8, work)
    assert len(got) == 200
    for t in range(8):
        for i in range(25):
            assert got[f"t{t}/{i:02d}"] == payload(t, i)
    listed = {o.key: o.size for o in cos.list_objects(sync_bucket)}
    assert listed == {k: len(v) for k, v in got.items()}
    assert _portal.current() is loop_before


def test_a_listing_while_other_threads_write(cos: CosClient, sync_bucket: str) -> None:
    fixed = [f"fixed/{i:02d}" for i in range(30)]
    for k in fixed:
        cos.put_object(sync_bucket, k, b"f")
    writing = threading.Event()
    writing.set()
    listings: list[list[str]] = []

    def work(t: int) -> None:
        if t == 0:  # the lister: lists the fixed prefix (8 pages) until the writers are done
            while writing.is_set() or len(listings) < 3:
                listings.append(
                    [o.key for o in cos.list_objects(sync_bucket, prefix="fixed/", page_size=4)]
                )
            return
        for i in range(25):
            cos.put_object(sync_bucket, f"w/{t}/{i:02d}", payload(t, i))
            assert cos.get_object(sync_bucket, f"w/{t}/{i:02d}").read() == payload(t, i)
        if t == 1:
            writing.clear()

    run_threads(8, work)
    assert len(listings) >= 3
    assert all(keys == fixed for keys in listings)
    written = [o.key for o in cos.list_objects(sync_bucket, prefix="w/", page_size=50)]
    assert sorted(written) == sorted(f"w/{t}/{i:02d}" for t in range(1, 8) for i in range(25))


def test_many_listings_whose_consumers_do_file_io(
    cos: CosClient, sync_bucket: str, tmp_path: Path
) -> None:
    """More concurrent listings than the loop's default executor has threads, each consumer
    saving every object to a file (file I/O runs in that executor) while its listing waits for
    room in its hand-over queue. A listing must not hold an executor thread while it waits, or
    the saves starve and everything deadlocks."""
    workers = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor size
    for i in range(12):
        cos.put_object(sync_bucket, f"d/{i:02d}", payload(0, i))

    def work(t: int) -> None:
        out = tmp_path / str(t)
        out.mkdir()
        n = 0
        for info in cos.list_objects(sync_bucket, prefix="d/", page_size=3):
            size = cos.get_object(sync_bucket, info.key).save(out / info.key.replace("/", "_"))
            assert size == info.size
            n += 1
        assert n == 12

    run_threads(workers + 2, work)
    for t in range(workers + 2):
        assert (tmp_path / str(t) / "d_05").read_bytes() == payload(0, 5)


def test_transfers_from_several_threads_report_progress_to_each(
    cos: CosClient, sync_bucket: str, tmp_path: Path
) -> None:
    sources = []
    for t in range(4):
        src = tmp_path / f"src{t}.bin"
        src.write_bytes(os.urandom(2 * 1024 * 1024 + t))
        sources.append(src)
    seen: dict[int, tuple[int, set[int], int]] = {}

    def work(t: int) -> None:
        tids: set[int] = set()
        last = [0]

        def progress(p: object) -> None:
            tids.add(threading.get_ident())
            last[0] = p.bytes_done  # type: ignore[attr-defined]

        cos.upload_file(
            sync_bucket, f"up/{t}", sources[t], part_size=1024 * 1024, progress=progress
        )
        seen[t] = (threading.get_ident(), tids, last[0])

    run_threads(4, work)
    for t in range(4):
        me, tids, last = seen[t]
        assert tids == {me}
        assert last == sources[t].stat().st_size
        assert cos.head_object(sync_bucket, f"up/{t}").size == sources[t].stat().st_size
