"""XML documents of the COS API: parse and build with xmltodict. Pure: no I/O.

* ``parse`` returns plain dicts of strings. Elements that COS may repeat are always lists (an
  element named in ``REPEATED`` below the root), so a single ``<Contents>`` does not turn into a
  dict and an empty listing does not lack the key's type. Namespace declarations are dropped and
  ``xsi:type`` becomes ``@type``.
* No DTD is accepted: a document with a ``<!DOCTYPE`` (and so any entity declaration, internal or
  external) is rejected with :class:`XMLError` before anything is expanded.
* ``build`` produces a UTF-8 document with an XML declaration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast
from xml.parsers import expat

import xmltodict

__all__ = ["REPEATED", "REPEATED_UNDER", "XMLError", "build", "parse", "text_of"]

#: Elements that COS may repeat; forced to lists wherever they appear below the root.
REPEATED: frozenset[str] = frozenset(
    {
        "AllowedHeader",
        "AllowedMethod",
        "AllowedOrigin",
        "CommonPrefixes",
        "CORSRule",
        "Contents",
        "Deleted",
        "Domain",
        "DomainRule",
        "Error",
        "ExposeHeader",
        "Field",
        "Grant",
        "InventoryConfiguration",
        "NoncurrentVersionTransition",
        "Object",
        "Part",
        "RoutingRule",
        "Rule",
        "Tag",
        "Transition",
        "Upload",
        "Version",
    }
)


#: ``(parent, child)`` pairs for names that repeat only under one parent (``Bucket`` is a scalar
#: in most documents, a repeated element only in ``ListAllMyBucketsResult/Buckets``).
#: ``DeleteMarker`` repeats in ``ListVersionsResult`` but is a scalar ("true") in ``DeleteResult``.
REPEATED_UNDER: frozenset[tuple[str, str]] = frozenset(
    {("Buckets", "Bucket"), ("ListVersionsResult", "DeleteMarker")}
)


class XMLError(ValueError):
    """A document that is not well-formed XML, or that declares a DTD."""


class _NoDoctypeExpat:
    """An ``expat`` stand-in whose parsers refuse any DOCTYPE (so no entity can be declared)."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(encoding: str | None = None, namespace_separator: str | None = None) -> Any:
        parser = expat.ParserCreate(encoding, namespace_separator)

        def _refuse(*_args: object) -> None:
            raise XMLError("XML documents with a DOCTYPE are not accepted")

        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        return parser


def _postprocess(path: object, key: str, value: Any) -> tuple[str, Any] | None:
    # Text is parsed with whitespace kept (keys and values may begin or end with spaces); drop
    # the indentation that then shows up as text of elements that have children.
    if isinstance(value, dict) and "#text" in value and len(value) > 1:
        text = value["#text"]
        if isinstance(text, str) and not text.strip():
            value = {k: v for k, v in value.items() if k != "#text"}
    if key.startswith("@xmlns"):
        return None
    if key == "@xsi:type":
        return "@type", value
    return key, value


def parse(data: bytes | str, *, repeated: Collection[str] = REPEATED) -> dict[str, Any]:
    """Parse a COS XML document into ``{root_name: {...}}``; :class:`XMLError` when malformed."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = data.strip()
    if not data:
        raise XMLError("empty XML document")

    def _force(path: list[Any], key: str, value: Any) -> bool:
        if not path:
            return False
        return key in repeated or (path[-1][0], key) in REPEATED_UNDER

    try:
        doc = xmltodict.parse(
            data,
            expat=_NoDoctypeExpat,
            force_list=_force,
            postprocessor=_postprocess,
            disable_entities=True,
            strip_whitespace=False,
        )
    except XMLError:
        raise
    except (expat.ExpatError, ValueError) as exc:
        raise XMLError(f"malformed XML: {exc}") from exc
    if not isinstance(doc, dict) or len(doc) != 1:
        raise XMLError("an XML document must have exactly one root element")
    return cast("dict[str, Any]", doc)


def text_of(value: Any) -> str:
    """The text of a parsed leaf element (``None`` for ``<A/>`` becomes ``""``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "#text" in value:
        return str(value["#text"])
    raise XMLError(f"expected a text element, got {type(value).__name__}")


def build(root: str, body: Mapping[str, Any] | None) -> bytes:
    """Build ``<root>...</root>`` from a dict (lists become repeated elements).

    A carriage return is written as ``&#13;``: XML parsers turn a literal one into ``\\n``, which
    would change a value such as a ``"\\r\\n"`` record delimiter."""
    text = xmltodict.unparse({root: body if body is not None else {}}, encoding="utf-8")
    return cast("str", text).replace("\r", "&#13;").encode("utf-8")
