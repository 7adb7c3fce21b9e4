"""``CosFileSystem`` against the local server: options, listings and their cache, directory
markers, the file object (readahead, CRC-64, multipart writes, aborts), transfers, and what
survives a pickle or a fork (nothing of a loop or a connection)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import fsspec
import pytest

from cos_async import (
    CosConfig,
    CredentialsError,
    IntegrityError,
    InvalidArgument,
    PreconditionFailed,
    RetryConfig,
)
from cos_async._crc64 import crc64
from cos_async.fs import CosFile, CosFileSystem
from cos_async.testing import ThreadedLocalCosServer

MiB = 1024 * 1024


def data_of(size: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(256)) * (size // 256) + b"x" * (size % 256)


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds (a background upload got so far), at most ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def count(server: ThreadedLocalCosServer, operation: str, **criteria: Any) -> int:
    return server.requests.count(operation, **criteria)


# --- options and registration ----------------------------------------------------------------


def test_the_cos_protocol_is_registered() -> None:
    assert fsspec.get_filesystem_class("cos") is CosFileSystem


def test_import_cos_async_does_not_import_fsspec() -> None:
    code = "import sys, cos_async, cos_sync; assert 'fsspec' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_storage_option_is_named(cos_storage_options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument, match="secretkey"):
        CosFileSystem(**cos_storage_options, secretkey="x", skip_instance_cache=True)


def test_bad_config_value_is_named(cos_storage_options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument, match="pool_size"):
        CosFileSystem(**cos_storage_options, pool_size=0, skip_instance_cache=True)


def test_config_fields_retry_dict_and_config_object(cos_storage_options: dict[str, Any]) -> None:
    fs = CosFileSystem(
        **cos_storage_options, retry={"max_attempts": 2}, pool_size=3, skip_instance_cache=True
    )
    assert fs.config.retry == RetryConfig(max_attempts=2)
    assert fs.config.pool_size == 3
    config = CosConfig(**cos_storage_options, read_timeout=7.0)
    other = CosFileSystem(config=config, skip_instance_cache=True)
    assert other.config == config
    assert other.storage_options["read_timeout"] == 7.0  # spread: pickles and tokenizes
    with pytest.raises(InvalidArgument, match="region"):
        CosFileSystem(config=config, region="ap-beijing")


def test_instances_are_shared_only_with_the_same_keys(cos_storage_options: dict[str, Any]) -> None:
    a = fsspec.filesystem("cos", **cos_storage_options)
    assert fsspec.filesystem("cos", **cos_storage_options) is a
    other = {**cos_storage_options, "secret_key": "another-secret-key"}
    assert fsspec.filesystem("cos", **other) is not a
    config = CosConfig(**other)
    assert fsspec.filesystem("cos", config=config) is not a  # secrets are in the token


def test_credentials_from_the_environment(
    cos_server: ThreadedLocalCosServer,
    cos_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fs = CosFileSystem(
        region=cos_server.region, endpoint_url=cos_server.endpoint, skip_instance_cache=True
    )
    try:
        monkeypatch.delenv("COS_SECRET_ID", raising=False)
        monkeypatch.delenv("COS_SECRET_KEY", raising=False)
        with pytest.raises(CredentialsError):
            fs.pipe_file(f"{cos_bucket}/a", b"x")
        monkeypatch.setenv("COS_SECRET_ID", cos_server.secret_id)
        monkeypatch.setenv("COS_SECRET_KEY", cos_server.secret_key)
        fs.pipe_file(f"{cos_bucket}/a", b"x")
        assert fs.cat_file(f"cos://{cos_bucket}/a") == b"x"
    finally:
        fs.close()


# --- listings, directories, metadata ----------------------------------------------------------


def test_ls_info_find_du(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    b = cos_bucket
    cos_fs.pipe(
        {f"{b}/a/x.csv": b"12", f"{b}/a/y.csv": b"345", f"{b}/a/sub/z": b"6", f"{b}/t": b""}
    )
    assert cos_fs.ls(f"cos://{b}/a", detail=False) == [f"{b}/a/sub", f"{b}/a/x.csv", f"{b}/a/y.csv"]
    assert cos_fs.info(f"{b}/a")["type"] == "directory"
    assert cos_fs.info(f"{b}/a/y.csv")["size"] == 3
    assert cos_fs.ls(f"{b}/a/x.csv", detail=False) == [f"{b}/a/x.csv"]  # a file lists as itself
    assert cos_fs.find(f"{b}/a") == [f"{b}/a/sub/z", f"{b}/a/x.csv", f"{b}/a/y.csv"]
    assert cos_fs.glob(f"{b}/a/*.csv") == [f"{b}/a/x.csv", f"{b}/a/y.csv"]
    assert cos_fs.du(f"{b}/a") == 6
    assert cos_fs.size(f"{b}/a/x.csv") == 2
    assert cos_fs.isfile(f"{b}/t")
    assert not cos_fs.exists(f"{b}/nothing")
    with pytest.raises(FileNotFoundError):
        cos_fs.info(f"{b}/nothing")
    with pytest.raises(FileNotFoundError):
        cos_fs.ls(f"{b}/nothing")
    assert cos_fs.modified(f"{b}/t") is not None
    with pytest.raises(IsADirectoryError):
        cos_fs.modified(f"{b}/a")


def test_directory_markers(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    d = f"{cos_bucket}/empty/dir"
    cos_fs.makedirs(d)
    assert cos_fs.isdir(d)
    assert cos_fs.ls(d) == []
    with pytest.raises(FileExistsError):
        cos_fs.makedirs(d)
    cos_fs.makedirs(d, exist_ok=True)
    cos_fs.pipe_file(f"{d}/f", b"x")
    with pytest.raises(OSError, match="not empty"):
        cos_fs.rmdir(d)
    cos_fs.rm_file(f"{d}/f")
    cos_fs.rmdir(d)
    assert not cos_fs.exists(d)


def test_listings_are_cached_and_writes_invalidate_them(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    b = cos_bucket
    cos_fs.pipe_file(f"{b}/d/one", b"1")
    assert cos_fs.ls(f"{b}/d", detail=False) == [f"{b}/d/one"]
    lists = count(cos_server, "GetBucket")
    assert cos_fs.ls(f"{b}/d", detail=False) == [f"{b}/d/one"]
    assert count(cos_server, "GetBucket") == lists  # from the cache
    other = CosFileSystem(**cos_fs.storage_options, skip_instance_cache=True)
    try:
        other.pipe_file(f"{b}/d/two", b"2")  # written behind the first filesystem's back
    finally:
        other.close()
    assert cos_fs.ls(f"{b}/d", detail=False) == [f"{b}/d/one"]
    assert len(cos_fs.ls(f"{b}/d", refresh=True)) == 2
    for write in (
        lambda: cos_fs.pipe_file(f"{b}/d/three", b"3"),
        lambda: cos_fs.touch(f"{b}/d/four"),
        lambda: cos_fs.cp_file(f"{b}/d/one", f"{b}/d/five"),
        lambda: cos_fs.rm_file(f"{b}/d/two"),
    ):
        before = set(cos_fs.ls(f"{b}/d", detail=False))
        write()
        assert set(cos_fs.ls(f"{b}/d", detail=False)) != before
    with cos_fs.open(f"{b}/d/six", "wb") as f:
        f.write(b"6")
    assert f"{b}/d/six" in cos_fs.ls(f"{b}/d", detail=False)


def test_checksum_and_ukey_are_the_crc64(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    data = data_of(1000)
    cos_fs.pipe_file(f"{cos_bucket}/c", data)
    assert cos_fs.checksum(f"{cos_bucket}/c") == crc64(data)
    assert cos_fs.ukey(f"{cos_bucket}/c") == f"crc64:{crc64(data)}"
    cos_fs.pipe_file(f"{cos_bucket}/c", data + b"!")
    assert cos_fs.checksum(f"{cos_bucket}/c") == crc64(data + b"!")


def test_touch_without_truncate_keeps_the_content(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    path = f"{cos_bucket}/kept.txt"
    cos_fs.pipe_file(path, b"content", content_type="text/plain", metadata={"k": "v"})
    cos_fs.touch(path, truncate=False)
    assert cos_fs.cat_file(path) == b"content"
    info = cos_fs.info(path, refresh=True)
    assert info["ContentType"] == "text/plain"
    assert info["metadata"] == {"k": "v"}
    cos_fs.touch(path)
    assert cos_fs.cat_file(path) == b""


def test_cat_ranges_and_many_files(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    data = data_of(5000)
    path = f"{cos_bucket}/r"
    cos_fs.pipe_file(path, data)
    assert cos_fs.cat_file(path, start=10, end=20) == data[10:20]
    assert cos_fs.cat_file(path, start=-10) == data[-10:]
    assert cos_fs.cat_file(path, start=4990, end=-5) == data[4990:-5]
    assert cos_fs.cat_file(path, start=6000) == b""
    assert cos_fs.cat_file(path, start=20, end=10) == b""
    paths = {f"{cos_bucket}/many/{i}": str(i).encode() for i in range(50)}
    cos_fs.pipe(paths)
    assert cos_fs.cat(list(paths)) == paths
    assert cos_fs.cat_ranges([path, path], [0, 100], [5, 105]) == [data[:5], data[100:105]]


def test_rm_deletes_in_batches_of_1000(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    cos_fs.pipe({f"{cos_bucket}/big/{i:04}": b"" for i in range(1200)})
    cos_fs.makedirs(f"{cos_bucket}/big/sub")
    cos_server.requests.clear()
    cos_fs.rm(f"{cos_bucket}/big", recursive=True)
    assert count(cos_server, "DeleteMultipleObjects") == 2
    assert count(cos_server, "DeleteObject") == 0
    assert cos_fs.find(cos_bucket, withdirs=True) == []


def test_cp_file_is_a_server_side_copy(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    data = data_of(3 * MiB)
    cos_fs.pipe_file(f"{cos_bucket}/src", data)
    cos_server.requests.clear()
    cos_fs.cp(f"{cos_bucket}/src", f"{cos_bucket}/dst")
    assert count(cos_server, "PutObjectCopy") == 1
    assert count(cos_server, "GetObject") == 0
    assert cos_fs.cat_file(f"{cos_bucket}/dst") == data


def test_put_and_get_use_the_transfers(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer, tmp_path: Path
) -> None:
    data = data_of(17 * MiB + 3)  # above upload_file's 16 MiB part size: multipart
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    cos_server.requests.clear()
    cos_fs.put_file(str(src), f"{cos_bucket}/up.bin")
    assert count(cos_server, "UploadPart") == 2
    assert cos_fs.info(f"{cos_bucket}/up.bin")["ContentType"] == "application/octet-stream"
    sizes: list[int] = []

    class Progress(fsspec.callbacks.Callback):  # type: ignore[misc]
        def call(self, *args: Any, **kwargs: Any) -> None:
            sizes.append(self.value)

    dst = tmp_path / "dst.bin"
    cos_fs.get_file(f"{cos_bucket}/up.bin", str(dst), callback=Progress())
    assert dst.read_bytes() == data
    assert sizes[-1] == len(data)


# --- the file object -------------------------------------------------------------------------


def test_write_small_file_is_one_put(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    with cos_fs.open(f"{cos_bucket}/small", "wb", content_type="text/csv") as f:
        f.write(b"a,b\n1,2\n")
    assert count(cos_server, "PutObject") == 1
    assert count(cos_server, "InitiateMultipartUpload") == 0
    assert cos_fs.info(f"{cos_bucket}/small")["ContentType"] == "text/csv"
    with cos_fs.open(f"{cos_bucket}/small", "r") as t:
        assert t.read() == "a,b\n1,2\n"


def test_write_past_a_block_is_multipart(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    data = data_of(5 * MiB + 7)
    with cos_fs.open(f"{cos_bucket}/big", "wb", block_size=MiB) as f:
        for i in range(0, len(data), 300_000):
            f.write(data[i : i + 300_000])
    assert count(cos_server, "UploadPart") == 6
    assert count(cos_server, "CompleteMultipartUpload") == 1
    assert cos_fs.cat_file(f"{cos_bucket}/big") == data
    assert cos_fs.checksum(f"{cos_bucket}/big") == crc64(data)


@pytest.mark.parametrize("how", ["exception", "discard"])
def test_a_failed_write_leaves_nothing(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer, how: str
) -> None:
    path = f"{cos_bucket}/never"
    with (  # noqa: PT012
        pytest.raises(RuntimeError, match="stop"),
        cos_fs.open(path, "wb", block_size=MiB) as f,
    ):
        f.write(data_of(3 * MiB))
        wait_for(lambda: count(cos_server, "UploadPart") >= 1)  # parts are being uploaded
        if how == "discard":
            f.discard()
            f.closed = True
        raise RuntimeError("stop")
    assert count(cos_server, "UploadPart") >= 1
    assert count(cos_server, "AbortMultipartUpload") == 1
    assert not cos_fs.exists(path)
    uploads = cos_server.call(lambda: list(cos_server.store.buckets[cos_bucket].uploads))
    assert uploads == []


def test_transaction_commits_at_the_end_or_not_at_all(
    cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    with cos_fs.transaction:
        with cos_fs.open(f"{cos_bucket}/t1", "wb") as f:
            f.write(b"one")
        with cos_fs.open(f"{cos_bucket}/t2", "wb", block_size=MiB) as f:
            f.write(data_of(2 * MiB))
        assert not cos_fs.exists(f"{cos_bucket}/t1")
        assert not cos_fs.exists(f"{cos_bucket}/t2")
    assert cos_fs.cat_file(f"{cos_bucket}/t1") == b"one"
    assert cos_fs.size(f"{cos_bucket}/t2") == 2 * MiB
    with pytest.raises(ValueError, match="abandon"), cos_fs.transaction:  # noqa: PT012
        with cos_fs.open(f"{cos_bucket}/t3", "wb") as f:
            f.write(b"three")
        raise ValueError("abandon")
    assert not cos_fs.exists(f"{cos_bucket}/t3")


def test_open_modes(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    cos_fs.pipe_file(f"{cos_bucket}/x", b"x")
    with pytest.raises(FileExistsError):
        cos_fs.open(f"{cos_bucket}/x", "xb")
    with pytest.raises(InvalidArgument, match="'ab'"):
        cos_fs.open(f"{cos_bucket}/x", "ab")
    with pytest.raises(InvalidArgument, match="colour"):
        cos_fs.open(f"{cos_bucket}/y", "wb", colour="red")
    with pytest.raises(IsADirectoryError):
        cos_fs.open(cos_bucket, "rb")
    with pytest.raises(FileNotFoundError):
        cos_fs.open(f"{cos_bucket}/missing", "rb")


def test_sequential_read_uses_readahead_and_checks_the_crc(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    data = data_of(10 * MiB + 11)
    path = f"{cos_bucket}/seq"
    cos_fs.pipe_file(path, data)
    cos_server.requests.clear()
    with cos_fs.open(path, block_size=MiB, cache_options={"readahead": 3}) as f:
        assert isinstance(f, CosFile)
        parts = []
        while chunk := f.read(256 * 1024):
            parts.append(chunk)
        assert b"".join(parts) == data
        assert f.cache.verified
    gets = [r for r in cos_server.requests.records() if r.operation == "GetObject"]
    assert len(gets) == 11  # one ranged GET per block, none twice
    assert sum(r.response_bytes or 0 for r in gets) == len(data)


def test_a_damaged_read_is_an_integrity_error(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    from cos_async.testing import FaultRule

    path = f"{cos_bucket}/damaged"
    cos_fs.pipe_file(path, data_of(3 * MiB))
    with cos_fs.open(path, block_size=MiB) as f:
        cos_server.faults.add(FaultRule(operation="GetObject", action="corrupt", times=1))
        with pytest.raises(IntegrityError, match="CRC64"):
            f.read()


def test_an_object_replaced_while_read_fails(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    path = f"{cos_bucket}/replaced"
    cos_fs.pipe_file(path, data_of(3 * MiB))
    with cos_fs.open(path, block_size=MiB, cache_options={"readahead": 0}) as f:
        f.read(10)
        cos_fs.pipe_file(path, data_of(3 * MiB, seed=1))
        with pytest.raises(PreconditionFailed):
            f.read()


def test_a_read_file_pickles(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    data = data_of(100_000)
    cos_fs.pipe_file(f"{cos_bucket}/p", data)
    with cos_fs.open(f"{cos_bucket}/p") as f:
        f.seek(1000)
        again = pickle.loads(pickle.dumps(f))
        assert again.read(10) == data[1000:1010]
        again.close()


def test_sign_gives_a_working_url(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    cos_fs.pipe_file(f"{cos_bucket}/signed", b"public for a minute")
    url = cos_fs.sign(f"{cos_bucket}/signed", expiration=60)
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as resp:  # the local server: no network
        assert resp.read() == b"public for a minute"


# --- processes and loops -----------------------------------------------------------------------


def test_pickled_filesystem_is_rebuilt_from_its_options(
    cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    cos_fs.pipe_file(f"{cos_bucket}/pickled", b"p")  # the client and its pool exist
    state = pickle.dumps(cos_fs)
    for inner in (b"AsyncCosClient", b"ClientSession", b"EventLoop", b"lock"):
        assert inner not in state
    clone = pickle.loads(state)
    assert clone.storage_options == cos_fs.storage_options
    assert clone.cat_file(f"{cos_bucket}/pickled") == b"p"
    clone.close()


def _read_in_child(fs: CosFileSystem, path: str) -> bytes:
    data: bytes = fs.cat_file(path)
    fs.close()
    return data


_INHERITED_FS: list[CosFileSystem] = []


def _read_inherited(path: str) -> bytes:
    return _read_in_child(_INHERITED_FS[0], path)


def test_fork_child_makes_its_own_client_and_the_parent_goes_on(
    cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    path = f"{cos_bucket}/forked"
    cos_fs.pipe_file(path, b"from the parent")
    assert cos_fs.cat_file(path) == b"from the parent"  # the parent's pool is open
    _INHERITED_FS[:] = [cos_fs]
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(1) as pool:
            assert pool.apply(_read_inherited, (path,)) == b"from the parent"
            # the child also gets the filesystem by pickle: rebuilt there
            assert pool.apply(_read_in_child, (cos_fs, path)) == b"from the parent"
    finally:
        _INHERITED_FS.clear()
    for _ in range(3):  # the parent's connections were not disturbed by the child's exit
        assert cos_fs.cat_file(path) == b"from the parent"


def test_spawned_process_gets_a_working_filesystem(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    path = f"{cos_bucket}/spawned"
    cos_fs.pipe_file(path, b"to a new interpreter")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        assert pool.apply(_read_in_child, (cos_fs, path)) == b"to a new interpreter"


def test_after_os_fork_the_child_reads_and_exits_cleanly(
    cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    path = f"{cos_bucket}/os-fork"
    cos_fs.pipe_file(path, b"abc")
    assert cos_fs.cat_file(path) == b"abc"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read through the inherited filesystem, then a normal exit
        code = 1
        try:
            os.close(r)
            os.write(w, cos_fs.cat_file(path))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        assert f.read() == b"abc"
    assert os.waitstatus_to_exitcode(status) == 0
    assert cos_fs.cat_file(path) == b"abc"


async def test_asynchronous_use(cos_storage_options: dict[str, Any], cos_bucket: str) -> None:
    async with CosFileSystem(
        **cos_storage_options, asynchronous=True, skip_instance_cache=True
    ) as fs:
        await fs._pipe_file(f"{cos_bucket}/async", b"awaited")
        assert await fs._cat_file(f"{cos_bucket}/async") == b"awaited"
        assert await fs._ls(cos_bucket, detail=False) == [f"{cos_bucket}/async"]


@pytest.mark.parametrize("cache_type", ["cos", "bytes", "readahead", "blockcache", "none"])
def test_any_fsspec_cache_reads_right(
    cos_fs: CosFileSystem, cos_bucket: str, cache_type: str
) -> None:
    data = data_of(3 * MiB + 5)
    path = f"{cos_bucket}/cached"
    cos_fs.pipe_file(path, data)
    with cos_fs.open(path, cache_type=cache_type, block_size=MiB) as f:
        f.seek(MiB - 3)
        assert f.read(10) == data[MiB - 3 : MiB + 7]
        f.seek(-4, 2)
        assert f.read() == data[-4:]
        f.seek(0)
        assert f.read() == data


def test_cat_of_many_paths_keeps_fsspec_semantics(cos_fs: CosFileSystem, cos_bucket: str) -> None:
    paths = {f"{cos_bucket}/cat/{i:03}": str(i).encode() for i in range(40)}
    cos_fs.pipe(paths)
    missing = f"{cos_bucket}/cat/missing"
    asked = [*paths, missing]
    with pytest.raises(FileNotFoundError):
        cos_fs.cat(asked)  # on_error="raise": the first error
    got = cos_fs.cat(asked, on_error="return")
    assert list(got) == asked  # in the order asked
    assert isinstance(got[missing], FileNotFoundError)
    assert {k: v for k, v in got.items() if k != missing} == paths
    assert cos_fs.cat(asked, on_error="omit") == paths
    first = next(iter(paths))
    assert cos_fs.cat(first) == paths[first]  # one path, not a list: the bytes
    assert cos_fs.cat([first]) == {first: paths[first]}
    assert cos_fs.cat(list(paths), batch_size=-1) == paths
    with pytest.raises(FileNotFoundError):
        cos_fs.cat([], batch_size=-1)  # as fsspec: nothing to expand is no file
    with pytest.raises(ValueError, match="batch_size"):
        cos_fs.cat(list(paths), batch_size=-5)


def test_cat_runs_at_most_batch_size_at_once(
    cos_fs: CosFileSystem, cos_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = {f"{cos_bucket}/bounded/{i:03}": b"x" for i in range(30)}
    cos_fs.pipe(paths)
    real = CosFileSystem._cat_file
    state = {"now": 0, "most": 0}

    async def counting(self: CosFileSystem, path: str, **kwargs: Any) -> bytes:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        try:
            await asyncio.sleep(0.01)
            return await real(self, path, **kwargs)
        finally:
            state["now"] -= 1

    monkeypatch.setattr(CosFileSystem, "_cat_file", counting)
    assert cos_fs.cat(list(paths), batch_size=4) == paths
    assert state["most"] == 4


def test_cat_runs_no_more_than_the_pool_at_once(
    cos_storage_options: dict[str, Any], cos_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = CosFileSystem(**cos_storage_options, pool_size=3, skip_instance_cache=True)
    paths = {f"{cos_bucket}/pool/{i:03}": b"x" for i in range(12)}
    fs.pipe(paths)
    real = CosFileSystem._cat_file
    state = {"now": 0, "most": 0}

    async def counting(self: CosFileSystem, path: str, **kwargs: Any) -> bytes:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        try:
            await asyncio.sleep(0.01)
            return await real(self, path, **kwargs)
        finally:
            state["now"] -= 1

    monkeypatch.setattr(CosFileSystem, "_cat_file", counting)
    assert fs.cat(list(paths)) == paths  # fsspec's batch size (1280) is far above the pool
    assert state["most"] == 3
