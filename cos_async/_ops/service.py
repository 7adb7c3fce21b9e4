"""The service and buckets: list, create, head, delete, location."""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Literal

from cos_async import _limits
from cos_async._engine import Request, xml_body
from cos_async._errors import CosClientError, InvalidArgument, NoSuchBucket
from cos_async._models import (
    BucketInfo,
    BucketLocation,
    HeadBucketResult,
    ListBucketsPage,
    Result,
    as_list,
    parse_iso_date,
)
from cos_async._options import Grants, checked_extra_headers
from cos_async._validate import check_bucket, check_count, check_single_line
from cos_async._xml import XMLError, parse, text_of

from ._base import OpsBase
from .listing import is_true, paginate

__all__ = ["ServiceOps"]


class ServiceOps(OpsBase):
    """The account's buckets."""

    async def list_buckets_page(
        self,
        *,
        marker: str = "",
        max_keys: int = _limits.MAX_BUCKET_PAGE,
        region: str | None = None,
        tag: tuple[str, str] | None = None,
        created: tuple[Literal["lt", "gt", "lte", "gte"], _dt.datetime | int] | None = None,
    ) -> ListBucketsPage:
        """One page of the account's buckets (GET Service), in name order after ``marker``, at
        most ``max_keys`` (<= 2000). Filters: ``region``; ``tag=(key, value)`` (one bucket
        tag); ``created=(how, when)``: created before (``"lt"``), after (``"gt"``), at or
        before (``"lte"``) or at or after (``"gte"``) ``when`` (an aware datetime, or a Unix
        time)."""
        params: dict[str, str | None] = {
            "max-keys": str(check_count("max_keys", max_keys, 1, _limits.MAX_BUCKET_PAGE))
        }
        if marker:
            params["marker"] = check_single_line("marker", marker)
        if region is not None:
            params["region"] = check_single_line("region", region)
        if tag is not None:
            if (
                not isinstance(tag, tuple)
                or len(tag) != 2
                or not all(isinstance(t, str) and t for t in tag)
            ):
                raise InvalidArgument(
                    f"tag must be (key, value), two non-empty strings, got {tag!r}"
                )
            params["tagkey"] = check_single_line("tag key", tag[0])
            params["tagvalue"] = check_single_line("tag value", tag[1])
        if created is not None:
            how, when = created if isinstance(created, tuple) and len(created) == 2 else ("", None)
            if how not in ("lt", "gt", "lte", "gte"):
                raise InvalidArgument(
                    f"created must be (how, when) with how lt, gt, lte or gte, got {created!r}"
                )
            params["create-time"] = str(_unix_time(when))
            params["range"] = how
        reply, doc = await self._engine.xml(
            Request(method="GET", params=params), "ListAllMyBucketsResult"
        )
        buckets_doc = doc.get("Buckets") or {}
        buckets = tuple(
            BucketInfo(
                name=text_of(b.get("Name")),
                region=text_of(b.get("Location")),
                created=parse_iso_date(text_of(b.get("CreationDate"))),
            )
            for b in as_list(buckets_doc.get("Bucket") if isinstance(buckets_doc, dict) else None)
            if isinstance(b, dict)
        )
        owner = doc.get("Owner") or {}
        owner = owner if isinstance(owner, dict) else {}
        return ListBucketsPage(
            request_id=reply.request_id,
            headers=reply.headers,
            buckets=buckets,
            owner_id=text_of(owner.get("ID")) or None,
            owner_display_name=text_of(owner.get("DisplayName")) or None,
            is_truncated=is_true(doc.get("IsTruncated")),
            next_marker=text_of(doc.get("NextMarker")) or None,
            marker=text_of(doc.get("Marker")),
        )

    async def list_buckets(
        self,
        *,
        region: str | None = None,
        tag: tuple[str, str] | None = None,
        created: tuple[Literal["lt", "gt", "lte", "gte"], _dt.datetime | int] | None = None,
        page_size: int = _limits.MAX_BUCKET_PAGE,
    ) -> AsyncIterator[BucketInfo]:
        """Every bucket of the account (all pages), in name order, with the filters of
        :meth:`list_buckets_page`: ``async for b in cos.list_buckets(region="ap-guangzhou")``."""

        def fetch(marker: str) -> Awaitable[ListBucketsPage]:
            return self.list_buckets_page(
                marker=marker, max_keys=page_size, region=region, tag=tag, created=created
            )

        def following(page: ListBucketsPage) -> str | None:
            if not page.is_truncated:
                return None
            return page.next_marker or (page.buckets[-1].name if page.buckets else None)

        async for page in paginate(fetch, "", following, "bucket listing", advanced=_after):
            for b in page.buckets:
                yield b

    async def create_bucket(
        self,
        bucket: str,
        *,
        acl: Literal["private", "public-read", "public-read-write"] | None = None,
        grant_read: str | None = None,
        grant_write: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        multi_az: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> HeadBucketResult:
        """Create ``bucket`` (``BucketAlreadyExists`` if the name is taken)."""
        check_bucket(bucket)
        headers = Grants(
            allowed=_limits.BUCKET_ACLS,
            acl=acl,
            read=grant_read,
            write=grant_write,
            read_acp=grant_read_acp,
            write_acp=grant_write_acp,
            full_control=grant_full_control,
        ).headers()
        headers.update(checked_extra_headers(extra_headers))
        body = None
        if multi_az:
            body, h = xml_body("CreateBucketConfiguration", {"BucketAZConfig": "MAZ"})
            headers.update(h)
        reply = await self._engine.send(
            Request(method="PUT", bucket=bucket, headers=headers, body=body)
        )
        return HeadBucketResult(request_id=reply.request_id, headers=reply.headers)

    async def head_bucket(self, bucket: str) -> HeadBucketResult:
        """``NoSuchBucket`` if it does not exist, ``AccessDenied`` if it is not yours."""
        check_bucket(bucket)
        reply = await self._engine.send(Request(method="HEAD", bucket=bucket))
        return HeadBucketResult(
            request_id=reply.request_id,
            headers=reply.headers,
            region=reply.headers.get("x-cos-bucket-region"),
        )

    async def bucket_exists(self, bucket: str) -> bool:
        """True if the bucket exists (other errors, such as AccessDenied, are raised)."""
        try:
            await self.head_bucket(bucket)
        except NoSuchBucket:
            return False
        return True

    async def delete_bucket(self, bucket: str) -> Result:
        """Delete an empty bucket (``BucketNotEmpty`` otherwise)."""
        check_bucket(bucket)
        reply = await self._engine.send(Request(method="DELETE", bucket=bucket))
        return Result(request_id=reply.request_id, headers=reply.headers)

    async def get_bucket_location(self, bucket: str) -> BucketLocation:
        """The region the bucket lives in (``GET ?location``): a ``str``, with ``request_id``
        and ``headers``."""
        check_bucket(bucket)
        reply = await self._engine.send(
            Request(method="GET", bucket=bucket, params={"location": None})
        )
        try:
            doc = parse(reply.body)
        except XMLError as exc:
            raise CosClientError(f"COS sent a malformed LocationConstraint: {exc}") from exc
        return BucketLocation(
            text_of(doc.get("LocationConstraint")),
            request_id=reply.request_id,
            headers=reply.headers,
        )


def _after(old: str, new: str) -> bool:
    """Bucket markers are names in order: the next one comes after the last."""
    return new > old


def _unix_time(when: object) -> int:
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            raise InvalidArgument(
                f"created needs an aware datetime (with a timezone), got {when!r}"
            )
        return int(when.timestamp())
    if isinstance(when, int) and not isinstance(when, bool) and when >= 0:
        return when
    raise InvalidArgument(f"created's time must be an aware datetime or a Unix time, got {when!r}")
