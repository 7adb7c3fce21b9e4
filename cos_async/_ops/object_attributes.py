"""What an object carries besides its bytes: tags, ACL, the restore of an archived object, and
the CORS preflight (``OPTIONS``) of a browser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from cos_async._engine import Request, xml_body
from cos_async._errors import InvalidArgument
from cos_async._models import (
    AccessControlPolicy,
    CorsPreflight,
    Grant,
    ObjectTagging,
    RestoreObjectResult,
    Result,
    as_list,
)
from cos_async._options import Grants, PartOptions
from cos_async._validate import check_bucket, check_key, check_tags
from cos_async._xml import text_of

from ._base import OpsBase
from .acl import get_acl, put_acl

__all__ = ["ObjectAttributeOps"]

_TIERS = ("Expedited", "Standard", "Bulk")
_PREFLIGHT_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


def _version(params: dict[str, str | None], version_id: str | None) -> dict[str, str | None]:
    if version_id is not None:
        params["versionId"] = version_id
    return params


class ObjectAttributeOps(OpsBase):
    """Tags, ACL, restore and preflight of objects."""

    async def restore_object(
        self,
        bucket: str,
        key: str,
        *,
        days: int,
        tier: Literal["Expedited", "Standard", "Bulk"] = "Standard",
        version_id: str | None = None,
        sse_customer_key: bytes | None = None,
    ) -> RestoreObjectResult:
        """Restore an ARCHIVE / DEEP_ARCHIVE object for ``days``. Returns 202 when the restore
        started, 200 when it was already restored (its expiry is extended): an ``int``, with
        ``request_id`` and ``headers``. An SSE-C object needs its ``sse_customer_key``."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidArgument(f"days must be an integer >= 1, got {days!r}")
        if tier not in _TIERS:
            raise InvalidArgument(f"tier must be Expedited, Standard or Bulk, got {tier!r}")
        body, headers = xml_body(
            "RestoreRequest", {"Days": str(days), "CASJobParameters": {"Tier": tier}}
        )
        headers.update(PartOptions(sse_customer_key=sse_customer_key).headers())
        reply = await self._engine.send(
            Request(
                method="POST",
                bucket=bucket,
                key=key,
                params=_version({"restore": None}, version_id),
                headers=headers,
                body=body,
            )
        )
        return RestoreObjectResult(reply.status, request_id=reply.request_id, headers=reply.headers)

    async def put_object_tagging(
        self, bucket: str, key: str, tags: Mapping[str, str], *, version_id: str | None = None
    ) -> Result:
        """Replace an object's tags (at most 10; keys <= 128, values <= 256 characters)."""
        check_bucket(bucket)
        check_key(key)
        pairs = check_tags(tags)
        body, headers = xml_body(
            "Tagging", {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in pairs]}}
        )
        reply = await self._engine.send(
            Request(
                method="PUT",
                bucket=bucket,
                key=key,
                params=_version({"tagging": None}, version_id),
                headers=headers,
                body=body,
            )
        )
        return Result(request_id=reply.request_id, headers=reply.headers)

    async def get_object_tagging(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> ObjectTagging:
        """An object's tags: a read-only mapping of key to value (equal to a ``dict`` of the
        same tags), with ``request_id`` and ``headers``."""
        check_bucket(bucket)
        check_key(key)
        reply, doc = await self._engine.xml(
            Request(
                method="GET", bucket=bucket, key=key, params=_version({"tagging": None}, version_id)
            ),
            "Tagging",
        )
        tag_set = doc.get("TagSet") or {}
        tags = {
            text_of(t.get("Key")): text_of(t.get("Value"))
            for t in as_list(tag_set.get("Tag") if isinstance(tag_set, dict) else None)
        }
        return ObjectTagging(tags=tags, request_id=reply.request_id, headers=reply.headers)

    async def delete_object_tagging(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> Result:
        """Remove all tags of an object."""
        check_bucket(bucket)
        check_key(key)
        reply = await self._engine.send(
            Request(
                method="DELETE",
                bucket=bucket,
                key=key,
                params=_version({"tagging": None}, version_id),
            )
        )
        return Result(request_id=reply.request_id, headers=reply.headers)

    async def put_object_acl(
        self,
        bucket: str,
        key: str,
        *,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        grants: Iterable[Grant] | None = None,
        owner_id: str | None = None,
    ) -> Result:
        """Set an object's ACL: a canned ``acl`` and/or ``grant_*`` headers, or a full list of
        ``grants`` (an AccessControlPolicy document)."""
        check_bucket(bucket)
        check_key(key)
        canned = Grants(
            acl=acl,
            read=grant_read,
            read_acp=grant_read_acp,
            write_acp=grant_write_acp,
            full_control=grant_full_control,
        )
        return await put_acl(self._engine, bucket, key, canned, grants, owner_id, "put_object_acl")

    async def get_object_acl(self, bucket: str, key: str) -> AccessControlPolicy:
        """An object's ACL: the owner and the grants."""
        check_bucket(bucket)
        check_key(key)
        return await get_acl(self._engine, bucket, key)

    async def options_object(
        self,
        bucket: str,
        key: str,
        *,
        origin: str,
        method: str,
        request_headers: Iterable[str] = (),
    ) -> CorsPreflight:
        """Ask COS what a browser would: may ``origin`` send ``method`` with ``request_headers``
        to this object (a CORS preflight, ``OPTIONS``)? A refusal is ``AccessDenied`` (403,
        COS code ``AccessForbidden``)."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(origin, str) or not origin:
            raise InvalidArgument(f"origin must be a non-empty string, got {origin!r}")
        if not isinstance(method, str) or method.upper() not in _PREFLIGHT_METHODS:
            raise InvalidArgument(f"method must be GET, PUT, POST, DELETE or HEAD, got {method!r}")
        if isinstance(request_headers, str):
            raise InvalidArgument("request_headers must be a sequence of header names, not a str")
        asked = [h.strip() for h in request_headers]
        if not all(asked):
            raise InvalidArgument(f"request_headers must be non-empty names, got {asked!r}")
        headers = {"Origin": origin, "Access-Control-Request-Method": method.upper()}
        if asked:
            headers["Access-Control-Request-Headers"] = ",".join(asked)
        reply = await self._engine.send(
            Request(method="OPTIONS", bucket=bucket, key=key, headers=headers)
        )
        h = reply.headers

        def listed(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in (h.get(name) or "").split(",") if v.strip())

        max_age = h.get("Access-Control-Max-Age")
        return CorsPreflight(
            request_id=reply.request_id,
            headers=h,
            allowed_origin=h.get("Access-Control-Allow-Origin") or "",
            allowed_methods=listed("Access-Control-Allow-Methods"),
            allowed_headers=listed("Access-Control-Allow-Headers"),
            expose_headers=listed("Access-Control-Expose-Headers"),
            max_age=int(max_age) if max_age and max_age.strip().isdigit() else None,
        )
