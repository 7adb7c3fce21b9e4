"""Bucket configurations: one mechanism for every family (CORS, lifecycle, versioning, origin,
...), plus the ACL, the policy (JSON), the families kept by id (inventories, intelligent-tiering
rules) or by domain (certificates), and ``get_bucket_meta``, which gathers them all at once."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs

from cos_async import _limits
from cos_async._body import make_body
from cos_async._bucket_config import (
    _DOMAIN_NAME,
    BucketLoggingStatus,
    ConfigModel,
    CorsConfiguration,
    DomainConfiguration,
    EncryptionConfiguration,
    IntelligentTieringConfiguration,
    InventoryConfiguration,
    LifecycleConfiguration,
    ObjectLockConfiguration,
    RefererConfiguration,
    ReplicationConfiguration,
    Tagging,
    VersioningConfiguration,
    WebsiteConfiguration,
    from_xml,
    strict,
    to_xml,
)
from cos_async._bucket_extras import (
    BucketMeta,
    DomainCertificate,
    DomainCertificateStatus,
    IntelligentTieringRule,
    IntelligentTieringRules,
    OneOffInventoryConfiguration,
    OriginConfiguration,
    ResponseControlConfiguration,
)
from cos_async._engine import Reply, Request, RequestEngine, xml_body
from cos_async._errors import CosClientError, CosServiceError, InvalidArgument
from cos_async._models import (
    AccessControlPolicy,
    BucketPolicy,
    Grant,
    InventoryConfigurations,
    Result,
    as_list,
)
from cos_async._options import Grants
from cos_async._validate import check_bucket, check_inventory_id, check_policy
from cos_async._xml import XMLError, text_of

from ._base import OpsBase
from .acl import get_acl, put_acl
from .listing import is_true, paginate

__all__ = ["BucketConfigOps"]

_ConfigT = TypeVar("_ConfigT", bound=ConfigModel)


@attrs.frozen
class _Family(Generic[_ConfigT]):
    """A bucket-configuration family: its query sub-resource and model."""

    subresource: str  # "cors", "lifecycle", ...
    model: type[_ConfigT]
    what: str  # for docstrings: "the CORS rules"
    #: kept by the model's ``id`` (``?<sub-resource>&id=<id>``: inventories, tiering rules)
    by_id: bool = False


async def _put_config(
    engine: RequestEngine,
    bucket: str,
    family: _Family[_ConfigT],
    config: _ConfigT,
    *,
    method: str = "PUT",
) -> Result:
    check_bucket(bucket)
    if not isinstance(config, family.model):
        raise InvalidArgument(
            f"config must be a {family.model.__name__}, got {type(config).__name__}"
        )
    config = strict(config)  # one read leniently from COS is checked before it is sent back
    config._check_put()
    params: dict[str, str | None] = {family.subresource: None}
    if family.by_id:
        params["id"] = config.id  # type: ignore[attr-defined]  # the by_id models have one
    ((root, doc),) = to_xml(config).items()
    body, headers = xml_body(root, doc)
    return _result(
        await engine.send(
            Request(method=method, bucket=bucket, params=params, headers=headers, body=body)
        )
    )


def _result(reply: Reply) -> Result:
    return Result(request_id=reply.request_id, headers=reply.headers)


async def _get_config(
    engine: RequestEngine,
    bucket: str,
    family: _Family[_ConfigT],
    params: Mapping[str, str | None] | None = None,
) -> _ConfigT:
    check_bucket(bucket)
    reply, doc = await engine.xml(
        Request(method="GET", bucket=bucket, params={family.subresource: None, **(params or {})}),
        family.model.xml_root,
    )
    try:
        return from_xml(family.model, doc, request_id=reply.request_id, headers=reply.headers)
    except XMLError as exc:
        raise CosClientError(f"COS sent a {family.model.xml_root} we cannot read: {exc}") from exc


def _named(fn: Any, name: str, doc: str, annotations: dict[str, str]) -> None:
    fn.__name__ = name
    fn.__qualname__ = f"AsyncCosClient.{name}"
    fn.__doc__ = doc
    fn.__annotations__ = annotations


def _putter(
    family: _Family[_ConfigT], name: str
) -> Callable[[BucketConfigOps, str, _ConfigT], Coroutine[Any, Any, Result]]:
    async def put(self: BucketConfigOps, bucket: str, config: _ConfigT) -> Result:
        return await _put_config(self._engine, bucket, family, config)

    _named(
        put,
        f"put_bucket_{name}",
        f"Replace {family.what} of a bucket (``PUT ?{family.subresource}``) with ``config``, a "
        f":class:`{family.model.__name__}` (checked when it was built).",
        {"bucket": "str", "config": family.model.__name__, "return": "Result"},
    )
    return put


def _getter(
    family: _Family[_ConfigT], name: str
) -> Callable[[BucketConfigOps, str], Coroutine[Any, Any, _ConfigT]]:
    async def get(self: BucketConfigOps, bucket: str) -> _ConfigT:
        return await _get_config(self._engine, bucket, family)

    _named(
        get,
        f"get_bucket_{name}",
        f"{family.what[0].upper()}{family.what[1:]} of a bucket (``GET ?{family.subresource}``) "
        f"as a :class:`{family.model.__name__}`; :class:`NoSuchConfiguration` (404) when the "
        "bucket has none.",
        {"bucket": "str", "return": family.model.__name__},
    )
    return get


def _deleter(
    family: _Family[Any], name: str
) -> Callable[[BucketConfigOps, str], Coroutine[Any, Any, Result]]:
    async def delete(self: BucketConfigOps, bucket: str) -> Result:
        check_bucket(bucket)
        return _result(
            await self._engine.send(
                Request(method="DELETE", bucket=bucket, params={family.subresource: None})
            )
        )

    _named(
        delete,
        f"delete_bucket_{name}",
        f"Remove {family.what} of a bucket (``DELETE ?{family.subresource}``).",
        {"bucket": "str", "return": "Result"},
    )
    return delete


_CORS = _Family("cors", CorsConfiguration, "the CORS rules")
_LIFECYCLE = _Family("lifecycle", LifecycleConfiguration, "the lifecycle rules")
_VERSIONING = _Family("versioning", VersioningConfiguration, "the versioning state")
_REPLICATION = _Family("replication", ReplicationConfiguration, "the cross-bucket replication")
_TAGGING = _Family("tagging", Tagging, "the tags")
_WEBSITE = _Family("website", WebsiteConfiguration, "the static-website configuration")
_INVENTORY = _Family("inventory", InventoryConfiguration, "an inventory configuration", True)
_LOGGING = _Family("logging", BucketLoggingStatus, "the access-logging configuration")
_REFERER = _Family("referer", RefererConfiguration, "the hotlink protection (referer list)")
_DOMAIN = _Family("domain", DomainConfiguration, "the custom domains")
_ENCRYPTION = _Family("encryption", EncryptionConfiguration, "the default encryption")
_TIERING = _Family(
    "intelligenttiering", IntelligentTieringConfiguration, "the intelligent-tiering configuration"
)
_OBJECT_LOCK = _Family("object-lock", ObjectLockConfiguration, "the object-lock configuration")
_ORIGIN = _Family("origin", OriginConfiguration, "the origin-pull (back-to-source) rules")
_RESPONSE_CONTROL = _Family(
    "response-control", ResponseControlConfiguration, "the response control"
)
_CERTIFICATE = _Family("domaincertificate", DomainCertificate, "a custom domain's certificate")
_CERTIFICATE_STATUS = _Family(
    "domaincertificate", DomainCertificateStatus, "a custom domain's certificate"
)
_TIERING_RULE = _Family(
    "intelligent-tiering", IntelligentTieringRule, "an intelligent-tiering rule", True
)
_ONE_OFF_INVENTORY = _Family("inventory", OneOffInventoryConfiguration, "a one-off inventory", True)


class BucketConfigOps(OpsBase):
    """Bucket configurations. Every family goes through :func:`_put_config` /
    :func:`_get_config` and the models' declared XML mapping, so each public method is one line;
    ACL, policy (JSON) and inventory (by id) are the exceptions."""

    put_bucket_cors = _putter(_CORS, "cors")
    get_bucket_cors = _getter(_CORS, "cors")
    delete_bucket_cors = _deleter(_CORS, "cors")
    put_bucket_lifecycle = _putter(_LIFECYCLE, "lifecycle")
    get_bucket_lifecycle = _getter(_LIFECYCLE, "lifecycle")
    delete_bucket_lifecycle = _deleter(_LIFECYCLE, "lifecycle")
    put_bucket_versioning = _putter(_VERSIONING, "versioning")
    get_bucket_versioning = _getter(_VERSIONING, "versioning")
    put_bucket_replication = _putter(_REPLICATION, "replication")
    get_bucket_replication = _getter(_REPLICATION, "replication")
    delete_bucket_replication = _deleter(_REPLICATION, "replication")
    put_bucket_tagging = _putter(_TAGGING, "tagging")
    get_bucket_tagging = _getter(_TAGGING, "tagging")
    delete_bucket_tagging = _deleter(_TAGGING, "tagging")
    put_bucket_website = _putter(_WEBSITE, "website")
    get_bucket_website = _getter(_WEBSITE, "website")
    delete_bucket_website = _deleter(_WEBSITE, "website")
    put_bucket_inventory = _putter(_INVENTORY, "inventory")
    put_bucket_logging = _putter(_LOGGING, "logging")
    get_bucket_logging = _getter(_LOGGING, "logging")
    put_bucket_referer = _putter(_REFERER, "referer")
    get_bucket_referer = _getter(_REFERER, "referer")
    put_bucket_domain = _putter(_DOMAIN, "domain")
    get_bucket_domain = _getter(_DOMAIN, "domain")
    delete_bucket_domain = _deleter(_DOMAIN, "domain")
    put_bucket_encryption = _putter(_ENCRYPTION, "encryption")
    get_bucket_encryption = _getter(_ENCRYPTION, "encryption")
    delete_bucket_encryption = _deleter(_ENCRYPTION, "encryption")
    put_bucket_intelligent_tiering = _putter(_TIERING, "intelligent_tiering")
    get_bucket_intelligent_tiering = _getter(_TIERING, "intelligent_tiering")
    put_bucket_object_lock = _putter(_OBJECT_LOCK, "object_lock")
    get_bucket_object_lock = _getter(_OBJECT_LOCK, "object_lock")
    put_bucket_origin = _putter(_ORIGIN, "origin")
    get_bucket_origin = _getter(_ORIGIN, "origin")
    delete_bucket_origin = _deleter(_ORIGIN, "origin")
    put_bucket_response_control = _putter(_RESPONSE_CONTROL, "response_control")
    get_bucket_response_control = _getter(_RESPONSE_CONTROL, "response_control")
    delete_bucket_response_control = _deleter(_RESPONSE_CONTROL, "response_control")
    put_bucket_domain_certificate = _putter(_CERTIFICATE, "domain_certificate")
    put_bucket_intelligent_tiering_rule = _putter(_TIERING_RULE, "intelligent_tiering_rule")

    async def get_bucket_domain_certificate(
        self, bucket: str, domain: str
    ) -> DomainCertificateStatus:
        """What COS says of the certificate of the custom ``domain`` of a bucket (``GET
        ?domaincertificate&domainname=``): its status; the certificate and its key are never
        sent back. :class:`NoSuchConfiguration` (404) when the domain has none."""
        return await _get_config(
            self._engine, bucket, _CERTIFICATE_STATUS, {"domainname": _domain(domain)}
        )

    async def delete_bucket_domain_certificate(self, bucket: str, domain: str) -> Result:
        """Remove the certificate of the custom ``domain`` of a bucket."""
        check_bucket(bucket)
        params = {"domaincertificate": None, "domainname": _domain(domain)}
        return _result(
            await self._engine.send(Request(method="DELETE", bucket=bucket, params=params))
        )

    async def get_bucket_intelligent_tiering_rule(
        self, bucket: str, rule_id: str
    ) -> IntelligentTieringRule:
        """One intelligent-tiering rule of a bucket, by id (``GET ?intelligent-tiering&id=``;
        :class:`NoSuchConfiguration`, 404, when there is none)."""
        check_inventory_id(rule_id, "rule_id")
        return await _get_config(self._engine, bucket, _TIERING_RULE, {"id": rule_id})

    async def delete_bucket_intelligent_tiering_rule(self, bucket: str, rule_id: str) -> Result:
        """Remove one intelligent-tiering rule of a bucket, by id (COS keeps the rule
        ``default`` once set)."""
        check_bucket(bucket)
        check_inventory_id(rule_id, "rule_id")
        params = {"intelligent-tiering": None, "id": rule_id}
        return _result(
            await self._engine.send(Request(method="DELETE", bucket=bucket, params=params))
        )

    async def list_bucket_intelligent_tiering_configurations(
        self, bucket: str
    ) -> IntelligentTieringRules:
        """Every intelligent-tiering rule of a bucket (``GET ?intelligent-tiering``), a tuple of
        :class:`IntelligentTieringRule` (empty when there is none)."""
        check_bucket(bucket)
        reply, doc = await self._engine.xml(
            Request(method="GET", bucket=bucket, params={"intelligent-tiering": None}),
            "ListBucketIntelligentTieringConfigurationsOutput",
        )
        try:
            rules = [
                from_xml(IntelligentTieringRule, d)
                for d in as_list(doc.get("IntelligentTieringConfiguration"))
            ]
        except XMLError as exc:
            raise CosClientError(
                f"COS sent an intelligent-tiering list we cannot read: {exc}"
            ) from exc
        return IntelligentTieringRules(rules, request_id=reply.request_id, headers=reply.headers)

    async def post_bucket_inventory(
        self, bucket: str, config: OneOffInventoryConfiguration
    ) -> Result:
        """Ask COS for a one-off inventory report now (``POST ?inventory&id=``), described by
        ``config`` (no schedule: it runs once)."""
        return await _put_config(self._engine, bucket, _ONE_OFF_INVENTORY, config, method="POST")

    async def get_bucket_meta(self, bucket: str) -> BucketMeta:
        """A bucket and every configuration of it, gathered concurrently (as the official SDK's
        ``get_bucket_meta``): the HEAD of the bucket (region, OFS, MAZ), its ACL, CORS,
        encryption, website, logging, versioning, intelligent-tiering rules, lifecycle, tags,
        object lock and replication. A configuration the bucket lacks is ``None`` (a 404, a
        bucket never versioned, logging off, no intelligent-tiering rule); any other error
        (``NoSuchBucket``, ``AccessDenied``...) is raised, the other requests then cancelled."""
        check_bucket(bucket)
        engine = self._engine
        request_ids: list[str] = []

        async def head() -> Reply:
            return await engine.send(Request(method="HEAD", bucket=bucket))

        async def tiering() -> IntelligentTieringRules | None:
            rules = await self.list_bucket_intelligent_tiering_configurations(bucket)
            return rules or None

        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "head": head,
            "acl": lambda: get_acl(engine, bucket, None),
            "cors": lambda: _get_config(engine, bucket, _CORS),
            "encryption": lambda: _get_config(engine, bucket, _ENCRYPTION),
            "website": lambda: _get_config(engine, bucket, _WEBSITE),
            "logging": lambda: _get_config(engine, bucket, _LOGGING),
            "versioning": lambda: _get_config(engine, bucket, _VERSIONING),
            "intelligent_tiering": tiering,
            "lifecycle": lambda: _get_config(engine, bucket, _LIFECYCLE),
            "tagging": lambda: _get_config(engine, bucket, _TAGGING),
            "object_lock": lambda: _get_config(engine, bucket, _OBJECT_LOCK),
            "replication": lambda: _get_config(engine, bucket, _REPLICATION),
        }
        found = await _gather_missing_as_none(calls)
        for value in found.values():
            rid = getattr(value, "request_id", None)
            if isinstance(rid, str) and rid:
                request_ids.append(rid)
        reply = found.pop("head")
        assert isinstance(reply, Reply)
        # a bucket never versioned, or without access logs, answers an empty document
        if found["versioning"] is not None and found["versioning"].status is None:
            found["versioning"] = None
        if found["logging"] is not None and found["logging"].logging_enabled is None:
            found["logging"] = None
        h = reply.headers
        return BucketMeta(
            bucket=bucket,
            url=engine.endpoint.url(bucket, None).rstrip("/"),
            region=h.get("x-cos-bucket-region") or self.config.region,
            ofs=h.get("x-cos-bucket-arch", "").upper() == "OFS",
            maz=h.get("x-cos-bucket-az-type", "").upper() == "MAZ",
            request_ids=tuple(request_ids),
            **found,
        )

    async def delete_bucket_referer(self, bucket: str) -> Result:
        """Remove the hotlink protection of a bucket. COS has no ``DELETE ?referer``: like the
        official SDK, this puts an empty referer configuration."""
        check_bucket(bucket)
        return _result(
            await self._engine.send(
                Request(
                    method="PUT",
                    bucket=bucket,
                    params={"referer": None},
                    headers=_EMPTY_XML_HEADERS,
                    body=make_body(b""),
                )
            )
        )

    async def get_bucket_inventory(self, bucket: str, inventory_id: str) -> InventoryConfiguration:
        """One inventory configuration of a bucket, by id (:class:`NoSuchConfiguration`, 404,
        when there is none)."""
        check_inventory_id(inventory_id)
        return await _get_config(self._engine, bucket, _INVENTORY, {"id": inventory_id})

    async def delete_bucket_inventory(self, bucket: str, inventory_id: str) -> Result:
        """Remove one inventory configuration of a bucket, by id."""
        check_bucket(bucket)
        check_inventory_id(inventory_id)
        return _result(
            await self._engine.send(
                Request(
                    method="DELETE", bucket=bucket, params={"inventory": None, "id": inventory_id}
                )
            )
        )

    async def list_bucket_inventory_configurations(self, bucket: str) -> InventoryConfigurations:
        """Every inventory configuration of a bucket (following continuation tokens), a tuple
        with the ``request_ids`` of its pages."""
        check_bucket(bucket)
        request_ids: list[str] = []

        async def fetch(token: str | None) -> dict[str, Any]:
            params: dict[str, str | None] = {"inventory": None}
            if token is not None:
                params["continuation-token"] = token
            reply, doc = await self._engine.xml(
                Request(method="GET", bucket=bucket, params=params),
                "ListInventoryConfigurationResult",
            )
            if reply.request_id:
                request_ids.append(reply.request_id)
            return doc

        def following(doc: dict[str, Any]) -> str | None:
            if not is_true(doc.get("IsTruncated")):
                return None
            token = text_of(doc.get("NextContinuationToken")) or None
            if token is None:
                raise CosClientError("COS sent a truncated inventory list without a token")
            return token

        found: list[InventoryConfiguration] = []
        async for doc in paginate(fetch, None, following, "inventory listing"):
            try:
                found.extend(
                    from_xml(InventoryConfiguration, d)
                    for d in as_list(doc.get("InventoryConfiguration"))
                )
            except XMLError as exc:
                raise CosClientError(f"COS sent an inventory list we cannot read: {exc}") from exc
        return InventoryConfigurations(found, request_ids=request_ids)

    async def put_bucket_policy(self, bucket: str, policy: Mapping[str, Any] | str) -> Result:
        """Replace the bucket policy: a JSON document (a mapping, or its JSON text) with a
        non-empty ``Statement`` list whose statements each have an ``Effect`` of allow/deny."""
        check_bucket(bucket)
        document = check_policy(policy)
        data = json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
        return _result(
            await self._engine.send(
                Request(
                    method="PUT",
                    bucket=bucket,
                    params={"policy": None},
                    headers={"Content-Type": "application/json"},
                    body=make_body(data),
                )
            )
        )

    async def get_bucket_policy(self, bucket: str) -> BucketPolicy:
        """The bucket policy, parsed from JSON (:class:`NoSuchConfiguration`, 404, when none)."""
        check_bucket(bucket)
        reply = await self._engine.send(
            Request(method="GET", bucket=bucket, params={"policy": None})
        )
        try:
            document = json.loads(reply.body)
        except (ValueError, RecursionError) as exc:
            raise CosClientError(f"COS sent a bucket policy that is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise CosClientError("COS sent a bucket policy that is not a JSON object")
        return BucketPolicy(document=document, request_id=reply.request_id, headers=reply.headers)

    async def delete_bucket_policy(self, bucket: str) -> Result:
        """Remove the bucket policy."""
        check_bucket(bucket)
        return _result(
            await self._engine.send(
                Request(method="DELETE", bucket=bucket, params={"policy": None})
            )
        )

    async def put_bucket_acl(
        self,
        bucket: str,
        *,
        acl: Literal["private", "public-read", "public-read-write"] | None = None,
        grant_read: str | None = None,
        grant_write: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        grants: Iterable[Grant] | None = None,
        owner_id: str | None = None,
    ) -> Result:
        """Set a bucket's ACL: a canned ``acl`` and/or ``grant_*`` headers (``id="qcs::cam::
        uin/<uin>:uin/<uin>"``, comma-separated), or a full list of ``grants`` (an
        AccessControlPolicy document; ``owner_id`` defaults to the first grantee)."""
        check_bucket(bucket)
        headers = Grants(
            allowed=_limits.BUCKET_ACLS,
            acl=acl,
            read=grant_read,
            write=grant_write,
            read_acp=grant_read_acp,
            write_acp=grant_write_acp,
            full_control=grant_full_control,
        )
        return await put_acl(
            self._engine, bucket, None, headers, grants, owner_id, "put_bucket_acl"
        )

    async def get_bucket_acl(self, bucket: str) -> AccessControlPolicy:
        """A bucket's ACL: the owner and the grants."""
        check_bucket(bucket)
        return await get_acl(self._engine, bucket, None)


def _domain(domain: object) -> str:
    if not isinstance(domain, str) or not re.fullmatch(_DOMAIN_NAME, domain):
        raise InvalidArgument(f"domain must be a domain name like cdn.example.com, got {domain!r}")
    return domain


def _missing(exc: CosServiceError) -> bool:
    """A 404 of a configuration the bucket lacks (not of the bucket itself)."""
    return exc.status == 404 and exc.code != "NoSuchBucket"


async def _gather_missing_as_none(
    calls: Mapping[str, Callable[[], Awaitable[Any]]],
) -> dict[str, Any]:
    """Run every call concurrently: their results by name, ``None`` for a configuration the
    bucket lacks. The first other failure cancels the rest and is raised (itself)."""

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except CosServiceError as exc:
            if _missing(exc):
                return None
            raise

    tasks = {name: asyncio.ensure_future(one(call)) for name, call in calls.items()}
    try:
        done, _ = await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        for t in done:
            exc = None if t.cancelled() else t.exception()
            if exc is not None:
                raise exc
        return {name: t.result() for name, t in tasks.items()}
    finally:
        for t in tasks.values():
            t.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


_EMPTY_XML_HEADERS = {
    "Content-Type": "application/xml",
    "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",  # MD5 of no bytes
}
