"""ACLs of buckets and objects: from ``x-cos-acl``/``x-cos-grant-*`` headers or an
``<AccessControlPolicy>`` document, back into a document, and what they let anonymous users do."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from cos_async._limits import BUCKET_ACLS, OBJECT_ACLS
from cos_async._xml import XMLError, parse, text_of

from ._context import Ctx, err
from ._responses import xml_response
from ._state import AppState
from ._store import Acl
from ._values import is_number

__all__ = [
    "ALL_USERS",
    "acl_allows",
    "acl_from_document",
    "acl_from_headers",
    "acl_response",
    "effective_grants",
]

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
_GRANT_HEADERS = (
    ("x-cos-grant-read", "READ"),
    ("x-cos-grant-write", "WRITE"),
    ("x-cos-grant-read-acp", "READ_ACP"),
    ("x-cos-grant-write-acp", "WRITE_ACP"),
    ("x-cos-grant-full-control", "FULL_CONTROL"),
)
_GRANTEE = re.compile(r'(id|uri)\s*=\s*"([^"]*)"')
_GRANTEE_START = re.compile(r'(id|uri)\s*=\s*"')
#: the canned ACLs an object accepts: COS's object ACLs and (as the server always has)
#: public-read-write
_OBJECT_CANNED = (*OBJECT_ACLS, "public-read-write")


def _normalise_uin(value: str) -> str:
    value = value.strip().strip('"')
    if is_number(value):
        return f"qcs::cam::uin/{value}:uin/{value}"
    return value


def acl_from_headers(ctx: Ctx, *, for_bucket: bool) -> Acl | None:
    """The ACL set by ``x-cos-acl`` and ``x-cos-grant-*`` (``None``: no such header)."""
    canned = ctx.header("x-cos-acl")
    grants: list[tuple[str, str, str]] = []
    for header, perm in _GRANT_HEADERS:
        value = ctx.header(header)
        if not value:
            continue
        for kind, who in _GRANTEE.findall(value):
            grants.append((kind, _normalise_uin(who) if kind == "id" else who, perm))
        if not _GRANTEE_START.search(value):
            raise err(400, "InvalidArgument", f'{header} must look like id="<uin>": {value!r}')
    if canned is None and not grants:
        return None
    if canned is not None:
        allowed = BUCKET_ACLS if for_bucket else _OBJECT_CANNED
        if canned not in allowed:
            raise err(
                400, "InvalidArgument", f"x-cos-acl must be one of {', '.join(allowed)}: {canned!r}"
            )
    return Acl(canned=canned or "", grants=grants)


def acl_from_document(body: bytes) -> Acl:
    """The ACL of an ``<AccessControlPolicy>`` document (PUT ``?acl`` without ACL headers)."""
    try:
        doc = parse(body)
    except XMLError as exc:
        raise err(400, "MalformedXML", str(exc)) from exc
    root = doc.get("AccessControlPolicy")
    if not isinstance(root, dict):
        raise err(400, "MalformedACLError", "expected an <AccessControlPolicy> document")
    acl_list = root.get("AccessControlList") or {}
    grants: list[tuple[str, str, str]] = []
    for g in (acl_list.get("Grant") or []) if isinstance(acl_list, dict) else []:
        if not isinstance(g, dict) or not isinstance(g.get("Grantee"), dict):
            raise err(400, "MalformedACLError", "each <Grant> needs a <Grantee>")
        perm = text_of(g.get("Permission"))
        if perm not in _PERMISSIONS:
            raise err(400, "MalformedACLError", f"unknown ACL permission {perm!r}")
        grantee = g["Grantee"]
        if grantee.get("URI"):
            grants.append(("uri", text_of(grantee["URI"]), perm))
        elif grantee.get("ID"):
            grants.append(("id", _normalise_uin(text_of(grantee["ID"])), perm))
        else:
            raise err(400, "MalformedACLError", "a <Grantee> needs an <ID> or a <URI>")
    return Acl(canned="", grants=grants)


def effective_grants(acl: Acl, owner_id: str) -> list[tuple[str, str, str]]:
    """The grants a canned ACL stands for, then the explicit ones."""
    grants: list[tuple[str, str, str]] = []
    if acl.canned in ("private", "public-read", "public-read-write", "default"):
        grants.append(("id", owner_id, "FULL_CONTROL"))
    if acl.canned in ("public-read", "public-read-write"):
        grants.append(("uri", ALL_USERS, "READ"))
    if acl.canned == "public-read-write":
        grants.append(("uri", ALL_USERS, "WRITE"))
    grants.extend(acl.grants)
    return grants


def acl_allows(acl: Acl, perm: str) -> bool:
    """Whether ``acl`` grants ``perm`` (READ or WRITE) to everyone."""
    if acl.canned == "public-read-write" and perm in ("READ", "WRITE"):
        return True
    if acl.canned == "public-read" and perm == "READ":
        return True
    return any(
        kind == "uri" and who == ALL_USERS and p in (perm, "FULL_CONTROL")
        for kind, who, p in acl.grants
    )


def acl_response(state: AppState, ctx: Ctx, acl: Acl) -> web.Response:
    """GET ``?acl``: the ``<AccessControlPolicy>`` of a bucket or an object."""
    grants: list[dict[str, Any]] = []
    for kind, value, perm in effective_grants(acl, state.owner_id):
        if kind == "uri":
            grantee = {"@xmlns:xsi": _XSI, "@xsi:type": "Group", "URI": value}
        else:
            grantee = {
                "@xmlns:xsi": _XSI,
                "@xsi:type": "CanonicalUser",
                "ID": value,
                "DisplayName": value.rsplit("/", 1)[-1],
            }
        grants.append({"Grantee": grantee, "Permission": perm})
    body = {
        "Owner": state.account(),
        "AccessControlList": {"Grant": grants} if grants else None,
    }
    headers = {"x-cos-acl": acl.canned} if acl.canned else {}
    return xml_response(ctx, "AccessControlPolicy", body, headers=headers)
