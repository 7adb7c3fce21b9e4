"""The newer bucket-configuration families, on the mechanism of :mod:`cos_async._bucket_config`
(models whose fields declare their XML elements; one generic mapping to and from XML): origin-pull
(back-to-source), response control, domain certificates, intelligent-tiering rules by id, one-off
inventories; and :class:`BucketMeta`, a bucket's configurations gathered at once.

Every model checks its fields when constructed (``InvalidArgument`` names the class, the field and
the bad value; a certificate's private key is never shown). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal

import attrs

from ._bucket_config import (
    _DOMAIN_NAME,
    BucketLoggingStatus,
    ConfigModel,
    CorsConfiguration,
    EncryptionConfiguration,
    InventoryDestination,
    LifecycleConfiguration,
    LifecycleFilter,
    ObjectLockConfiguration,
    ReplicationConfiguration,
    Tagging,
    VersioningConfiguration,
    WebsiteConfiguration,
    _all_of,
    _fields,
    _int_range,
    _inventory_fields,
    _max_items,
    _non_empty,
    _pattern,
    _tuple,
    _unique,
    _where,
    _x,
)
from ._errors import InvalidArgument
from ._models import AccessControlPolicy, _AnswerFields, freeze_headers

__all__ = [
    "BucketMeta",
    "DomainCertificate",
    "DomainCertificateStatus",
    "IntelligentTieringFilter",
    "IntelligentTieringRule",
    "IntelligentTieringRules",
    "IntelligentTieringTier",
    "OneOffInventoryConfiguration",
    "OriginCondition",
    "OriginConfiguration",
    "OriginFileInfo",
    "OriginHeader",
    "OriginInfo",
    "OriginParameter",
    "OriginRule",
    "ResponseControlConfiguration",
]

_HEADER_NAME = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_HOST_PORT = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?"


# --- validators of these families ------------------------------------------------------------


def _unique_values(what: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, tuple) and len(set(value)) != len(value):
            dup = next(v for v in value if value.count(v) > 1)
            raise InvalidArgument(f"{_where(inst, attribute)} has a duplicate {what} {dup!r}")

    return check


def _each(regex: str, what: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """Every string of a repeated field matches ``regex``."""
    compiled = re.compile(regex)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            return
        for i, item in enumerate(value):
            if isinstance(item, str) and not compiled.fullmatch(item):
                raise InvalidArgument(
                    f"{_where(inst, attribute)}[{i}] must be {what}, got {item!r}"
                )

    return check


# --- origin (back-to-source) ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OriginHeader(ConfigModel):
    """A header an origin-pull request adds (``value``) or passes on from the request."""

    key: str = attrs.field(metadata=_x("Key"), validator=_pattern(_HEADER_NAME, "a header name"))
    value: str = attrs.field(metadata=_x("Value"), default="")


@attrs.frozen(kw_only=True)
class OriginCondition(ConfigModel):
    """When an origin-pull rule applies: COS answered ``http_status_code`` (``"404"`` for a
    ``Proxy`` or ``Mirror`` rule, any 4xx or 5xx for a ``Redirect``) for a key with ``prefix``
    and/or ``suffix``."""

    http_status_code: str = attrs.field(
        metadata=_x("HTTPStatusCode"),
        default="404",
        validator=_pattern(r"[45][0-9][0-9]", "an HTTP status 4xx or 5xx such as '404'"),
    )
    prefix: str | None = attrs.field(metadata=_x("Prefix"), default=None)
    suffix: str | None = attrs.field(metadata=_x("Suffix"), default=None)


@attrs.frozen(kw_only=True)
class OriginParameter(ConfigModel):
    """How COS asks the origin: the ``protocol`` (``FOLLOW``: the request's), whether the
    origin's error codes and the query string pass through, which headers are added
    (``new_http_headers``, at most 10) or passed on (``follow_http_headers``, at most 10, or
    ``follow_all_headers``), and how redirects of the origin are followed."""

    protocol: Literal["HTTP", "HTTPS", "FOLLOW"] = attrs.field(
        metadata=_x("Protocol"), default="FOLLOW"
    )
    transparent_error_code: bool | None = attrs.field(
        metadata=_x("TransparentErrorCode"), default=None
    )
    follow_query_string: bool | None = attrs.field(metadata=_x("FollowQueryString"), default=None)
    follow_all_headers: bool | None = attrs.field(
        metadata=_x("FollowAllHeaders", wrap="HttpHeader"), default=None
    )
    new_http_headers: tuple[OriginHeader, ...] = attrs.field(
        metadata=_x("Header", wrap="HttpHeader/NewHttpHeaders"),
        default=(),
        converter=_tuple,
        validator=_max_items(10),
    )
    follow_http_headers: tuple[OriginHeader, ...] = attrs.field(
        metadata=_x("Header", wrap="HttpHeader/FollowHttpHeaders"),
        default=(),
        converter=_tuple,
        validator=_max_items(10),
    )
    follow_redirection: bool | None = attrs.field(metadata=_x("FollowRedirection"), default=None)
    http_redirect_code: Literal["301", "302", "307"] | None = attrs.field(
        metadata=_x("HttpRedirectCode"), default=None
    )
    copy_origin_data: bool | None = attrs.field(metadata=_x("CopyOriginData"), default=None)


@attrs.frozen(kw_only=True)
class OriginFileInfo(ConfigModel):
    """Which origin path a key is pulled from: its prefix and/or suffix replaced, or one fixed
    file for every key."""

    prefix: str | None = attrs.field(
        metadata=_x("Prefix", wrap="PrefixConfiguration"), default=None
    )
    replaced_with_prefix: str | None = attrs.field(
        metadata=_x("ReplacedWithPrefix", wrap="PrefixConfiguration"), default=None
    )
    suffix: str | None = attrs.field(
        metadata=_x("Suffix", wrap="SuffixConfiguration"), default=None
    )
    replaced_with_suffix: str | None = attrs.field(
        metadata=_x("ReplacedWithSuffix", wrap="SuffixConfiguration"), default=None
    )
    fixed_file_path: str | None = attrs.field(
        metadata=_x("FixedFilePath", wrap="FixedFileConfiguration"), default=None
    )

    def _check(self) -> None:
        if all(getattr(self, f.name) is None for f, _ in _fields(type(self))):
            raise InvalidArgument("OriginFileInfo needs at least one field set")
        if self.fixed_file_path is not None and any(
            v is not None
            for v in (
                self.prefix,
                self.replaced_with_prefix,
                self.suffix,
                self.replaced_with_suffix,
            )
        ):
            raise InvalidArgument(
                "OriginFileInfo.fixed_file_path excludes the prefix and suffix replacements"
            )


@attrs.frozen(kw_only=True)
class OriginInfo(ConfigModel):
    """The origin: its ``host_name`` (``origin.example.com``, optionally ``:port``), and how
    keys map to its paths (``file_info``)."""

    host_name: str = attrs.field(
        metadata=_x("HostName", wrap="HostInfo"),
        validator=_pattern(_HOST_PORT, "a host name, optionally with :port"),
    )
    file_info: OriginFileInfo | None = attrs.field(metadata=_x("FileInfo"), default=None)


@attrs.frozen(kw_only=True)
class OriginRule(ConfigModel):
    """One origin-pull rule: its ``priority`` (1 first), what COS does (``Mirror``: fetch from
    the origin and keep a copy; ``Proxy``: fetch without keeping it; ``Redirect``: redirect the
    client), when (``condition``), how (``parameter``) and where to (``info``)."""

    priority: int = attrs.field(metadata=_x("RulePriority"), validator=_int_range(1))
    origin_type: Literal["Redirect", "Proxy", "Mirror"] = attrs.field(metadata=_x("OriginType"))
    condition: OriginCondition = attrs.field(
        metadata=_x("OriginCondition"), default=OriginCondition()
    )
    parameter: OriginParameter = attrs.field(
        metadata=_x("OriginParameter"), default=OriginParameter()
    )
    info: OriginInfo = attrs.field(metadata=_x("OriginInfo"))

    def _check(self) -> None:
        code = self.condition.http_status_code
        if self.origin_type in ("Proxy", "Mirror") and code != "404":
            raise InvalidArgument(
                f"OriginRule.condition.http_status_code must be '404' for a "
                f"{self.origin_type} rule, got {code!r}"
            )


@attrs.frozen(kw_only=True)
class OriginConfiguration(ConfigModel):
    """Origin-pull (back-to-source): where COS fetches what a bucket lacks, rule by rule
    (unique priorities)."""

    xml_root: ClassVar[str] = "OriginConfiguration"

    rules: tuple[OriginRule, ...] = attrs.field(
        metadata=_x("OriginRule"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _unique("priority", "rule priority")),
    )


# --- response control -------------------------------------------------------------------------

_RESPONSE_PARAMS = (
    "response-content-type",
    "response-content-disposition",
    "response-cache-control",
    "response-content-encoding",
    "response-content-language",
    "response-expires",
)


def _response_params(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, tuple):
        for p in value:
            if isinstance(p, str) and p not in _RESPONSE_PARAMS:
                raise InvalidArgument(
                    f"{_where(inst, attribute)} must hold parameters among "
                    f"{', '.join(_RESPONSE_PARAMS)}, got {p!r}"
                )


@attrs.frozen(kw_only=True)
class ResponseControlConfiguration(ConfigModel):
    """Which ``response-*`` query parameters of a GET may change the headers of the answer
    (``response-content-type``, ``response-content-disposition``, ``response-cache-control``,
    ``response-content-encoding``, ``response-content-language``, ``response-expires``)."""

    xml_root: ClassVar[str] = "ResponseControlConfiguration"

    params: tuple[str, ...] = attrs.field(
        metadata=_x("Param", wrap="ControlParamList"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _response_params, _unique_values("parameter")),
    )


# --- domain certificates ----------------------------------------------------------------------


def _pem(label: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """A PEM block of ``label`` (``CERTIFICATE``, ``PRIVATE KEY``: ends with it); the value is
    never shown (a private key)."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, str) and not re.search(
            rf"-----BEGIN [A-Z ]*{label}-----.+-----END [A-Z ]*{label}-----", value, re.DOTALL
        ):
            raise InvalidArgument(
                f"{_where(inst, attribute)} must be a PEM block "
                f"('-----BEGIN ...{label}-----' ... '-----END ...{label}-----'); "
                f"the value ({len(value)} characters) is not shown"
            )

    return check


@attrs.frozen(kw_only=True)
class DomainCertificate(ConfigModel):
    """An HTTPS certificate for custom domains of a bucket: the PEM ``certificate`` (chain) and
    its PEM ``private_key``, for the ``domains`` (already bound with ``put_bucket_domain``).
    The private key never appears in a ``repr`` or a message."""

    xml_root: ClassVar[str] = "DomainCertificate"

    cert_type: Literal["CustomCert"] = attrs.field(
        metadata=_x("CertType", wrap="CertificateInfo"), default="CustomCert"
    )
    certificate: str = attrs.field(
        metadata=_x("Cert", wrap="CertificateInfo/CustomCert"), validator=_pem("CERTIFICATE")
    )
    private_key: str = attrs.field(
        metadata=_x("PrivateKey", wrap="CertificateInfo/CustomCert", secret=True),
        validator=_pem("PRIVATE KEY"),
        repr=False,
    )
    domains: tuple[str, ...] = attrs.field(
        metadata=_x("DomainName", wrap="DomainList"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _each(_DOMAIN_NAME, "a domain name like cdn.example.com")),
    )


@attrs.frozen(kw_only=True)
class DomainCertificateStatus(ConfigModel):
    """What COS says of the certificate of one custom domain (``get_bucket_domain_certificate``):
    its ``status``. The certificate and its key are never sent back."""

    xml_root: ClassVar[str] = "DomainCertificate"

    status: str | None = attrs.field(metadata=_x("Status"), default=None)


# --- intelligent tiering rules (by id) --------------------------------------------------------


@attrs.frozen(kw_only=True)
class IntelligentTieringTier(ConfigModel):
    """One tier of an intelligent-tiering rule: objects not accessed for ``days`` (and, for the
    ``INFREQUENT`` tier, accessed fewer than ``request_frequent`` times) move to
    ``access_tier``."""

    access_tier: Literal["INFREQUENT", "ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"] = attrs.field(
        metadata=_x("AccessTier")
    )
    days: int = attrs.field(metadata=_x("Days"), validator=_int_range(1))
    request_frequent: int | None = attrs.field(
        metadata=_x("RequestFrequent"), default=None, validator=_int_range(1)
    )


@attrs.frozen(kw_only=True)
class IntelligentTieringFilter(LifecycleFilter):
    """Which objects an intelligent-tiering rule applies to: a key prefix and/or tags (laid out
    as a lifecycle filter: several conditions in ``<And>``)."""


@attrs.frozen(kw_only=True)
class IntelligentTieringRule(ConfigModel):
    """An intelligent-tiering rule with an ``id`` (``PUT ?intelligent-tiering&id=``): the rule
    ``default`` turns INTELLIGENT_TIERING on for the bucket with its ``INFREQUENT`` tier (COS
    keeps it once set); rules of other ids move objects on to the ``ARCHIVE_ACCESS`` and
    ``DEEP_ARCHIVE_ACCESS`` tiers, for the objects their ``filter`` selects."""

    xml_root: ClassVar[str] = "IntelligentTieringConfiguration"

    id: str = attrs.field(
        metadata=_x("Id"),
        validator=_pattern(r"[A-Za-z0-9\-_.]{1,64}", "1..64 of a-z A-Z 0-9 - _ ."),
    )
    status: Literal["Enabled", "Disabled"] = attrs.field(metadata=_x("Status"), default="Enabled")
    filter: IntelligentTieringFilter | None = attrs.field(metadata=_x("Filter"), default=None)
    tierings: tuple[IntelligentTieringTier, ...] = attrs.field(
        metadata=_x("Tiering"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _unique("access_tier", "access tier")),
    )

    def _check(self) -> None:
        tiers = {t.access_tier for t in self.tierings}
        if self.id == "default" and "INFREQUENT" not in tiers:
            raise InvalidArgument(
                "IntelligentTieringRule 'default' configures the INFREQUENT tier: its tierings "
                f"need one with access_tier='INFREQUENT', got {sorted(tiers)}"
            )
        if self.id != "default" and "INFREQUENT" in tiers:
            raise InvalidArgument(
                f"IntelligentTieringRule {self.id!r}: only the rule 'default' configures the "
                "INFREQUENT tier; other rules use ARCHIVE_ACCESS and DEEP_ARCHIVE_ACCESS"
            )


class IntelligentTieringRules(tuple, _AnswerFields):  # type: ignore[type-arg]
    """Every intelligent-tiering rule of a bucket (``list_bucket_intelligent_tiering_
    configurations``): a ``tuple`` of :class:`IntelligentTieringRule`, with ``request_id`` and
    ``headers``."""

    def __new__(
        cls,
        rules: Iterable[IntelligentTieringRule],
        *,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> IntelligentTieringRules:
        self = super().__new__(cls, rules)
        self.request_id = request_id
        self.headers = freeze_headers(headers)
        return self


# --- one-off inventory ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OneOffInventoryConfiguration(ConfigModel):
    """A one-off inventory report (``post_bucket_inventory``): produced once, now, with no
    schedule; its ``id``, destination, a key-prefix filter, which versions and optional fields
    as for a scheduled :class:`InventoryConfiguration`."""

    xml_root: ClassVar[str] = "InventoryConfiguration"

    id: str = attrs.field(
        metadata=_x("Id"),
        validator=_pattern(r"[A-Za-z0-9\-_.]{1,64}", "1..64 of a-z A-Z 0-9 - _ ."),
    )
    destination: InventoryDestination = attrs.field(
        metadata=_x("COSBucketDestination", wrap="Destination")
    )
    prefix: str | None = attrs.field(metadata=_x("Prefix", wrap="Filter"), default=None)
    included_object_versions: Literal["All", "Current"] = attrs.field(
        metadata=_x("IncludedObjectVersions"), default="Current"
    )
    optional_fields: tuple[str, ...] = attrs.field(
        metadata=_x("Field", wrap="OptionalFields"),
        default=(),
        converter=_tuple,
        validator=_inventory_fields,
    )


# --- everything at once -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BucketMeta:
    """A bucket and its configurations, gathered at once (``get_bucket_meta``): where it is
    (``url``, ``region``), its architecture (``ofs``: a metadata-accelerated, hierarchical
    bucket; ``maz``: multi-AZ), and each configuration, ``None`` when the bucket has none.
    ``request_ids`` are those of the answers it was gathered from."""

    bucket: str
    url: str
    region: str | None
    ofs: bool
    maz: bool
    acl: AccessControlPolicy | None
    cors: CorsConfiguration | None
    encryption: EncryptionConfiguration | None
    website: WebsiteConfiguration | None
    logging: BucketLoggingStatus | None
    versioning: VersioningConfiguration | None
    intelligent_tiering: IntelligentTieringRules | None
    lifecycle: LifecycleConfiguration | None
    tagging: Tagging | None
    object_lock: ObjectLockConfiguration | None
    replication: ReplicationConfiguration | None
    request_ids: tuple[str, ...] = ()
