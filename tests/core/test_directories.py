"""Directory helpers and keys, as a new user meets them: how a prefix joins, names that are no
valid key (a GBK file name from a Windows zip), symbolic links, re-running without re-sending,
progress that moves with the bytes; and the keys COS refuses, refused before any request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cos_async import AsyncCosClient, InvalidArgument, Progress
from cos_async import _progress as progress_module
from cos_async.testing import LocalCosServer

MiB = 1024 * 1024
GBK_NAME = "测试".encode("gbk") + b".txt"  # what unzipping a Windows archive on Linux gives


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


async def _keys(cos: AsyncCosClient, bucket: str, prefix: str = "") -> list[str]:
    return sorted([o.key async for o in cos.list_objects(bucket, prefix=prefix)])


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("bad\udcff", "not valid text"),
        ("/a/b.txt", "must not start with '/'.*did you mean 'a/b.txt'"),
        ("a\x00b", "NUL"),
        ("k" * 851, "851 bytes of UTF-8; COS allows at most 850"),
        ("é" * 426, "852 bytes"),
    ],
)
async def test_keys_cos_refuses_are_refused_before_any_request(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, key: str, named: str
) -> None:
    with pytest.raises(InvalidArgument, match=named):
        await cos.put_object(bucket, key, b"x")
    with pytest.raises(InvalidArgument, match=named):
        await cos.head_object(bucket, key)
    with pytest.raises(InvalidArgument, match=named):
        await cos.delete_objects(bucket, ["fine", key])
    assert server.requests.records() == []


async def test_the_longest_key_works(cos: AsyncCosClient, bucket: str) -> None:
    key = "é" * 425  # 850 bytes of UTF-8
    await cos.put_object(bucket, key, b"long")
    assert await (await cos.get_object(bucket, key)).read() == b"long"


# --- upload_dir -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["backup", "backup/"])
async def test_a_prefix_is_a_directory(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, prefix: str
) -> None:
    _tree(tmp_path / "src", {"small.txt": b"s", "d/deep.txt": b"d"})
    await cos.put_object(bucket, "backupx.txt", b"a sibling, not in the directory")
    summary = await cos.upload_dir(tmp_path / "src", bucket, prefix)
    assert summary.transferred == ("backup/d/deep.txt", "backup/small.txt")
    down = await cos.download_prefix(bucket, prefix, tmp_path / "back")
    assert down.transferred == ("backup/d/deep.txt", "backup/small.txt")
    assert sorted(
        p.relative_to(tmp_path / "back").as_posix() for p in (tmp_path / "back").rglob("*.txt")
    ) == [
        "d/deep.txt",
        "small.txt",
    ]


async def test_an_undecodable_file_name_is_a_failure_and_the_others_go_on(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _tree(src, {f"f{i:02}.txt": b"x" * i for i in range(20)})
    fd = os.open(os.path.join(os.fsencode(src), GBK_NAME), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"gbk")
    os.close(fd)
    summary = await cos.upload_dir(src, bucket, "p")
    assert len(summary.transferred) == 20
    assert len(summary.failed) == 1
    key, error = summary.failed[0]
    assert key.startswith("p/")
    assert "InvalidArgument" in error
    assert "not valid text" in error
    assert len(await _keys(cos, bucket, "p/")) == 20


async def test_symbolic_links_followed_or_not(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _tree(src, {"real.txt": b"real", "dir/inner.txt": b"inner"})
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"outside")
    (src / "link.txt").symlink_to(outside)
    (src / "linkdir").symlink_to(src / "dir")
    (src / "dir" / "loop").symlink_to(src)  # a cycle through a link: walked once
    (src / "dangling").symlink_to(tmp_path / "nowhere")
    kept = await cos.upload_dir(src, bucket, "keep", follow_symlinks=False)
    assert kept.transferred == ("keep/dir/inner.txt", "keep/real.txt")
    assert set(kept.skipped) == {"dangling", "dir/loop", "link.txt", "linkdir"}
    followed = await cos.upload_dir(src, bucket, "follow")
    assert set(followed.transferred) >= {
        "follow/dir/inner.txt",
        "follow/real.txt",
        "follow/link.txt",
        "follow/linkdir/inner.txt",
    }
    assert "dangling" in followed.skipped
    assert await (await cos.get_object(bucket, "follow/link.txt")).read() == b"outside"


async def test_rerunning_skips_what_is_unchanged(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _tree(src, {"a.txt": b"aaaa", "b.txt": b"bbbb", "big.bin": os.urandom(3 * MiB)})
    first = await cos.upload_dir(src, bucket, "s", skip_unchanged=True, part_size=MiB)
    assert len(first.transferred) == 3
    assert first.unchanged == ()
    (src / "b.txt").write_bytes(b"BBBB")  # same size, other bytes: sent again
    (src / "c.txt").write_bytes(b"new")
    puts = server.requests.count("PutObject")
    second = await cos.upload_dir(src, bucket, "s", skip_unchanged=True, part_size=MiB)
    assert second.transferred == ("s/b.txt", "s/c.txt")
    assert second.unchanged == ("s/a.txt", "s/big.bin")
    assert server.requests.count("PutObject") == puts + 2
    assert await (await cos.get_object(bucket, "s/b.txt")).read() == b"BBBB"
    # and downloading: files already there with the same bytes are not fetched again
    dest = tmp_path / "dest"
    await cos.download_prefix(bucket, "s", dest)
    (dest / "a.txt").write_bytes(b"AAAA")
    gets = server.requests.count("GetObject")
    again = await cos.download_prefix(bucket, "s", dest, skip_unchanged=True)
    assert again.transferred == ("s/a.txt",)
    assert again.unchanged == ("s/b.txt", "s/big.bin", "s/c.txt")
    assert server.requests.count("GetObject") == gets + 1
    assert (dest / "a.txt").read_bytes() == b"aaaa"


async def test_directory_progress_moves_with_the_bytes(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "REPORT_INTERVAL", 0)
    size = 6 * MiB
    _tree(tmp_path / "src", {"big.bin": os.urandom(size)})
    seen: list[Progress] = []
    await cos.upload_dir(tmp_path / "src", bucket, "p", part_size=MiB, progress=seen.append)
    done = [p.bytes_done for p in seen]
    assert done[-1] == size
    assert any(0 < d < size for d in done), done  # not only 0 and then the whole file
    assert done == sorted(done)
    seen.clear()
    await cos.download_prefix(bucket, "p", tmp_path / "back", part_size=MiB, progress=seen.append)
    done = [p.bytes_done for p in seen]
    assert done[-1] == size
    assert any(0 < d < size for d in done), done
