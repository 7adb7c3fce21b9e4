"""What an object carries besides its bytes: tags, ACL, the restore of an archived object, the
CORS preflight (``OPTIONS``) of a browser, symbolic links, and the changes made by copying an
object onto itself (its storage class, its metadata)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from cos_async._engine import Request, xml_body
from cos_async._errors import CosClientError, InvalidArgument
from cos_async._models import (
    AccessControlPolicy,
    CopyObjectResult,
    CorsPreflight,
    Grant,
    ObjectMeta,
    ObjectTagging,
    RestoreObjectResult,
    Result,
    StorageClass,
    Symlink,
    SymlinkResult,
    as_list,
)
from cos_async._options import (
    CopySource,
    Grants,
    PartOptions,
    ReadConditions,
    WriteOptions,
    checked_extra_headers,
)
from cos_async._validate import DateLike, check_bucket, check_key, check_tags
from cos_async._xml import text_of

from ._base import OpsBase
from .acl import get_acl, put_acl
from .objects import copy_object, head_object

__all__ = ["ObjectAttributeOps"]

_TIERS = ("Expedited", "Standard", "Bulk")
_PREFLIGHT_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


def _version(params: dict[str, str | None], version_id: str | None) -> dict[str, str | None]:
    if version_id is not None:
        params["versionId"] = version_id
    return params


#: the content headers a copy in place keeps unless told otherwise (ObjectMeta field names)
_CONTENT_FIELDS = (
    "content_type",
    "content_disposition",
    "content_encoding",
    "content_language",
    "cache_control",
    "expires",
)


def _kept(meta: ObjectMeta, changes: Mapping[str, object]) -> WriteOptions:
    """The object options of a copy of ``meta``'s object onto itself: what it has (content
    headers, user metadata, storage class, SSE-COS / SSE-KMS), with ``changes`` applied (a
    content header of ``""`` is removed)."""
    values: dict[str, object] = {name: getattr(meta, name) for name in _CONTENT_FIELDS}
    values["metadata"] = dict(meta.metadata)
    values["storage_class"] = meta.storage_class
    for name, value in changes.items():
        if value is not None:
            values[name] = value
    for name in _CONTENT_FIELDS:
        if values[name] == "":
            values[name] = None
    sse = meta.server_side_encryption
    if sse == "AES256":
        values["sse"] = "AES256"
    elif sse == "cos/kms":
        values["sse"] = "cos/kms"
        values["sse_kms_key_id"] = meta.headers.get("x-cos-server-side-encryption-cos-kms-key-id")
    return WriteOptions(**values)  # type: ignore[arg-type]  # values are checked by WriteOptions


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

    # --- symbolic links -------------------------------------------------------------------

    async def put_symlink(
        self,
        bucket: str,
        key: str,
        target: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SymlinkResult:
        """Make ``key`` a symbolic link to the object ``target`` of the same bucket (``PUT
        ?symlink`` with ``x-cos-symlink-target``). Reading ``key`` then reads ``target``; COS
        does not check that ``target`` exists."""
        check_bucket(bucket)
        check_key(key)
        check_key(target)
        headers = dict(checked_extra_headers(extra_headers) or {})
        headers["x-cos-symlink-target"] = target
        reply = await self._engine.send(
            Request(method="PUT", bucket=bucket, key=key, params={"symlink": None}, headers=headers)
        )
        return SymlinkResult(
            request_id=reply.request_id,
            headers=reply.headers,
            version_id=reply.headers.get("x-cos-version-id"),
        )

    async def get_symlink(self, bucket: str, key: str, *, version_id: str | None = None) -> Symlink:
        """The target of the symbolic link ``key`` (``GET ?symlink``): a :class:`Symlink` whose
        ``target`` is the key it points to."""
        check_bucket(bucket)
        check_key(key)
        reply = await self._engine.send(
            Request(
                method="GET", bucket=bucket, key=key, params=_version({"symlink": None}, version_id)
            )
        )
        target = reply.headers.get("x-cos-symlink-target")
        if not target:
            raise CosClientError(f"COS answered GET ?symlink of {key!r} without a target")
        return Symlink(
            request_id=reply.request_id,
            headers=reply.headers,
            target=target,
            version_id=reply.headers.get("x-cos-version-id"),
        )

    # --- changes made by copying an object onto itself ------------------------------------

    async def _copy_in_place(
        self,
        bucket: str,
        key: str,
        changes: Mapping[str, object],
        sse_customer_key: bytes | None,
    ) -> CopyObjectResult:
        """Copy an object onto itself (``x-cos-metadata-directive: Replaced``, as COS documents
        under "Modifying Object Metadata") with what a HEAD found of it, ``changes`` applied;
        only if it is still the object read (``x-cos-copy-source-If-Match`` its ETag)."""
        engine = self._engine
        meta = await head_object(engine, bucket, key, sse_customer_key=sse_customer_key)
        write = _kept(meta, changes)
        return await copy_object(
            engine,
            bucket,
            key,
            CopySource(bucket=bucket, key=key, sse_customer_key=sse_customer_key),
            metadata_directive="Replaced",
            write=write,
            conditions=ReadConditions(if_match=meta.etag) if meta.etag else ReadConditions(),
            part=PartOptions(sse_customer_key=sse_customer_key),
        )

    async def change_object_storage_class(
        self,
        bucket: str,
        key: str,
        storage_class: StorageClass | str,
        *,
        sse_customer_key: bytes | None = None,
    ) -> CopyObjectResult:
        """Move an object to ``storage_class`` in place: a copy of the object onto itself. Its
        content headers, user metadata and server-side encryption are kept (read with a HEAD
        first), and the copy happens only if the object is still the one read
        (``PreconditionFailed`` otherwise). Its ACL becomes the default, as for any copy; an
        SSE-C object needs its ``sse_customer_key``. An ARCHIVE object must be restored first."""
        check_bucket(bucket)
        check_key(key)
        if storage_class is None:
            raise InvalidArgument("storage_class is required, e.g. 'STANDARD_IA'")
        return await self._copy_in_place(
            bucket, key, {"storage_class": storage_class}, sse_customer_key
        )

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        sse_customer_key: bytes | None = None,
    ) -> CopyObjectResult:
        """Change an object's metadata in place: a copy of the object onto itself. What you
        pass replaces what the object has (``metadata`` replaces the user metadata as a whole,
        ``{}`` removes it; a content header of ``""`` is removed); everything else is kept,
        storage class and server-side encryption included (read with a HEAD first). The copy
        happens only if the object is still the one read (``PreconditionFailed`` otherwise).
        Its ACL becomes ``acl`` (default: the default ACL, as for any copy)."""
        check_bucket(bucket)
        check_key(key)
        changes: dict[str, object] = {
            "content_type": content_type,
            "content_disposition": content_disposition,
            "content_encoding": content_encoding,
            "content_language": content_language,
            "cache_control": cache_control,
            "expires": expires,
            "metadata": None if metadata is None else dict(metadata),
            "storage_class": storage_class,
            "acl": acl,
        }
        if all(v is None for v in changes.values()):
            raise InvalidArgument(
                "update_object_meta needs something to change: content_type, metadata, "
                "cache_control, ..."
            )
        return await self._copy_in_place(bucket, key, changes, sse_customer_key)
