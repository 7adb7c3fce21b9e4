"""Bad input named at the call, and files that are never harmed by it: progress callbacks,
bodies that are no bytes, methods that are no HTTP method, file objects where a path is
expected, checkpoints that are a directory, the transferred file itself or no checkpoint at
all, a planted checkpoint's paths, and errors that name the destination the caller gave."""

from __future__ import annotations

import io
import json
import os
import types
from pathlib import Path

import pytest

from cos_async import AsyncCosClient, InvalidArgument, Progress, progress_increments
from cos_async._transport import HttpRequest
from cos_async.testing import LocalCosServer
from tests.seams import part_number, record, wants_range

MiB = 1024 * 1024


class _Crash(Exception):
    """The transfer dies here (a checkpointed transfer keeps its checkpoint)."""


def _lose_bytes(path: Path, count: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, b"\0" * count, 0)
    finally:
        os.close(fd)


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- progress ---------------------------------------------------------------------------------


async def test_a_progress_that_is_not_callable_is_refused_at_the_call(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = _file(tmp_path / "f", b"x")
    with pytest.raises(InvalidArgument, match=r"progress must be a callable.*got 5"):
        await cos.upload_file(bucket, "k", src, progress=5)  # type: ignore[arg-type]
    assert server.requests.records() == []


def _tqdm_like() -> object:
    """An object whose class lives in a module named tqdm (as tqdm's bars do)."""

    def update(self: object, n: int = 1) -> None:
        """tqdm's update takes a number of new items."""

    cls = types.new_class("tqdm", (), {}, lambda ns: ns.update({"update": update}))
    cls.__module__ = "tqdm.std"
    return cls()


async def test_a_tqdm_update_is_refused_with_what_to_pass(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    bar = _tqdm_like()
    src = _file(tmp_path / "f", b"x")
    with pytest.raises(InvalidArgument, match=r"progress_increments\(bar.update\)"):
        await cos.upload_file(bucket, "k", src, progress=bar.update)  # type: ignore[attr-defined]


async def test_progress_increments_hands_over_byte_counts(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB + 5)
    src = _file(tmp_path / "f", data)
    counted: list[int] = []
    await cos.upload_file(
        bucket, "k", src, part_size=MiB, progress=progress_increments(counted.append)
    )
    assert sum(counted) == len(data)
    assert all(n > 0 for n in counted)
    with pytest.raises(InvalidArgument, match="needs a callable"):
        progress_increments(3)  # type: ignore[arg-type]
    report = progress_increments(counted.append)
    report(Progress(10, 10, 1.0))
    report(Progress(10, 10, 1.0))  # nothing new: nothing handed over
    assert counted[-1] == 10


# --- what is sent -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [{"a": 1}, {1, 2}])
async def test_a_mapping_or_set_body_says_what_to_do(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, data: object
) -> None:
    with pytest.raises(InvalidArgument, match=r"cannot send a (dict|set) as data: encode it"):
        await cos.put_object(bucket, "k", data)  # type: ignore[arg-type]
    assert server.requests.records() == []


async def test_presign_url_refuses_an_unknown_method(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(InvalidArgument, match=r"method must be one of GET, PUT.*'FOO'"):
        await cos.presign_url("FOO", bucket, "k")
    assert "q-signature" in await cos.presign_url("get", bucket, "k")


async def test_transfers_take_paths_and_say_what_takes_a_file_object(
    cos: AsyncCosClient, bucket: str
) -> None:
    with pytest.raises(InvalidArgument, match=r"upload_file takes the path.*upload_stream"):
        await cos.upload_file(bucket, "k", io.BytesIO(b"x"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"download_file takes the path.*get_object"):
        await cos.download_file(bucket, "k", io.BytesIO())  # type: ignore[arg-type]


# --- checkpoints ------------------------------------------------------------------------------


async def test_a_checkpoint_that_is_a_directory_is_refused(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    src = _file(tmp_path / "f", os.urandom(2 * MiB + 1))
    with pytest.raises(InvalidArgument, match="not a directory"):
        await cos.upload_file(bucket, "k", src, part_size=MiB, checkpoint=tmp_path)
    await cos.put_object(bucket, "k", b"x")
    with pytest.raises(InvalidArgument, match="not a directory"):
        await cos.download_file(bucket, "k", tmp_path / "out", checkpoint=tmp_path)


async def test_a_checkpoint_that_is_the_transferred_file_is_refused(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(2 * MiB + 1)
    src = _file(tmp_path / "f", data)
    with pytest.raises(InvalidArgument, match="the transferred file itself"):
        await cos.upload_file(bucket, "k", src, part_size=MiB, checkpoint=src)
    assert src.read_bytes() == data  # the source survives
    await cos.put_object(bucket, "k", data)
    dest = _file(tmp_path / "dest", b"mine")
    with pytest.raises(InvalidArgument, match="the transferred file itself"):
        await cos.download_file(bucket, "k", dest, checkpoint=dest)
    assert dest.read_bytes() == b"mine"


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe binary", b"just some notes\n", b'{"json": "but no checkpoint"}\n'],
    ids=["binary", "text", "json"],
)
async def test_a_file_that_is_no_checkpoint_is_never_overwritten(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, content: bytes
) -> None:
    src = _file(tmp_path / "f", os.urandom(2 * MiB + 1))
    notes = _file(tmp_path / "notes", content)
    with pytest.raises(InvalidArgument, match="is not a cos-async checkpoint"):
        await cos.upload_file(bucket, "k", src, part_size=MiB, checkpoint=notes)
    assert notes.read_bytes() == content
    with pytest.raises(InvalidArgument, match="is not a cos-async checkpoint"):
        await cos.upload_file(bucket, "small", _file(tmp_path / "s", b"s"), checkpoint=notes)
    assert notes.read_bytes() == content
    assert server.requests.count("InitiateMultipartUpload") == 0


async def test_a_planted_download_checkpoint_never_touches_the_file_it_names(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB)
    await cos.put_object(bucket, "k", data)
    victim = _file(tmp_path / "victim", b"precious")
    dest = tmp_path / "out"
    ckpt = tmp_path / "ck"
    for header in (
        {"kind": "download", "version": 1, "tmp": str(victim), "dest": str(dest)},
        # everything right but the temporary path: a resume would have renamed the victim
        {
            "kind": "download",
            "version": 1,
            "bucket": bucket,
            "key": "k",
            "tmp": str(victim),
            "dest": os.path.abspath(dest),
        },
    ):
        ckpt.write_text(json.dumps(header) + "\n")
        await cos.download_file(bucket, "k", dest, part_size=MiB, checkpoint=ckpt)
        assert victim.read_bytes() == b"precious"
        assert dest.read_bytes() == data
        dest.unlink()


async def test_a_resumed_download_checks_the_ranges_it_kept(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    """A crash may lose writes the checkpoint recorded: kept ranges are read back and any that
    lost its bytes is fetched again."""
    data = os.urandom(4 * MiB)
    await cos.put_object(bucket, "k", data)
    dest = tmp_path / "out"
    ckpt = tmp_path / "ck"

    def stop_after_two(request: HttpRequest) -> None:
        if wants_range(request) and request.sink is not None and request.sink.offset >= 2 * MiB:
            raise _Crash  # the process dies after two ranges

    stopper = record(cos, before=stop_after_two)
    with pytest.raises(_Crash):
        await cos.download_file(bucket, "k", dest, part_size=MiB, concurrency=1, checkpoint=ckpt)
    stopper.before = None
    (tmp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".cos-download")]
    _lose_bytes(tmp, 1000)  # range 1 "lost" its bytes
    gets = server.requests.count("GetObject")
    result = await cos.download_file(bucket, "k", dest, part_size=MiB, checkpoint=ckpt)
    assert dest.read_bytes() == data
    assert result.resumed_parts == 1  # range 2 kept, range 1 fetched again
    assert server.requests.count("GetObject") == gets + 3


async def test_a_resumed_upload_resends_parts_the_file_no_longer_holds(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    """The file rewritten with the same size and modification time: the checkpoint's identity
    still matches, but a part whose bytes changed is sent again, so the object is the new
    file, never a mix."""
    src = _file(tmp_path / "f", os.urandom(4 * MiB))
    ckpt = tmp_path / "ck"

    def stop_at_three(request: HttpRequest) -> None:
        if part_number(request) == 3:
            raise _Crash

    stopper = record(cos, before=stop_at_three)
    with pytest.raises(_Crash):
        await cos.upload_file(bucket, "k", src, part_size=MiB, concurrency=1, checkpoint=ckpt)
    stopper.before = None
    st = src.stat()
    new = os.urandom(MiB) + src.read_bytes()[MiB:]  # part 1 rewritten in place
    src.write_bytes(new)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = await cos.upload_file(bucket, "k", src, part_size=MiB, concurrency=1, checkpoint=ckpt)
    assert result.resumed_parts == 1  # part 2 only
    assert await (await cos.get_object(bucket, "k")).read() == new


# --- errors name the destination --------------------------------------------------------------


async def test_a_failing_destination_is_named_not_the_hidden_temporary_file(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(2 * MiB)
    await cos.put_object(bucket, "k", data)
    dest = tmp_path / "out"

    def occupy(request: HttpRequest) -> None:
        if wants_range(request) and not dest.exists():
            dest.mkdir()  # the destination becomes a directory meanwhile
            (dest / "inside").write_bytes(b"x")

    record(cos, before=occupy)
    with pytest.raises(OSError, match="cannot write") as info:
        await cos.download_file(bucket, "k", dest, part_size=MiB)
    assert info.value.filename == str(dest)
    assert ".cos-download" not in str(info.value)
    assert not [p for p in tmp_path.iterdir() if ".cos-download" in p.name]
