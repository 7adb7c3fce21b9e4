"""Async fetch: COS pulls an object from a URL into a bucket, as a task of its migration service
(``<region>.migration.myqcloud.com``, JSON), submitted and then asked about."""

from __future__ import annotations

import json

from cos_async._body import make_body
from cos_async._engine import Reply, Request
from cos_async._errors import CosServiceError, InvalidArgument, service_error
from cos_async._fetch import (
    AsyncFetchTask,
    AsyncFetchTaskResult,
    AsyncFetchTaskStatus,
    answer_code,
    check_task_id,
    member,
    parse_answer,
)
from cos_async._validate import check_bucket

from ._base import OpsBase

__all__ = ["FetchOps", "migration_host"]

_JSON = {"Content-Type": "application/json"}


def migration_host(ops: OpsBase) -> str:
    """The host of the migration service: ``<region>.migration.myqcloud.com``; with a custom
    ``domain``, that domain (as the official SDK does)."""
    cfg = ops.config
    if cfg.domain is not None:
        return cfg.domain
    if cfg.region is None:
        if cfg.endpoint_url is not None:
            return "migration.myqcloud.com"
        raise InvalidArgument(
            "async fetch needs the client's region: the migration service is "
            "<region>.migration.myqcloud.com"
        )
    return f"{cfg.region}.migration.myqcloud.com"


def _failed(reply: Reply, doc_code: int | str | None, message: object) -> CosServiceError:
    return service_error(
        status=reply.status,
        code=f"AsyncFetch{doc_code}",
        message=str(message or "the migration service refused the request"),
        request_id=reply.request_id,
    )


class FetchOps(OpsBase):
    """Async fetch tasks."""

    async def put_async_fetch_task(self, bucket: str, task: AsyncFetchTask) -> AsyncFetchTaskResult:
        """Ask COS to fetch ``task.url`` into ``bucket`` under ``task.key``, in the background
        (``POST`` to the migration service): returns the ``task_id`` to follow it with
        :meth:`get_async_fetch_task`."""
        check_bucket(bucket)
        if not isinstance(task, AsyncFetchTask):
            raise InvalidArgument(f"task must be an AsyncFetchTask, got {type(task).__name__}")
        data = json.dumps(task.to_json(), separators=(",", ":")).encode()
        reply = await self._engine.send(
            Request(
                method="POST",
                bucket=bucket,
                headers=_JSON,
                body=make_body(data),
                service_host=migration_host(self),
            )
        )
        doc, body = parse_answer(reply.body, "PutAsyncFetchTask")
        code = answer_code(doc)
        if code not in (0, "0"):
            raise _failed(reply, code, member(doc, "message"))
        task_id = member(body, "taskId")
        if not isinstance(task_id, str) or not task_id:
            raise service_error(
                status=reply.status,
                code="AsyncFetchNoTaskId",
                message="the migration service answered without a task id",
                request_id=reply.request_id,
            )
        return AsyncFetchTaskResult(
            task_id=task_id,
            request_id=reply.request_id or _text(member(doc, "request_id")),
            headers=reply.headers,
        )

    async def get_async_fetch_task(self, bucket: str, task_id: str) -> AsyncFetchTaskStatus:
        """Where the fetch ``task_id`` of ``bucket`` is: its ``status``, ``percent`` done, and
        for a failure COS's ``code`` and ``message``."""
        check_bucket(bucket)
        check_task_id(task_id)
        reply = await self._engine.send(
            Request(
                method="GET",
                bucket=bucket,
                key=task_id,
                headers=_JSON,
                service_host=migration_host(self),
            )
        )
        doc, body = parse_answer(reply.body, "GetAsyncFetchTask")
        code = answer_code(doc)
        if code not in (0, "0"):
            raise _failed(reply, code, member(doc, "message"))
        status = member(body, "status")
        if not isinstance(status, str) or not status:
            raise service_error(
                status=reply.status,
                code="AsyncFetchNoStatus",
                message="the migration service answered without a task status",
                request_id=reply.request_id,
            )
        percent = member(body, "percent")
        return AsyncFetchTaskStatus(
            status=status,
            percent=percent if isinstance(percent, int) and not isinstance(percent, bool) else None,
            code=_text(member(body, "code")),
            message=_text(member(body, "msg")) or _text(member(body, "message")),
            request_id=reply.request_id or _text(member(doc, "request_id")),
            headers=reply.headers,
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
