"""The service and buckets: list, create, head, delete, location."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from cos_async import _limits
from cos_async._engine import Request, xml_body
from cos_async._errors import CosClientError, NoSuchBucket
from cos_async._models import (
    BucketInfo,
    BucketLocation,
    HeadBucketResult,
    ListBucketsResult,
    Result,
    as_list,
    parse_iso_date,
)
from cos_async._options import Grants, checked_extra_headers
from cos_async._validate import check_bucket
from cos_async._xml import XMLError, parse, text_of

from ._base import OpsBase

__all__ = ["ServiceOps"]


class ServiceOps(OpsBase):
    """The account's buckets."""

    async def list_buckets(self) -> ListBucketsResult:
        """All buckets of the account."""
        reply, doc = await self._engine.xml(Request(method="GET"), "ListAllMyBucketsResult")
        buckets_doc = doc.get("Buckets") or {}
        buckets = tuple(
            BucketInfo(
                name=text_of(b.get("Name")),
                region=text_of(b.get("Location")),
                created=parse_iso_date(text_of(b.get("CreationDate"))),
            )
            for b in as_list(buckets_doc.get("Bucket") if isinstance(buckets_doc, dict) else None)
        )
        owner = doc.get("Owner") or {}
        return ListBucketsResult(
            request_id=reply.request_id,
            headers=reply.headers,
            buckets=buckets,
            owner_id=text_of(owner.get("ID")) if isinstance(owner, dict) else None,
        )

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
