"""Validation of the documents the local COS server accepts: bucket configurations, tags, ACLs,
CORS rules (and preflight matching), and POST-object policies. Pure functions; each raises
:class:`DocumentError` with the COS error code and a message naming the bad value.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from cos_async._limits import MAX_TAG_KEY, MAX_TAG_VALUE
from cos_async._xml import XMLError, parse, text_of

from ._values import JSONLimitError, is_number, load_json

__all__ = [
    "CONFIG_ROOTS",
    "MAX_BUCKET_TAGS",
    "RESPONSE_CONTROL_PARAMS",
    "DocumentError",
    "certificate_domains",
    "match_cors",
    "parse_tag_header",
    "validate_config",
    "validate_one_off_inventory",
    "validate_tags",
]


class DocumentError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


#: sub-resource -> (XML root element, error code when absent)
CONFIG_ROOTS: dict[str, tuple[str, str]] = {
    "cors": ("CORSConfiguration", "NoSuchCORSConfiguration"),
    "lifecycle": ("LifecycleConfiguration", "NoSuchLifecycleConfiguration"),
    "website": ("WebsiteConfiguration", "NoSuchWebsiteConfiguration"),
    "referer": ("RefererConfiguration", "NoSuchRefererConfiguration"),
    "logging": ("BucketLoggingStatus", "NoSuchLoggingConfiguration"),
    "inventory": ("InventoryConfiguration", "NoSuchInventoryConfiguration"),
    "domain": ("DomainConfiguration", "NoSuchDomainConfiguration"),
    "encryption": ("ServerSideEncryptionConfiguration", "NoSuchEncryptionConfiguration"),
    "replication": ("ReplicationConfiguration", "NoSuchReplicationConfiguration"),
    "intelligenttiering": (
        "IntelligentTieringConfiguration",
        "NoSuchIntelligentTieringConfiguration",
    ),
    "object-lock": ("ObjectLockConfiguration", "NoSuchObjectLockConfiguration"),
    "origin": ("OriginConfiguration", "NoSuchOriginConfiguration"),
    "response-control": ("ResponseControlConfiguration", "NoSuchResponseControlConfiguration"),
    "domaincertificate": ("DomainCertificate", "NoSuchDomainCertificateConfiguration"),
    "intelligent-tiering": (
        "IntelligentTieringConfiguration",
        "NoSuchIntelligentTieringConfiguration",
    ),
    "tagging": ("Tagging", "NoSuchTagSet"),
    # versioning is stored as the bucket's state, not a document; listed for its root element
    "versioning": ("VersioningConfiguration", "NoSuchVersioningConfiguration"),
    "policy": ("", "NoSuchBucketPolicy"),
}

#: tags of a bucket, at most (an object has at most ``_limits.MAX_OBJECT_TAGS``)
MAX_BUCKET_TAGS = 50

_TAG_CHARS = re.compile(r"^[A-Za-z0-9 +\-=._:/@]*$")
#: the parameters a response-control configuration may name
RESPONSE_CONTROL_PARAMS = frozenset(
    {
        "response-content-type",
        "response-content-disposition",
        "response-cache-control",
        "response-content-encoding",
        "response-content-language",
        "response-expires",
    }
)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_PEM = "-----BEGIN "
_INVENTORY_ID = re.compile(r"^[A-Za-z0-9\-_.]{1,64}$")
_CORS_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}


def _malformed(message: str) -> DocumentError:
    return DocumentError("MalformedXML", message)


def _as_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{where} must be an element with children")
    return value


def _require(d: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in d or d[name] is None:
        raise _malformed(f"{where} lacks <{name}>")
    return d[name]


def _text(d: Mapping[str, Any], name: str, where: str) -> str:
    try:
        return text_of(_require(d, name, where))
    except XMLError as exc:
        raise _malformed(f"{where}/{name}: {exc}") from exc


def _enum(d: Mapping[str, Any], name: str, where: str, allowed: set[str]) -> str:
    value = _text(d, name, where)
    if value not in allowed:
        raise _malformed(f"{where}/{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def _list(d: Mapping[str, Any], name: str) -> list[Any]:
    value = d.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def validate_tags(tags: Mapping[str, str], *, limit: int) -> None:
    if len(tags) > limit:
        raise DocumentError("InvalidTag", f"at most {limit} tags are allowed, got {len(tags)}")
    for k, v in tags.items():
        if not k or len(k) > MAX_TAG_KEY:
            raise DocumentError("InvalidTag", f"tag key must be 1..{MAX_TAG_KEY} characters: {k!r}")
        if len(v) > MAX_TAG_VALUE:
            raise DocumentError(
                "InvalidTag", f"tag value must be at most {MAX_TAG_VALUE} characters: {v!r}"
            )
        if not _TAG_CHARS.match(k) or not _TAG_CHARS.match(v):
            raise DocumentError("InvalidTag", f"tag has characters COS does not allow: {k!r}={v!r}")


def parse_tagging(doc: Mapping[str, Any], *, limit: int) -> dict[str, str]:
    root = _as_dict(doc.get("Tagging"), "Tagging")
    tag_set = root.get("TagSet")
    tags: dict[str, str] = {}
    if tag_set:
        for tag in _list(_as_dict(tag_set, "TagSet"), "Tag"):
            tag = _as_dict(tag, "Tag")
            key = _text(tag, "Key", "Tag")
            if key in tags:
                raise DocumentError("InvalidTag", f"duplicate tag key {key!r}")
            tags[key] = text_of(tag.get("Value"))
    validate_tags(tags, limit=limit)
    return tags


def parse_tag_header(value: str, *, limit: int) -> dict[str, str]:
    """Parse ``x-cos-tagging: k1=v1&k2=v2`` (URL-encoded)."""
    from urllib.parse import unquote_plus

    tags: dict[str, str] = {}
    for item in value.split("&"):
        if not item:
            continue
        k, _, v = item.partition("=")
        key = unquote_plus(k)
        if key in tags:
            raise DocumentError("InvalidTag", f"duplicate tag key {key!r}")
        tags[key] = unquote_plus(v)
    validate_tags(tags, limit=limit)
    return tags


def validate_config(subresource: str, body: bytes, *, inventory_id: str | None = None) -> None:
    """Check a bucket configuration document; raises :class:`DocumentError`."""
    if subresource == "policy":
        _validate_policy(body)
        return
    root_name, _ = CONFIG_ROOTS[subresource]
    try:
        doc = parse(body)
    except XMLError as exc:
        raise _malformed(str(exc)) from exc
    if root_name not in doc:
        raise _malformed(f"expected root element <{root_name}>, got <{next(iter(doc))}>")
    root = doc[root_name] if doc[root_name] is not None else {}
    if not isinstance(root, dict):
        raise _malformed(f"<{root_name}> must have child elements")
    check = _CHECKS.get(subresource)
    if check is not None:
        check(root, inventory_id)


def _check_cors(root: dict[str, Any], _id: str | None) -> None:
    rules = _list(root, "CORSRule")
    if not rules:
        raise _malformed("CORSConfiguration needs at least one <CORSRule>")
    for rule in rules:
        rule = _as_dict(rule, "CORSRule")
        if not _list(rule, "AllowedOrigin"):
            raise _malformed("CORSRule lacks <AllowedOrigin>")
        methods = [text_of(m) for m in _list(rule, "AllowedMethod")]
        if not methods:
            raise _malformed("CORSRule lacks <AllowedMethod>")
        for m in methods:
            if m.upper() not in _CORS_METHODS:
                raise _malformed(f"CORSRule has an unsupported AllowedMethod {m!r}")
        if "MaxAgeSeconds" in rule and not is_number(text_of(rule["MaxAgeSeconds"])):
            raise _malformed(f"CORSRule MaxAgeSeconds is not a number: {rule['MaxAgeSeconds']!r}")


_LIFECYCLE_ACTIONS = (
    "Expiration",
    "Transition",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
    "AbortIncompleteMultipartUpload",
)


def _check_lifecycle(root: dict[str, Any], _id: str | None) -> None:
    rules = _list(root, "Rule")
    if not rules:
        raise _malformed("LifecycleConfiguration needs at least one <Rule>")
    ids: set[str] = set()
    for rule in rules:
        rule = _as_dict(rule, "Rule")
        _enum(rule, "Status", "Rule", {"Enabled", "Disabled"})
        rid = text_of(rule.get("ID"))
        if rid:
            if rid in ids:
                raise _malformed(f"duplicate lifecycle rule ID {rid!r}")
            ids.add(rid)
        if not any(a in rule for a in _LIFECYCLE_ACTIONS):
            raise _malformed(f"lifecycle rule {rid or '(no ID)'} has no action")
        for t in _list(rule, "Transition") + _list(rule, "NoncurrentVersionTransition"):
            t = _as_dict(t, "Transition")
            _require(t, "StorageClass", "Transition")


def _check_versioning(root: dict[str, Any], _id: str | None) -> None:
    _enum(root, "Status", "VersioningConfiguration", {"Enabled", "Suspended"})


def _check_website(root: dict[str, Any], _id: str | None) -> None:
    if "RedirectAllRequestsTo" in root:
        _text(_as_dict(root["RedirectAllRequestsTo"], "RedirectAllRequestsTo"), "Protocol", "")
        return
    index = _as_dict(_require(root, "IndexDocument", "WebsiteConfiguration"), "IndexDocument")
    if not _text(index, "Suffix", "IndexDocument"):
        raise _malformed("IndexDocument/Suffix must not be empty")


def _check_referer(root: dict[str, Any], _id: str | None) -> None:
    _enum(root, "Status", "RefererConfiguration", {"Enabled", "Disabled"})
    _enum(root, "RefererType", "RefererConfiguration", {"Black-List", "White-List"})
    domains = root.get("DomainList")
    if root["Status"] == "Enabled" and not domains:
        raise _malformed("an enabled RefererConfiguration needs a <DomainList>")


def _check_inventory(root: dict[str, Any], inventory_id: str | None) -> None:
    iid = _text(root, "Id", "InventoryConfiguration")
    if not _INVENTORY_ID.match(iid):
        raise DocumentError("InvalidArgument", f"inventory Id has invalid characters: {iid!r}")
    if inventory_id is not None and iid != inventory_id:
        raise DocumentError(
            "InvalidArgument",
            f"inventory Id {iid!r} differs from the id parameter {inventory_id!r}",
        )
    _enum(root, "IsEnabled", "InventoryConfiguration", {"true", "false"})
    _require(root, "Destination", "InventoryConfiguration")
    schedule = _as_dict(_require(root, "Schedule", "InventoryConfiguration"), "Schedule")
    _enum(schedule, "Frequency", "Schedule", {"Daily", "Weekly"})
    _enum(root, "IncludedObjectVersions", "InventoryConfiguration", {"All", "Current"})


def _check_domain(root: dict[str, Any], _id: str | None) -> None:
    rules = _list(root, "DomainRule")
    if not rules:
        raise _malformed("DomainConfiguration needs at least one <DomainRule>")
    for rule in rules:
        rule = _as_dict(rule, "DomainRule")
        _enum(rule, "Status", "DomainRule", {"ENABLED", "DISABLED"})
        _text(rule, "Name", "DomainRule")
        _enum(rule, "Type", "DomainRule", {"REST", "WEBSITE", "ACCELERATE"})


def _check_encryption(root: dict[str, Any], _id: str | None) -> None:
    rules = _list(root, "Rule")
    if not rules:
        raise _malformed("ServerSideEncryptionConfiguration needs a <Rule>")
    for rule in rules:
        rule = _as_dict(rule, "Rule")
        default = _as_dict(
            _require(rule, "ApplyServerSideEncryptionByDefault", "Rule"),
            "ApplyServerSideEncryptionByDefault",
        )
        _enum(
            default, "SSEAlgorithm", "ApplyServerSideEncryptionByDefault", {"AES256", "KMS", "SM4"}
        )


def _check_replication(root: dict[str, Any], _id: str | None) -> None:
    _text(root, "Role", "ReplicationConfiguration")
    rules = _list(root, "Rule")
    if not rules:
        raise _malformed("ReplicationConfiguration needs at least one <Rule>")
    for rule in rules:
        rule = _as_dict(rule, "Rule")
        _enum(rule, "Status", "Rule", {"Enabled", "Disabled"})
        dest = _as_dict(_require(rule, "Destination", "Rule"), "Destination")
        _text(dest, "Bucket", "Destination")


def _check_tiering(root: dict[str, Any], _id: str | None) -> None:
    _enum(root, "Status", "IntelligentTieringConfiguration", {"Enabled", "Suspended"})


def _check_object_lock(root: dict[str, Any], _id: str | None) -> None:
    _enum(root, "ObjectLockEnabled", "ObjectLockConfiguration", {"Enabled"})


def _positive(d: Mapping[str, Any], name: str, where: str) -> int:
    text = _text(d, name, where)
    if not text.isdigit() or int(text) < 1:
        raise _malformed(f"{where}/{name} must be a positive integer, got {text!r}")
    return int(text)


def _check_origin(root: dict[str, Any], _id: str | None) -> None:
    rules = _list(root, "OriginRule")
    if not rules:
        raise _malformed("OriginConfiguration needs at least one <OriginRule>")
    priorities: set[int] = set()
    for rule in rules:
        rule = _as_dict(rule, "OriginRule")
        priority = _positive(rule, "RulePriority", "OriginRule")
        if priority in priorities:
            raise DocumentError("InvalidArgument", f"duplicate origin RulePriority {priority}")
        priorities.add(priority)
        kind = _enum(rule, "OriginType", "OriginRule", {"Redirect", "Proxy", "Mirror"})
        condition = _as_dict(_require(rule, "OriginCondition", "OriginRule"), "OriginCondition")
        code = _text(condition, "HTTPStatusCode", "OriginCondition")
        if not re.fullmatch(r"[45][0-9][0-9]", code):
            raise DocumentError("InvalidArgument", f"HTTPStatusCode must be 4xx or 5xx: {code!r}")
        if kind in ("Proxy", "Mirror") and code != "404":
            raise DocumentError(
                "InvalidArgument", f"a {kind} origin rule applies to HTTPStatusCode 404, not {code}"
            )
        parameter = _as_dict(_require(rule, "OriginParameter", "OriginRule"), "OriginParameter")
        _enum(parameter, "Protocol", "OriginParameter", {"HTTP", "HTTPS", "FOLLOW"})
        header = parameter.get("HttpHeader")
        if header is not None:
            header = _as_dict(header, "HttpHeader")
            for group in ("NewHttpHeaders", "FollowHttpHeaders"):
                if header.get(group) is None:
                    continue
                items = _list(_as_dict(header[group], group), "Header")
                if len(items) > 10:
                    raise DocumentError(
                        "InvalidArgument", f"{group} holds at most 10 headers, got {len(items)}"
                    )
                for item in items:
                    _text(_as_dict(item, "Header"), "Key", "Header")
        info = _as_dict(_require(rule, "OriginInfo", "OriginRule"), "OriginInfo")
        host = _as_dict(_require(info, "HostInfo", "OriginInfo"), "HostInfo")
        if not _text(host, "HostName", "HostInfo"):
            raise _malformed("HostInfo/HostName must not be empty")


def _check_response_control(root: dict[str, Any], _id: str | None) -> None:
    params = _as_dict(
        _require(root, "ControlParamList", "ResponseControlConfiguration"), "ControlParamList"
    )
    names = [text_of(p) for p in _list(params, "Param")]
    if not names:
        raise _malformed("ControlParamList needs at least one <Param>")
    for name in names:
        if name not in RESPONSE_CONTROL_PARAMS:
            raise DocumentError(
                "InvalidArgument",
                f"Param must be one of {sorted(RESPONSE_CONTROL_PARAMS)}, got {name!r}",
            )


def certificate_domains(root: Mapping[str, Any]) -> list[str]:
    """The domains of a ``<DomainCertificate>`` document (its ``DomainList``)."""
    domains = _as_dict(_require(root, "DomainList", "DomainCertificate"), "DomainList")
    return [text_of(d) for d in _list(domains, "DomainName")]


def _check_domain_certificate(root: dict[str, Any], _id: str | None) -> None:
    info = _as_dict(_require(root, "CertificateInfo", "DomainCertificate"), "CertificateInfo")
    _enum(info, "CertType", "CertificateInfo", {"CustomCert"})
    cert = _as_dict(_require(info, "CustomCert", "CertificateInfo"), "CustomCert")
    # the values are never quoted in messages: one of them is a private key
    for name in ("Cert", "PrivateKey"):
        if _PEM not in _text(cert, name, "CustomCert"):
            raise DocumentError("InvalidArgument", f"CustomCert/{name} is not a PEM block")
    domains = certificate_domains(root)
    if not domains:
        raise _malformed("DomainList needs at least one <DomainName>")
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise DocumentError("InvalidArgument", f"DomainName is not a domain name: {domain!r}")


_ACCESS_TIERS = {"INFREQUENT", "ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"}


def _check_tiering_rule(root: dict[str, Any], rule_id: str | None) -> None:
    # the official SDK's put_bucket_intelligenttiering_v2 sends the id as a parameter only
    rid = _text(root, "Id", "IntelligentTieringConfiguration") if "Id" in root else rule_id or ""
    if not _INVENTORY_ID.match(rid):
        raise DocumentError("InvalidArgument", f"intelligent-tiering Id is invalid: {rid!r}")
    if rule_id is not None and rid != rule_id:
        raise DocumentError(
            "InvalidArgument", f"intelligent-tiering Id {rid!r} differs from the id {rule_id!r}"
        )
    _enum(root, "Status", "IntelligentTieringConfiguration", {"Enabled", "Disabled"})
    tierings = _list(root, "Tiering")
    if not tierings:
        raise _malformed("IntelligentTieringConfiguration needs at least one <Tiering>")
    tiers: set[str] = set()
    for tiering in tierings:
        tiering = _as_dict(tiering, "Tiering")
        tier = _enum(tiering, "AccessTier", "Tiering", _ACCESS_TIERS)
        if tier in tiers:
            raise DocumentError("InvalidArgument", f"duplicate AccessTier {tier}")
        tiers.add(tier)
        _positive(tiering, "Days", "Tiering")
    if (rid == "default") != ("INFREQUENT" in tiers):
        raise DocumentError(
            "InvalidArgument",
            "the rule 'default' (and only it) configures the INFREQUENT tier; other rules use "
            f"ARCHIVE_ACCESS and DEEP_ARCHIVE_ACCESS (rule {rid!r}: {sorted(tiers)})",
        )


def validate_one_off_inventory(body: bytes, inventory_id: str | None) -> None:
    """Check the ``<InventoryConfiguration>`` of a one-off inventory (``POST ?inventory``):
    no schedule, else as a scheduled one."""
    try:
        doc = parse(body)
    except XMLError as exc:
        raise _malformed(str(exc)) from exc
    root = doc.get("InventoryConfiguration")
    if not isinstance(root, dict):
        raise _malformed("expected an <InventoryConfiguration> document with child elements")
    iid = _text(root, "Id", "InventoryConfiguration")
    if not _INVENTORY_ID.match(iid):
        raise DocumentError("InvalidArgument", f"inventory Id has invalid characters: {iid!r}")
    if inventory_id is not None and iid != inventory_id:
        raise DocumentError(
            "InvalidArgument",
            f"inventory Id {iid!r} differs from the id parameter {inventory_id!r}",
        )
    destination = _as_dict(_require(root, "Destination", "InventoryConfiguration"), "Destination")
    cos = _as_dict(
        _require(destination, "COSBucketDestination", "Destination"), "COSBucketDestination"
    )
    _text(cos, "Bucket", "COSBucketDestination")
    if "Schedule" in root:
        raise DocumentError("InvalidArgument", "a one-off inventory has no <Schedule>")
    if "IncludedObjectVersions" in root:
        _enum(root, "IncludedObjectVersions", "InventoryConfiguration", {"All", "Current"})


def _check_tagging(root: dict[str, Any], _id: str | None) -> None:
    parse_tagging({"Tagging": root}, limit=MAX_BUCKET_TAGS)


def _check_logging(root: dict[str, Any], _id: str | None) -> None:
    enabled = root.get("LoggingEnabled")
    if enabled is not None:
        enabled = _as_dict(enabled, "LoggingEnabled")
        _text(enabled, "TargetBucket", "LoggingEnabled")


_CHECKS = {
    "cors": _check_cors,
    "lifecycle": _check_lifecycle,
    "versioning": _check_versioning,
    "website": _check_website,
    "referer": _check_referer,
    "inventory": _check_inventory,
    "domain": _check_domain,
    "encryption": _check_encryption,
    "replication": _check_replication,
    "intelligenttiering": _check_tiering,
    "object-lock": _check_object_lock,
    "tagging": _check_tagging,
    "logging": _check_logging,
    "origin": _check_origin,
    "response-control": _check_response_control,
    "domaincertificate": _check_domain_certificate,
    "intelligent-tiering": _check_tiering_rule,
}


def _validate_policy(body: bytes) -> None:
    try:
        doc = load_json(body)
    except JSONLimitError as exc:
        raise DocumentError("MalformedPolicy", f"bucket policy: {exc}") from exc
    if not isinstance(doc, dict):
        raise DocumentError("MalformedPolicy", "bucket policy must be a JSON object")
    statements = doc.get("Statement", doc.get("statement"))
    if not isinstance(statements, list) or not statements:
        raise DocumentError("MalformedPolicy", "bucket policy needs a non-empty Statement list")
    for st in statements:
        if not isinstance(st, dict):
            raise DocumentError("MalformedPolicy", "each Statement must be an object")
        effect = st.get("Effect", st.get("effect"))
        if effect not in ("Allow", "Deny", "allow", "deny"):
            raise DocumentError(
                "MalformedPolicy", f"Statement Effect must be Allow or Deny: {effect!r}"
            )


# --- CORS preflight ---------------------------------------------------------------------------


def match_cors(
    cors_doc: bytes, origin: str, method: str, request_headers: list[str]
) -> dict[str, str] | None:
    """The ``Access-Control-*`` headers for a preflight, or ``None`` when no rule allows it."""
    doc = parse(cors_doc)
    root = doc.get("CORSConfiguration") or {}
    for rule in _list(root, "CORSRule"):
        origins = [text_of(o) for o in _list(rule, "AllowedOrigin")]
        methods = [text_of(m).upper() for m in _list(rule, "AllowedMethod")]
        allowed_headers = [text_of(h).lower() for h in _list(rule, "AllowedHeader")]
        if not any(fnmatch.fnmatchcase(origin, o) for o in origins):
            continue
        if method.upper() not in methods:
            continue
        if not all(
            any(fnmatch.fnmatchcase(h.lower(), a) for a in allowed_headers) for h in request_headers
        ):
            continue
        headers = {
            "Access-Control-Allow-Origin": origin if "*" not in origins else "*",
            "Access-Control-Allow-Methods": ",".join(methods),
        }
        if request_headers:
            headers["Access-Control-Allow-Headers"] = ",".join(request_headers)
        expose = [text_of(h) for h in _list(rule, "ExposeHeader")]
        if expose:
            headers["Access-Control-Expose-Headers"] = ",".join(expose)
        if "MaxAgeSeconds" in rule:
            headers["Access-Control-Max-Age"] = text_of(rule["MaxAgeSeconds"])
        return headers
    return None


# --- POST object policy -----------------------------------------------------------------------


def check_post_policy(
    policy: Mapping[str, Any], fields: Mapping[str, str], *, bucket: str, size: int, now: float
) -> None:
    """Check a decoded POST policy against the form fields (lower-case names) and file size."""
    import datetime as _dt

    expiration = policy.get("expiration")
    if not isinstance(expiration, str):
        raise DocumentError("InvalidPolicyDocument", "policy lacks an expiration")
    try:
        exp = _dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DocumentError(
            "InvalidPolicyDocument", f"policy expiration is not ISO 8601: {expiration!r}"
        ) from exc
    if exp.tzinfo is None:
        exp = exp.replace(tzinfo=_dt.timezone.utc)
    if exp.timestamp() < now:
        raise DocumentError("AccessDenied", "Invalid according to Policy: Policy expired.", 403)
    conditions = policy.get("conditions")
    if not isinstance(conditions, list):
        raise DocumentError("InvalidPolicyDocument", "policy conditions must be a list")
    values = dict(fields)
    values["bucket"] = bucket
    # COS policies name the form's q-key-time field "q-sign-time" in their conditions.
    if "q-key-time" in values:
        values.setdefault("q-sign-time", values["q-key-time"])
    for cond in conditions:
        _check_condition(cond, values, size)


def _field_name(name: Any) -> str:
    if not isinstance(name, str):
        raise DocumentError("InvalidPolicyDocument", f"bad condition field {name!r}")
    return name[1:].lower() if name.startswith("$") else name.lower()


def _check_condition(cond: Any, values: Mapping[str, str], size: int) -> None:
    def fail(msg: str) -> DocumentError:
        return DocumentError("AccessDenied", f"Invalid according to Policy: {msg}", 403)

    if isinstance(cond, dict):
        for name, expected in cond.items():
            field = _field_name(name)
            if values.get(field) != str(expected):
                raise fail(f'Policy Condition failed: ["eq", "${field}", {expected!r}]')
        return
    if not isinstance(cond, list) or len(cond) != 3:
        raise DocumentError("InvalidPolicyDocument", f"unsupported policy condition {cond!r}")
    op = str(cond[0]).lower()
    if op == "content-length-range":
        try:
            lo, hi = int(cond[1]), int(cond[2])
        except (TypeError, ValueError, OverflowError) as exc:
            raise DocumentError(
                "InvalidPolicyDocument", f"bad content-length-range {cond!r}"
            ) from exc
        if not lo <= size <= hi:
            raise DocumentError(
                "EntityTooLarge" if size > hi else "EntityTooSmall",
                f"Your proposed upload size {size} is outside the policy range [{lo}, {hi}]",
            )
        return
    field = _field_name(cond[1])
    value = values.get(field, "")
    if op == "eq":
        if value != str(cond[2]):
            raise fail(f"Policy Condition failed: {cond!r}")
    elif op == "starts-with":
        if not value.startswith(str(cond[2])):
            raise fail(f"Policy Condition failed: {cond!r}")
    else:
        raise DocumentError("InvalidPolicyDocument", f"unsupported policy operator {cond[0]!r}")
