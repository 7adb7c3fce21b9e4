"""Bucket configurations as typed models, and the one mechanism that maps them to COS's XML.

Each configuration family is a frozen attrs class whose fields declare their XML element in
their metadata (``_x``: the name, and optionally the path of wrapper elements it sits in). One generic
pair of functions, :func:`to_xml` and :func:`from_xml`, walks those declarations: model -> XML ->
model round-trips exactly, and no family has serialisation code of its own.

Field types the mechanism understands: ``str``, ``int``, ``bool`` (``true``/``false``), a
``Literal`` of strings, a nested model, ``X | None`` (omitted when ``None``), and ``tuple[X, ...]``
(a repeated element; lists are accepted and converted). A ``flag`` field is a ``bool`` written as
an empty element when true. Every model checks its field types and the documented COS constraints
when constructed, raising :class:`~cos_async.InvalidArgument` that names the class, the field and
the bad value, so a bad configuration is refused before any request is sent.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeVar, Union

import attrs

from ._errors import InvalidArgument
from ._models import freeze_headers
from ._xml import XMLError, text_of

__all__ = [
    "AbortIncompleteMultipartUpload",
    "BucketLoggingStatus",
    "ConfigModel",
    "CorsConfiguration",
    "CorsRule",
    "DomainConfiguration",
    "DomainRule",
    "EncryptionConfiguration",
    "IndexDocument",
    "IntelligentTieringConfiguration",
    "InventoryConfiguration",
    "InventoryDestination",
    "LifecycleConfiguration",
    "LifecycleExpiration",
    "LifecycleFilter",
    "LifecycleRule",
    "LifecycleTransition",
    "LoggingEnabled",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
    "ObjectLockConfiguration",
    "RedirectAllRequestsTo",
    "RefererConfiguration",
    "ReplicationConfiguration",
    "ReplicationDestination",
    "ReplicationRule",
    "RoutingCondition",
    "RoutingRedirect",
    "RoutingRule",
    "Tag",
    "Tagging",
    "VersioningConfiguration",
    "WebsiteConfiguration",
    "from_xml",
    "strict",
    "to_xml",
]

M = TypeVar("M", bound="ConfigModel")


# --- the mechanism ----------------------------------------------------------------------------


def _x(
    name: str, *, wrap: str | None = None, flag: bool = False, secret: bool = False
) -> dict[str, Any]:
    """The metadata of a model field stored in the XML element ``name`` (inside ``wrap``, a
    ``/`` path of wrapper elements, when given); ``flag``: a bool written as an empty element
    when true; ``secret``: a value (a private key) that no message ever shows (give the field
    ``repr=False`` too). Fields are plain ``attrs.field(metadata=_x(...), ...)`` so that type
    checkers see their defaults and converters."""
    return {
        "xml": name,
        "wrap": tuple(wrap.split("/")) if wrap else (),
        "flag": flag,
        "secret": secret,
    }


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """Converter of repeated fields: any iterable (not a bare string) becomes a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]  # the type check names the bad value
    return tuple(value)


def _no_headers() -> Mapping[str, str]:
    return freeze_headers(None)


@attrs.frozen(kw_only=True)
class ConfigModel:
    """Base of the bucket-configuration models: the XML root element and the type checks.

    A configuration that a ``get_bucket_*`` call returned also carries the answer's
    ``request_id`` and ``headers`` (not part of the document, not compared); it is read
    leniently, keeping values newer than this SDK knows, and checked strictly only when it is
    put again."""

    #: the XML root element of a whole configuration document ("" for nested models)
    xml_root: ClassVar[str] = ""
    #: the module that defined the class (set for each subclass)
    _defined_in: ClassVar[str] = __name__

    request_id: str | None = attrs.field(default=None, eq=False, repr=False)
    headers: Mapping[str, str] = attrs.field(factory=_no_headers, eq=False, repr=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the module that defines the class (before cos_async presents it as cos_async.X):
        # its names resolve the class's annotations (see _fields)
        cls._defined_in = cls.__module__

    def __attrs_post_init__(self) -> None:
        for field, kind in _fields(type(self)):
            value = getattr(self, field.name)
            _check_type(self, field.name, kind, value, secret=field.metadata["secret"])
        self._check()

    def _check(self) -> None:
        """Constraints that involve several fields (overridden by the models that have them)."""

    def _check_put(self) -> None:
        """What COS refuses to be *put*, although a bucket may report it (overridden)."""

    @classmethod
    def _xml_out(cls, doc: dict[str, Any]) -> dict[str, Any]:
        """The element's children as written (overridden where COS nests them differently)."""
        return doc

    @classmethod
    def _xml_in(cls, doc: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        """The inverse of :meth:`_xml_out`, applied to a parsed element before it is read."""
        return doc


class _Kind:
    """A field type, resolved once per class."""

    __slots__ = ("args", "item", "optional", "tag")

    def __init__(
        self,
        tag: str,
        *,
        optional: bool = False,
        item: _Kind | None = None,
        args: Any = None,
    ) -> None:
        self.tag = tag  # str | int | bool | literal | model | tuple
        self.optional = optional
        self.item = item
        self.args = args  # literal values, or the model class


def _kind_of(tp: Any) -> _Kind:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {tp!r}")
        kind = _kind_of(args[0])
        kind.optional = True
        return kind
    if origin is tuple:
        item, ellipsis = typing.get_args(tp)
        if ellipsis is not Ellipsis:
            raise TypeError(f"only tuple[X, ...] is supported, got {tp!r}")
        return _Kind("tuple", item=_kind_of(item))
    if origin is Literal:
        return _Kind("literal", args=typing.get_args(tp))
    if tp in (str, int, bool):
        return _Kind(tp.__name__)
    if isinstance(tp, type) and issubclass(tp, ConfigModel):
        return _Kind("model", args=tp)
    raise TypeError(f"unsupported field type {tp!r}")


_FIELDS: dict[type, tuple[tuple[attrs.Attribute[Any], _Kind], ...]] = {}


def _fields(cls: type[ConfigModel]) -> tuple[tuple[attrs.Attribute[Any], _Kind], ...]:
    """Each field of a model with its resolved type (computed once per class)."""
    found = _FIELDS.get(cls)
    if found is None:
        # resolved in this module and the class's own (the public classes present themselves
        # as cos_async.X, whose namespace is not the one their annotations were written in)
        namespace = dict(globals())
        defined_in = sys.modules.get(cls._defined_in)
        if defined_in is not None:
            namespace.update(vars(defined_in))
        hints = typing.get_type_hints(cls, globalns=namespace)
        found = _FIELDS[cls] = tuple(
            (f, _kind_of(hints[f.name])) for f in attrs.fields(cls) if "xml" in f.metadata
        )
    return found


_SCALARS = {"str": "a string", "int": "an integer", "bool": "True or False"}


def _describe(kind: _Kind) -> str:
    if kind.tag == "literal":
        return "one of " + ", ".join(repr(a) for a in kind.args)
    if kind.tag == "model":
        return f"a {kind.args.__name__}"
    if kind.tag == "tuple":
        assert kind.item is not None
        return f"a sequence (tuple or list) of items each {_describe(kind.item)}"
    return _SCALARS[kind.tag]


def _check_type(
    obj: ConfigModel, name: str, kind: _Kind, value: Any, *, secret: bool = False
) -> None:
    where = f"{type(obj).__name__}.{name}"
    if value is None:
        if not kind.optional:
            raise InvalidArgument(f"{where} is required")
        return
    shown = f"a {type(value).__name__} (not shown)" if secret else repr(value)
    if kind.tag == "tuple":
        assert kind.item is not None
        if not isinstance(value, tuple):
            raise InvalidArgument(f"{where} must be {_describe(kind)}, got {shown}")
        for i, item in enumerate(value):
            _check_type(obj, f"{name}[{i}]", kind.item, item, secret=secret)
        return
    ok: bool
    if kind.tag == "literal":
        ok = isinstance(value, str) and value in kind.args
    elif kind.tag == "model":
        ok = isinstance(value, kind.args)
    elif kind.tag == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind.tag == "bool":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise InvalidArgument(f"{where} must be {_describe(kind)}, got {shown}")
    if kind.tag == "str" and _NOT_XML.search(value):
        raise InvalidArgument(f"{where} holds a character XML cannot carry, got {shown}")


#: characters an XML 1.0 document cannot hold (C0 controls but tab/LF/CR, surrogates, U+FFFE/F)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _scalar_to_text(kind: _Kind, value: Any) -> str:
    if kind.tag == "bool":
        return "true" if value else "false"
    return str(value)


def _model_to_doc(obj: ConfigModel) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for field, kind in _fields(type(obj)):
        value = getattr(obj, field.name)
        meta = field.metadata
        if value is None or (kind.tag == "tuple" and not value):
            continue
        if meta["flag"]:
            if not value:
                continue
            rendered: Any = None  # an empty element
        elif kind.tag == "tuple":
            assert kind.item is not None
            rendered = [_value_to_doc(kind.item, v) for v in value]
        else:
            rendered = _value_to_doc(kind, value)
        target = doc
        for wrapper in meta["wrap"]:
            target = target.setdefault(wrapper, {})
        target[meta["xml"]] = rendered
    return type(obj)._xml_out(doc)


def _value_to_doc(kind: _Kind, value: Any) -> Any:
    if kind.tag == "model":
        return _model_to_doc(value)
    return _scalar_to_text(kind, value)


def to_xml(model: ConfigModel) -> dict[str, Any]:
    """The document (``{root: {...}}``, ready for :func:`cos_async._xml.build`) of a model."""
    if not type(model).xml_root:
        raise TypeError(f"{type(model).__name__} is not a whole configuration document")
    return {type(model).xml_root: _model_to_doc(model)}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any, where: str) -> str:
    if isinstance(value, list):  # a scalar that the parser forced to a list (e.g. "Tag")
        if len(value) != 1:
            raise XMLError(f"{where}: expected one element, got {len(value)}")
        value = value[0]
    try:
        return text_of(value)
    except XMLError as exc:
        raise XMLError(f"{where}: {exc}") from exc


def _value_from_doc(kind: _Kind, value: Any, where: str) -> Any:
    if kind.tag == "model":
        if isinstance(value, list):
            if len(value) != 1:
                raise XMLError(f"{where}: expected one element, got {len(value)}")
            value = value[0]
        if isinstance(value, str) and value.strip():
            raise XMLError(f"{where}: expected child elements, got text {value!r}")
        return _model_from_doc(kind.args, value if isinstance(value, dict) else {}, where)
    text = _text(value, where)
    if kind.tag == "int":
        if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
            raise XMLError(f"{where}: not an integer: {text!r}")
        return int(text.strip())
    if kind.tag == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise XMLError(f"{where}: not true/false: {text!r}")
        return lowered == "true"
    return text


def _model_from_doc(cls: type[M], doc: Mapping[str, Any], where: str) -> M:
    doc = cls._xml_in(doc, where)
    values: dict[str, Any] = {}
    for field, kind in _fields(cls):
        meta = field.metadata
        node: Any = doc
        for wrapper in meta["wrap"]:
            node = node.get(wrapper) if isinstance(node, Mapping) else None
            if isinstance(node, list):
                if len(node) != 1:
                    raise XMLError(f"{where}/{wrapper}: expected one element, got {len(node)}")
                node = node[0]
            if isinstance(node, str) and node.strip():
                raise XMLError(f"{where}/{wrapper}: expected child elements, got text {node!r}")
        present = isinstance(node, Mapping) and meta["xml"] in node
        raw = node.get(meta["xml"]) if present else None
        path = f"{where}/{meta['xml']}"
        if meta["flag"]:
            values[field.name] = present
        elif kind.tag == "tuple":
            assert kind.item is not None
            values[field.name] = tuple(
                _value_from_doc(kind.item, item, path) for item in _as_list(raw)
            )
        elif not present:
            if field.default is attrs.NOTHING and not kind.optional:
                raise XMLError(f"{where} lacks <{meta['xml']}>")
            if kind.optional:
                values[field.name] = None
        else:
            values[field.name] = _value_from_doc(kind, raw, path)
    return _lenient(cls, values)


def _lenient(cls: type[M], values: Mapping[str, Any]) -> M:
    """A model as COS reported it: its values kept as they are, unchecked (a value newer than
    this SDK knows, such as a new storage class, must not make a configuration unreadable).
    Putting it again checks it (``strict``)."""
    inst = cls.__new__(cls)
    for field in attrs.fields(cls):
        if field.name in values:
            value = values[field.name]
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            value = field.default.factory()
        elif field.default is attrs.NOTHING:
            value = None
        else:
            value = field.default
        object.__setattr__(inst, field.name, value)
    return inst


def strict(config: M) -> M:
    """``config`` checked as if built anew, nested models included (every type, value and
    constraint)."""
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        if isinstance(value, ConfigModel):
            changes[field.name] = strict(value)
        elif isinstance(value, tuple) and any(isinstance(v, ConfigModel) for v in value):
            changes[field.name] = tuple(
                strict(v) if isinstance(v, ConfigModel) else v for v in value
            )
    return attrs.evolve(config, **changes)


def from_xml(
    cls: type[M],
    doc: Mapping[str, Any],
    *,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> M:
    """The model of a parsed document's root element (as returned by ``Reply.xml``), read
    leniently (see :func:`_lenient`). Raises :class:`~cos_async._xml.XMLError` when the
    document does not have the model's shape."""
    values = {"request_id": request_id, "headers": freeze_headers(headers)}
    model = _model_from_doc(cls, doc, cls.xml_root or cls.__name__)
    for name, value in values.items():
        object.__setattr__(model, name, value)
    return model


# --- validators -------------------------------------------------------------------------------


def _where(inst: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(inst).__name__}.{attribute.name}"


def _int_range(lo: int, hi: int | None = None) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            return  # the type check names it
        if value < lo or (hi is not None and value > hi):
            bound = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise InvalidArgument(f"{_where(inst, attribute)} must be {bound}, got {value!r}")

    return check


def _pattern(regex: str, what: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    compiled = re.compile(regex)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise InvalidArgument(f"{_where(inst, attribute)} must be {what}, got {value!r}")

    return check


def _non_empty(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, (str, tuple)) and not value:
        raise InvalidArgument(f"{_where(inst, attribute)} must not be empty")


def _max_items(limit: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, tuple) and len(value) > limit:
            raise InvalidArgument(
                f"{_where(inst, attribute)} holds at most {limit} items, got {len(value)}"
            )

    return check


def _iso_date(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, str):
        try:
            _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument(
                f"{_where(inst, attribute)} must be an ISO 8601 date such as "
                f"'2026-12-01T00:00:00+08:00', got {value!r}"
            ) from None


def _unique(attr: str, what: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            return
        seen: set[Any] = set()
        for item in value:
            v = getattr(item, attr, None)
            if v is None:
                continue
            if v in seen:
                raise InvalidArgument(f"{_where(inst, attribute)} has a duplicate {what} {v!r}")
            seen.add(v)

    return check


def _all_of(
    *checks: Callable[[Any, attrs.Attribute[Any], Any], None],
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        # the type check runs first (in __attrs_post_init__), so run these after it
        for c in checks:
            c(inst, attribute, value)

    return check


# Validators run before __attrs_post_init__'s type checks; each one ignores values of the wrong
# type (the type check then names them), so a list of ints never reaches a string pattern.

_TAG_TEXT = r"[A-Za-z0-9 +\-=._:/@]*"
_CAM_UIN = r"qcs::cam::uin/\d+:uin/\d+"
_COS_BUCKET_ARN = r"qcs::cos:[a-z0-9-]+::[a-z0-9][a-z0-9-]*-\d+"
_DOMAIN_NAME = r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_STORAGE_CLASS = (
    r"STANDARD|STANDARD_IA|ARCHIVE|DEEP_ARCHIVE|INTELLIGENT_TIERING"
    r"|MAZ_STANDARD|MAZ_STANDARD_IA|MAZ_INTELLIGENT_TIERING"
)
_storage_class = _pattern(_STORAGE_CLASS, "a COS storage class (STANDARD_IA, ARCHIVE, ...)")


def _upper(value: Any) -> Any:
    """Converter of storage classes: COS spells them upper-case (``standard_ia`` is accepted)."""
    return value.upper() if isinstance(value, str) else value


# --- tags -------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Tag(ConfigModel):
    """A tag: key 1..128 characters, value up to 256, letters, digits, space and ``+-=._:/@``."""

    key: str = attrs.field(
        metadata=_x("Key"),
        validator=_all_of(
            _pattern("(?s).{1,128}", "1..128 characters"),
            _pattern(_TAG_TEXT, "letters, digits, space and +-=._:/@"),
        ),
    )
    value: str = attrs.field(
        metadata=_x("Value"),
        default="",
        validator=_all_of(
            _pattern("(?s).{0,256}", "at most 256 characters"),
            _pattern(_TAG_TEXT, "letters, digits, space and +-=._:/@"),
        ),
    )


@attrs.frozen(kw_only=True)
class Tagging(ConfigModel):
    """A bucket's tags (at most 50, unique keys). ``Tagging.of({"k": "v"})`` builds one from a
    mapping and :meth:`as_dict` gives the mapping back."""

    xml_root: ClassVar[str] = "Tagging"

    tags: tuple[Tag, ...] = attrs.field(
        metadata=_x("Tag", wrap="TagSet"),
        default=(),
        converter=_tuple,
        validator=_all_of(_max_items(50), _unique("key", "tag key")),
    )

    def _check_put(self) -> None:
        if not self.tags:
            raise InvalidArgument(
                "Tagging.tags is empty: COS needs at least one tag (delete_bucket_tagging "
                "removes them all)"
            )

    @classmethod
    def of(cls, tags: Mapping[str, str]) -> Tagging:
        """A Tagging from a ``{key: value}`` mapping."""
        return cls(tags=tuple(Tag(key=k, value=v) for k, v in tags.items()))

    def as_dict(self) -> dict[str, str]:
        """The tags as a ``{key: value}`` dict."""
        return {t.key: t.value for t in self.tags}


# --- CORS -------------------------------------------------------------------------------------

_CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


def _cors_methods(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, tuple):
        for m in value:
            if isinstance(m, str) and m not in _CORS_METHODS:
                raise InvalidArgument(
                    f"{_where(inst, attribute)} must hold methods among "
                    f"{', '.join(_CORS_METHODS)}, got {m!r}"
                )


@attrs.frozen(kw_only=True)
class CorsRule(ConfigModel):
    """One CORS rule: which origins may use which methods and request headers."""

    id: str | None = attrs.field(metadata=_x("ID"), default=None)
    allowed_origins: tuple[str, ...] = attrs.field(
        metadata=_x("AllowedOrigin"), default=(), converter=_tuple, validator=_non_empty
    )
    allowed_methods: tuple[str, ...] = attrs.field(
        metadata=_x("AllowedMethod"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _cors_methods),
    )
    allowed_headers: tuple[str, ...] = attrs.field(
        metadata=_x("AllowedHeader"), default=(), converter=_tuple
    )
    expose_headers: tuple[str, ...] = attrs.field(
        metadata=_x("ExposeHeader"), default=(), converter=_tuple
    )
    max_age_seconds: int | None = attrs.field(
        metadata=_x("MaxAgeSeconds"), default=None, validator=_int_range(0)
    )


@attrs.frozen(kw_only=True)
class CorsConfiguration(ConfigModel):
    """A bucket's CORS rules (1..100)."""

    xml_root: ClassVar[str] = "CORSConfiguration"

    rules: tuple[CorsRule, ...] = attrs.field(
        metadata=_x("CORSRule"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _max_items(100), _unique("id", "rule ID")),
    )


# --- lifecycle --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LifecycleFilter(ConfigModel):
    """Which objects a lifecycle rule applies to: a key prefix and/or tags. In XML one condition
    sits directly in ``<Filter>``; several (a prefix and a tag, or two tags) sit in
    ``<Filter><And>``, as COS requires."""

    prefix: str | None = attrs.field(metadata=_x("Prefix"), default=None)
    tags: tuple[Tag, ...] = attrs.field(
        metadata=_x("Tag"), default=(), converter=_tuple, validator=_unique("key", "tag key")
    )

    @classmethod
    def _xml_out(cls, doc: dict[str, Any]) -> dict[str, Any]:
        conditions = (1 if "Prefix" in doc else 0) + len(doc.get("Tag", ()))
        return {"And": doc} if conditions > 1 else doc

    @classmethod
    def _xml_in(cls, doc: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        if "And" not in doc:
            return doc
        if any(k in doc for k in ("Prefix", "Tag")):
            raise XMLError(f"{where}: <And> beside a <Prefix> or <Tag> of its own")
        inner = doc["And"]
        if isinstance(inner, list):
            if len(inner) != 1:
                raise XMLError(f"{where}/And: expected one element, got {len(inner)}")
            inner = inner[0]
        if not isinstance(inner, Mapping):
            raise XMLError(f"{where}/And: expected child elements, got {inner!r}")
        return inner


@attrs.frozen(kw_only=True)
class LifecycleExpiration(ConfigModel):
    """Delete objects ``days`` after creation, or on ``date``; or remove expired delete markers."""

    days: int | None = attrs.field(metadata=_x("Days"), default=None, validator=_int_range(1))
    date: str | None = attrs.field(metadata=_x("Date"), default=None, validator=_iso_date)
    expired_object_delete_marker: bool | None = attrs.field(
        metadata=_x("ExpiredObjectDeleteMarker"), default=None
    )

    def _check(self) -> None:
        given = [
            n
            for n in ("days", "date", "expired_object_delete_marker")
            if getattr(self, n) is not None
        ]
        if len(given) != 1:
            raise InvalidArgument(
                "LifecycleExpiration needs exactly one of days, date or "
                f"expired_object_delete_marker, got {given or 'none'}"
            )


@attrs.frozen(kw_only=True)
class LifecycleTransition(ConfigModel):
    """Move objects to ``storage_class`` ``days`` after creation, or on ``date``."""

    days: int | None = attrs.field(metadata=_x("Days"), default=None, validator=_int_range(0))
    date: str | None = attrs.field(metadata=_x("Date"), default=None, validator=_iso_date)
    storage_class: str = attrs.field(
        metadata=_x("StorageClass"), converter=_upper, validator=_storage_class
    )

    def _check(self) -> None:
        if (self.days is None) == (self.date is None):
            raise InvalidArgument(
                f"LifecycleTransition needs exactly one of days or date, got days={self.days!r}, "
                f"date={self.date!r}"
            )


@attrs.frozen(kw_only=True)
class NoncurrentVersionExpiration(ConfigModel):
    """Delete noncurrent versions ``noncurrent_days`` after they became noncurrent."""

    noncurrent_days: int = attrs.field(metadata=_x("NoncurrentDays"), validator=_int_range(1))


@attrs.frozen(kw_only=True)
class NoncurrentVersionTransition(ConfigModel):
    """Move noncurrent versions to ``storage_class`` after ``noncurrent_days``."""

    noncurrent_days: int = attrs.field(metadata=_x("NoncurrentDays"), validator=_int_range(0))
    storage_class: str = attrs.field(
        metadata=_x("StorageClass"), converter=_upper, validator=_storage_class
    )


@attrs.frozen(kw_only=True)
class AbortIncompleteMultipartUpload(ConfigModel):
    """Abort multipart uploads not completed ``days_after_initiation`` days after they began."""

    days_after_initiation: int = attrs.field(
        metadata=_x("DaysAfterInitiation"), validator=_int_range(1)
    )


@attrs.frozen(kw_only=True)
class LifecycleRule(ConfigModel):
    """One lifecycle rule: a filter and at least one action."""

    id: str | None = attrs.field(
        metadata=_x("ID"), default=None, validator=_pattern("(?s).{1,255}", "1..255 characters")
    )
    filter: LifecycleFilter = attrs.field(metadata=_x("Filter"), default=LifecycleFilter(prefix=""))
    status: Literal["Enabled", "Disabled"] = attrs.field(metadata=_x("Status"), default="Enabled")
    transitions: tuple[LifecycleTransition, ...] = attrs.field(
        metadata=_x("Transition"), default=(), converter=_tuple
    )
    noncurrent_version_transitions: tuple[NoncurrentVersionTransition, ...] = attrs.field(
        metadata=_x("NoncurrentVersionTransition"), default=(), converter=_tuple
    )
    noncurrent_version_expiration: NoncurrentVersionExpiration | None = attrs.field(
        metadata=_x("NoncurrentVersionExpiration"), default=None
    )
    expiration: LifecycleExpiration | None = attrs.field(metadata=_x("Expiration"), default=None)
    abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload | None = attrs.field(
        metadata=_x("AbortIncompleteMultipartUpload"), default=None
    )

    def _check(self) -> None:
        if not (
            self.transitions
            or self.noncurrent_version_transitions
            or self.noncurrent_version_expiration
            or self.expiration
            or self.abort_incomplete_multipart_upload
        ):
            raise InvalidArgument(
                f"LifecycleRule {self.id or '(no id)'} needs at least one action: expiration, "
                "transitions, noncurrent_version_expiration, noncurrent_version_transitions or "
                "abort_incomplete_multipart_upload"
            )


@attrs.frozen(kw_only=True)
class LifecycleConfiguration(ConfigModel):
    """A bucket's lifecycle rules (1..1000, unique IDs)."""

    xml_root: ClassVar[str] = "LifecycleConfiguration"

    rules: tuple[LifecycleRule, ...] = attrs.field(
        metadata=_x("Rule"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _max_items(1000), _unique("id", "rule ID")),
    )


# --- versioning -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class VersioningConfiguration(ConfigModel):
    """A bucket's versioning state; ``status`` is ``None`` for a bucket never versioned."""

    xml_root: ClassVar[str] = "VersioningConfiguration"

    status: Literal["Enabled", "Suspended"] | None = attrs.field(
        metadata=_x("Status"), default=None
    )

    def _check_put(self) -> None:
        if self.status is None:
            raise InvalidArgument("VersioningConfiguration.status must be Enabled or Suspended")


# --- replication ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReplicationDestination(ConfigModel):
    """Where a replication rule copies to: ``qcs::cos:<region>::<bucket-appid>``."""

    bucket: str = attrs.field(
        metadata=_x("Bucket"),
        validator=_pattern(_COS_BUCKET_ARN, "qcs::cos:<region>::<bucket-appid>"),
    )
    storage_class: str | None = attrs.field(
        metadata=_x("StorageClass"), default=None, converter=_upper, validator=_storage_class
    )


@attrs.frozen(kw_only=True)
class ReplicationRule(ConfigModel):
    """One replication rule: objects under ``prefix`` are copied to ``destination``."""

    id: str | None = attrs.field(metadata=_x("ID"), default=None)
    status: Literal["Enabled", "Disabled"] = attrs.field(metadata=_x("Status"), default="Enabled")
    prefix: str = attrs.field(metadata=_x("Prefix"), default="")
    destination: ReplicationDestination = attrs.field(metadata=_x("Destination"))


@attrs.frozen(kw_only=True)
class ReplicationConfiguration(ConfigModel):
    """Cross-bucket replication: the CAM ``role`` (``qcs::cam::uin/<owner>:uin/<sub>``) and rules.
    The source bucket must have versioning enabled."""

    xml_root: ClassVar[str] = "ReplicationConfiguration"

    role: str = attrs.field(
        metadata=_x("Role"), validator=_pattern(_CAM_UIN, "qcs::cam::uin/<uin>:uin/<uin>")
    )
    rules: tuple[ReplicationRule, ...] = attrs.field(
        metadata=_x("Rule"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _max_items(1000), _unique("id", "rule ID")),
    )


# --- static website ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class IndexDocument(ConfigModel):
    """The index document appended to requests for a "directory" (``index.html``)."""

    suffix: str = attrs.field(metadata=_x("Suffix"), validator=_non_empty)


@attrs.frozen(kw_only=True)
class RedirectAllRequestsTo(ConfigModel):
    """Redirect every request to the same host with another protocol."""

    protocol: Literal["http", "https"] = attrs.field(metadata=_x("Protocol"))


@attrs.frozen(kw_only=True)
class RoutingCondition(ConfigModel):
    """When a routing rule applies: an HTTP error code and/or a key prefix."""

    http_error_code_returned_equals: int | None = attrs.field(
        metadata=_x("HttpErrorCodeReturnedEquals"), default=None, validator=_int_range(400, 599)
    )
    key_prefix_equals: str | None = attrs.field(metadata=_x("KeyPrefixEquals"), default=None)

    def _check(self) -> None:
        if self.http_error_code_returned_equals is None and self.key_prefix_equals is None:
            raise InvalidArgument(
                "RoutingCondition needs http_error_code_returned_equals or key_prefix_equals"
            )


@attrs.frozen(kw_only=True)
class RoutingRedirect(ConfigModel):
    """Where a routing rule redirects: a protocol, a status code, and a key rewrite."""

    protocol: Literal["http", "https"] | None = attrs.field(metadata=_x("Protocol"), default=None)
    http_redirect_code: int | None = attrs.field(
        metadata=_x("HttpRedirectCode"), default=None, validator=_int_range(300, 399)
    )
    replace_key_prefix_with: str | None = attrs.field(
        metadata=_x("ReplaceKeyPrefixWith"), default=None
    )
    replace_key_with: str | None = attrs.field(metadata=_x("ReplaceKeyWith"), default=None)

    def _check(self) -> None:
        if self.replace_key_prefix_with is not None and self.replace_key_with is not None:
            raise InvalidArgument(
                "RoutingRedirect takes replace_key_prefix_with or replace_key_with, not both"
            )


@attrs.frozen(kw_only=True)
class RoutingRule(ConfigModel):
    """A website routing rule: a condition and a redirect."""

    condition: RoutingCondition = attrs.field(metadata=_x("Condition"))
    redirect: RoutingRedirect = attrs.field(metadata=_x("Redirect"))


@attrs.frozen(kw_only=True)
class WebsiteConfiguration(ConfigModel):
    """Static website hosting: an index document (and error document, routing rules), or a
    redirect of every request."""

    xml_root: ClassVar[str] = "WebsiteConfiguration"

    index_document: IndexDocument | None = attrs.field(metadata=_x("IndexDocument"), default=None)
    redirect_all_requests_to: RedirectAllRequestsTo | None = attrs.field(
        metadata=_x("RedirectAllRequestsTo"), default=None
    )
    error_document: str | None = attrs.field(metadata=_x("Key", wrap="ErrorDocument"), default=None)
    routing_rules: tuple[RoutingRule, ...] = attrs.field(
        metadata=_x("RoutingRule", wrap="RoutingRules"),
        default=(),
        converter=_tuple,
        validator=_max_items(100),
    )

    def _check(self) -> None:
        if self.index_document is None and self.redirect_all_requests_to is None:
            raise InvalidArgument(
                "WebsiteConfiguration needs index_document or redirect_all_requests_to"
            )


# --- inventory --------------------------------------------------------------------------------

_INVENTORY_FIELDS = (
    "Size",
    "LastModifiedDate",
    "ETag",
    "StorageClass",
    "IsMultipartUploaded",
    "ReplicationStatus",
)


def _inventory_fields(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, tuple):
        for f in value:
            if isinstance(f, str) and f not in _INVENTORY_FIELDS:
                raise InvalidArgument(
                    f"{_where(inst, attribute)} must hold fields among "
                    f"{', '.join(_INVENTORY_FIELDS)}, got {f!r}"
                )


@attrs.frozen(kw_only=True)
class InventoryDestination(ConfigModel):
    """Where inventory reports go: a bucket (``qcs::cos:<region>::<bucket-appid>``), a prefix,
    the format (CSV), and optional SSE-COS encryption of the reports."""

    bucket: str = attrs.field(
        metadata=_x("Bucket"),
        validator=_pattern(_COS_BUCKET_ARN, "qcs::cos:<region>::<bucket-appid>"),
    )
    format: Literal["CSV"] = attrs.field(metadata=_x("Format"), default="CSV")
    account_id: str | None = attrs.field(
        metadata=_x("AccountId"), default=None, validator=_pattern(r"\d+", "a numeric account id")
    )
    prefix: str | None = attrs.field(metadata=_x("Prefix"), default=None)
    sse_cos: bool = attrs.field(metadata=_x("SSE-COS", wrap="Encryption", flag=True), default=False)


@attrs.frozen(kw_only=True)
class InventoryConfiguration(ConfigModel):
    """An inventory report: its ``id`` (1..64 of ``a-z A-Z 0-9 - _ .``), destination, schedule,
    which versions, a key-prefix filter and optional fields."""

    xml_root: ClassVar[str] = "InventoryConfiguration"

    id: str = attrs.field(
        metadata=_x("Id"),
        validator=_pattern(r"[A-Za-z0-9\-_.]{1,64}", "1..64 of a-z A-Z 0-9 - _ ."),
    )
    is_enabled: bool = attrs.field(metadata=_x("IsEnabled"), default=True)
    destination: InventoryDestination = attrs.field(
        metadata=_x("COSBucketDestination", wrap="Destination")
    )
    frequency: Literal["Daily", "Weekly"] = attrs.field(
        metadata=_x("Frequency", wrap="Schedule"), default="Daily"
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


# --- logging ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LoggingEnabled(ConfigModel):
    """Access logs go to ``target_bucket`` (``bucket-appid``) under ``target_prefix``."""

    target_bucket: str = attrs.field(
        metadata=_x("TargetBucket"),
        validator=_pattern(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+", "a bucket name like name-appid"),
    )
    target_prefix: str = attrs.field(metadata=_x("TargetPrefix"), default="")


@attrs.frozen(kw_only=True)
class BucketLoggingStatus(ConfigModel):
    """Access logging: ``logging_enabled`` is ``None`` when logging is off (putting that turns
    logging off)."""

    xml_root: ClassVar[str] = "BucketLoggingStatus"

    logging_enabled: LoggingEnabled | None = attrs.field(
        metadata=_x("LoggingEnabled"), default=None
    )


# --- referer (hotlink protection) -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RefererConfiguration(ConfigModel):
    """Hotlink protection: a white or black list of referer domains (wildcards like
    ``*.example.com`` allowed), and whether requests without a Referer are allowed."""

    xml_root: ClassVar[str] = "RefererConfiguration"

    status: Literal["Enabled", "Disabled"] = attrs.field(metadata=_x("Status"), default="Enabled")
    referer_type: Literal["White-List", "Black-List"] = attrs.field(
        metadata=_x("RefererType"), default="White-List"
    )
    domains: tuple[str, ...] = attrs.field(
        metadata=_x("Domain", wrap="DomainList"),
        default=(),
        converter=_tuple,
        validator=_max_items(1000),
    )
    empty_refer_configuration: Literal["Allow", "Deny"] | None = attrs.field(
        metadata=_x("EmptyReferConfiguration"), default=None
    )

    def _check(self) -> None:
        if self.status == "Enabled" and not self.domains:
            raise InvalidArgument("an enabled RefererConfiguration needs at least one domain")


# --- custom domain ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DomainRule(ConfigModel):
    """A custom domain bound to the bucket: its name, origin type and status."""

    name: str = attrs.field(
        metadata=_x("Name"),
        validator=_pattern(_DOMAIN_NAME, "a domain name like cdn.example.com"),
    )
    status: Literal["ENABLED", "DISABLED"] = attrs.field(metadata=_x("Status"), default="ENABLED")
    type: Literal["REST", "WEBSITE", "ACCELERATE"] = attrs.field(
        metadata=_x("Type"), default="REST"
    )
    forced_replacement: Literal["CNAME", "TXT"] | None = attrs.field(
        metadata=_x("ForcedReplacement"), default=None
    )


@attrs.frozen(kw_only=True)
class DomainConfiguration(ConfigModel):
    """A bucket's custom domains."""

    xml_root: ClassVar[str] = "DomainConfiguration"

    rules: tuple[DomainRule, ...] = attrs.field(
        metadata=_x("DomainRule"),
        default=(),
        converter=_tuple,
        validator=_all_of(_non_empty, _unique("name", "domain")),
    )


# --- default encryption -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class EncryptionConfiguration(ConfigModel):
    """Default server-side encryption of new objects: SSE-COS (``AES256``), SSE-KMS (``KMS``,
    optionally with a key id) or ``SM4``."""

    xml_root: ClassVar[str] = "ServerSideEncryptionConfiguration"

    sse_algorithm: Literal["AES256", "KMS", "SM4"] = attrs.field(
        metadata=_x("SSEAlgorithm", wrap="Rule/ApplyServerSideEncryptionByDefault"),
        default="AES256",
    )
    kms_master_key_id: str | None = attrs.field(
        metadata=_x("KMSMasterKeyID", wrap="Rule/ApplyServerSideEncryptionByDefault"), default=None
    )

    def _check(self) -> None:
        if self.kms_master_key_id is not None and self.sse_algorithm != "KMS":
            raise InvalidArgument(
                f"EncryptionConfiguration.kms_master_key_id needs sse_algorithm 'KMS', "
                f"got {self.sse_algorithm!r}"
            )


# --- intelligent tiering ----------------------------------------------------------------------


def _tiering_days(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, int) and value not in (30, 60, 90):
        raise InvalidArgument(f"{_where(inst, attribute)} must be 30, 60 or 90, got {value!r}")


@attrs.frozen(kw_only=True)
class IntelligentTieringConfiguration(ConfigModel):
    """INTELLIGENT_TIERING: objects not accessed ``request_frequent`` times within ``days``
    (30, 60 or 90) move to the infrequent tier."""

    xml_root: ClassVar[str] = "IntelligentTieringConfiguration"

    status: Literal["Enabled", "Suspended"] = attrs.field(metadata=_x("Status"), default="Enabled")
    days: int = attrs.field(
        metadata=_x("Days", wrap="Transition"), default=30, validator=_tiering_days
    )
    request_frequent: int = attrs.field(
        metadata=_x("RequestFrequent", wrap="Transition"), default=1, validator=_int_range(1, 1)
    )


# --- object lock ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ObjectLockConfiguration(ConfigModel):
    """Object lock (WORM): once enabled on a bucket it cannot be disabled; new objects are kept
    for ``retention_days`` (1..36500) by default."""

    xml_root: ClassVar[str] = "ObjectLockConfiguration"

    object_lock_enabled: Literal["Enabled"] = attrs.field(
        metadata=_x("ObjectLockEnabled"), default="Enabled"
    )
    retention_days: int | None = attrs.field(
        metadata=_x("Days", wrap="Rule/DefaultRetention"),
        default=None,
        validator=_int_range(1, 36500),
    )
