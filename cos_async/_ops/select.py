"""COS Select: SQL over a CSV or JSON object, answered as an event stream."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Literal

from cos_async._engine import Request, xml_body
from cos_async._errors import IntegrityError, service_error
from cos_async._eventstream import EventStreamDecoder
from cos_async._options import checked_extra_headers
from cos_async._select import (
    CSVInput,
    CSVOutput,
    JSONInput,
    JSONOutput,
    SelectEvent,
    parse_message,
    select_request,
)
from cos_async._validate import check_bucket, check_key

from ._base import OpsBase

__all__ = ["SelectOps"]


class SelectOps(OpsBase):
    """``select_object_content``."""

    async def select_object_content(
        self,
        bucket: str,
        key: str,
        expression: str,
        *,
        input_format: CSVInput | JSONInput,
        output_format: CSVOutput | JSONOutput | None = None,
        compression: Literal["NONE", "GZIP", "BZIP2"] = "NONE",
        request_progress: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[SelectEvent]:
        """Run an SQL ``expression`` over a CSV or JSON object on the COS side (COS Select) and
        yield what comes back, as it arrives::

            async for event in cos.select_object_content(
                bucket, "people.csv", "SELECT s.name FROM COSObject s WHERE s.age > 30",
                input_format=CSVInput(file_header_info="USE"),
            ):
                if isinstance(event, SelectRecords):
                    out.write(event.payload)

        ``expression`` is positional; ``input_format`` (:class:`CSVInput` / :class:`JSONInput`)
        describes the object, ``compression`` (``"NONE"``, ``"GZIP"``, ``"BZIP2"``) how it is
        stored; ``output_format`` defaults to :class:`CSVOutput` for CSV and :class:`JSONOutput`
        for JSON. Events: :class:`SelectRecords` (pieces of the result; concatenate them),
        :class:`SelectProgress` (with ``request_progress=True``), :class:`SelectStats` (once,
        at the end). The iteration ends with the stream's End event; a stream that stops before
        it, or whose CRC32 checks fail, raises :class:`IntegrityError`, and an error COS reports
        in the stream raises the matching :class:`CosServiceError` subclass. The answer is
        decoded chunk by chunk (never held whole); an iteration closed early (``aclose()``, or
        ``contextlib.aclosing``) drops the connection instead of reading the rest.
        """
        check_bucket(bucket)
        check_key(key)
        doc = select_request(expression, input_format, output_format, compression, request_progress)
        body, headers = xml_body("SelectRequest", doc)
        headers.update(checked_extra_headers(extra_headers))
        resp = await self._engine.open(
            Request(
                method="POST",
                bucket=bucket,
                key=key,
                params={"select": None, "select-type": "2"},
                headers=headers,
                body=body,
            )
        )
        decoder = EventStreamDecoder()
        ended = False
        try:
            async with contextlib.aclosing(resp.iter_body()) as chunks:
                async for chunk in chunks:
                    for message in decoder.feed(chunk):
                        if ended:
                            continue  # nothing is meant to follow End
                        event = parse_message(message)
                        if isinstance(event, SelectEvent):
                            yield event
                        elif event.kind == "end":
                            ended = True
                        elif event.kind == "error":
                            raise service_error(
                                status=resp.status,
                                code=event.code or "SelectError",
                                message=event.message,
                                request_id=resp.request_id,
                                trace_id=resp.headers.get("x-cos-trace-id"),
                                method="POST",
                                bucket=bucket,
                                key=key,
                            )
            decoder.finish()
            if not ended:
                raise IntegrityError(
                    f"select on {bucket}/{key}: the event stream ended without an End event"
                )
        finally:
            resp.release_or_close()
