"""The facade takes the same on_request / on_response hooks; they run on the loop thread."""

from __future__ import annotations

import threading

import pytest

from cos_async import InvalidArgument, RequestEvent, ResponseEvent
from cos_sync import CosClient, CosConfig, _portal


def test_hooks_run_for_facade_calls(sync_config: CosConfig, sync_bucket: str) -> None:
    seen: list[tuple[str, str | None, int | None, str]] = []

    def on_request(event: RequestEvent) -> None:
        seen.append(("request", event.key, None, threading.current_thread().name))

    def on_response(event: ResponseEvent) -> None:
        seen.append(("response", event.key, event.status, threading.current_thread().name))

    caller = threading.current_thread().name
    with CosClient(sync_config, on_request=on_request, on_response=on_response) as cos:
        cos.put_object(sync_bucket, "hooked", b"data")
        assert cos.get_object(sync_bucket, "hooked").read() == b"data"
    assert [(kind, key, status) for kind, key, status, _ in seen] == [
        ("request", "hooked", None),
        ("response", "hooked", 200),
        ("request", "hooked", None),
        ("response", "hooked", 200),
    ]
    assert {thread for *_, thread in seen} != {caller}  # on the private loop thread


def test_bad_hook_is_refused_before_the_loop_starts(sync_config: CosConfig) -> None:
    with pytest.raises(InvalidArgument, match="on_response must be callable"):
        CosClient(sync_config, on_response=42)  # type: ignore[arg-type]
    assert _portal.current() is None  # no loop thread was started (nor leaked)
