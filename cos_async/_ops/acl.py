"""ACLs of buckets and objects (``PUT/GET ?acl``): the typed functions both families use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cos_async._engine import Request, RequestEngine, xml_body
from cos_async._errors import InvalidArgument
from cos_async._models import AccessControlPolicy, Grant, Result, as_list
from cos_async._options import Grants
from cos_async._xml import text_of

__all__ = ["get_acl", "put_acl"]

_GRANTEE_ID = re.compile(r"qcs::cam::(?:uin/\d+:uin/\d+|anyone:anyone)")
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")


async def put_acl(
    engine: RequestEngine,
    bucket: str,
    key: str | None,
    grants: Grants,
    grant_list: Iterable[Grant] | None,
    owner_id: str | None,
    what: str,
) -> Result:
    """Set an ACL: canned/``x-cos-grant-*`` headers, or a whole AccessControlPolicy document."""
    headers = grants.headers()
    body = None
    if grant_list is not None:
        if headers:
            raise InvalidArgument("give either acl/grant_* or grants, not both")
        body, h = xml_body("AccessControlPolicy", _acl_doc(list(grant_list), owner_id), md5=False)
        headers.update(h)
    elif not headers:
        raise InvalidArgument(f"{what} needs acl, a grant_* or grants")
    reply = await engine.send(
        Request(
            method="PUT", bucket=bucket, key=key, params={"acl": None}, headers=headers, body=body
        )
    )
    return Result(request_id=reply.request_id, headers=reply.headers)


async def get_acl(engine: RequestEngine, bucket: str, key: str | None) -> AccessControlPolicy:
    reply, doc = await engine.xml(
        Request(method="GET", bucket=bucket, key=key, params={"acl": None}),
        "AccessControlPolicy",
    )
    grants: list[Grant] = []
    acl_list = doc.get("AccessControlList") or {}
    for g in as_list(acl_list.get("Grant") if isinstance(acl_list, dict) else None):
        grantee = g.get("Grantee") or {}
        grants.append(
            Grant(
                permission=text_of(g.get("Permission")),
                id=text_of(grantee.get("ID")) or None,
                uri=text_of(grantee.get("URI")) or None,
                display_name=text_of(grantee.get("DisplayName")) or None,
            )
        )
    owner = doc.get("Owner") or {}
    return AccessControlPolicy(
        request_id=reply.request_id,
        headers=reply.headers,
        owner_id=text_of(owner.get("ID")) if isinstance(owner, dict) else None,
        grants=tuple(grants),
    )


def _acl_doc(grants: list[Grant], owner_id: str | None) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for g in grants:
        if g.permission not in _PERMISSIONS:
            raise InvalidArgument(f"unknown ACL permission {g.permission!r}")
        if g.uri and g.id:
            raise InvalidArgument(f"a Grant takes an id or a uri, not both: {g!r}")
        if g.uri:
            grantee: dict[str, Any] = {"@xmlns:xsi": _XSI, "@xsi:type": "Group", "URI": g.uri}
        elif g.id:
            if not _GRANTEE_ID.fullmatch(g.id):
                raise InvalidArgument(
                    "a Grant id must look like qcs::cam::uin/<owner uin>:uin/<sub uin> "
                    f"(or qcs::cam::anyone:anyone), got {g.id!r}"
                )
            grantee = {"@xmlns:xsi": _XSI, "@xsi:type": "CanonicalUser", "ID": g.id}
        else:
            raise InvalidArgument("each Grant needs an id or a uri")
        out.append({"Grantee": grantee, "Permission": g.permission})
    if owner_id is None:
        # COS needs the Owner element: like the docstrings say, the first grantee that is a user
        owner_id = next((g.id for g in grants if g.id), None)
        if owner_id is None:
            raise InvalidArgument("owner_id is needed when no grant names a user (an id)")
    elif not isinstance(owner_id, str) or not _GRANTEE_ID.fullmatch(owner_id):
        raise InvalidArgument(
            f"owner_id must look like qcs::cam::uin/<owner uin>:uin/<owner uin>, got {owner_id!r}"
        )
    return {"Owner": {"ID": owner_id}, "AccessControlList": {"Grant": out}}
