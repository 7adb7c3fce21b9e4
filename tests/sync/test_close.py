"""Closing a blocking client while other threads are in calls (issue 16, item 14): each call
fails with a ``CosClientError`` promptly, transfers abort their multipart uploads, and the
facade's loop thread stops with nothing pending."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from cos_async.testing import ThreadedLocalCosServer
from cos_sync import CosClient, CosClientError, CosConfig
from tests.sync.conftest import wait_until

MiB = 1024 * 1024
#: a liveness bound, far above what the calls take once the client closes
BOUND = 20.0


def test_close_fails_the_calls_of_other_threads(
    sync_server: ThreadedLocalCosServer, sync_config: CosConfig, sync_bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(random.Random(3).randbytes(6 * MiB))
    with CosClient(sync_config) as setup:
        setup.put_object(sync_bucket, "big", random.Random(4).randbytes(3 * MiB))
    sync_server.faults.add(action="delay", operation="GetObject", delay=5.0, times=None)
    sync_server.faults.add(action="delay", operation="UploadPart", delay=5.0, times=None)
    cos = CosClient(sync_config)
    outcomes: dict[str, BaseException | None] = {}

    def call(name: str) -> None:
        try:
            if name.startswith("get"):
                cos.get_object(sync_bucket, "big").read()
            elif name == "upload":
                cos.upload_file(sync_bucket, "up", src, part_size=MiB)
            else:
                cos.download_file(sync_bucket, "big", tmp_path / "dl.bin", part_size=MiB)
            outcomes[name] = None
        except BaseException as exc:  # recorded, asserted below
            outcomes[name] = exc

    names = ["get1", "get2", "upload", "download"]
    threads = [threading.Thread(target=call, args=(n,)) for n in names]
    for t in threads:
        t.start()
    assert wait_until(
        lambda: (
            sync_server.requests.count("UploadPart") >= 1
            and sync_server.requests.count("GetObject") >= 3
        ),
        BOUND,
    )
    cos.close()
    for t in threads:
        t.join(BOUND)
    assert not any(t.is_alive() for t in threads), "a call is still waiting after close"
    for name in names:
        assert isinstance(outcomes[name], CosClientError), (name, outcomes[name])
    with CosClient(sync_config) as other:
        assert list(other.list_multipart_uploads(sync_bucket)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.bin"]
