"""The control endpoints under ``/_cos_testing/``: health, fault rules, the request log, and
bucket creation (for other processes; tests in the same process use the Python API)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cos_async.testing._bodies import read_small
from cos_async.testing._context import CONTROL_PREFIX, CosServerError, Ctx
from cos_async.testing._faults import FaultRule
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl
from cos_async.testing._values import load_json, number_or_none

from .common import valid_bucket_name

__all__ = ["control"]

#: the largest JSON body a control endpoint reads (a fault rule, a bucket name)
_MAX_CONTROL_BODY = 64 * 1024


async def control(app: AppState, ctx: Ctx) -> web.StreamResponse:
    what = ctx.path[len(CONTROL_PREFIX) :].strip("/")
    m = ctx.method
    if what == "health":
        return web.json_response({"ok": True})
    if what == "faults":
        if m == "GET":
            return web.json_response(app.faults.snapshot())
        if m == "POST":
            try:
                rule = FaultRule.from_json(await _json_body(ctx))
            except (ValueError, TypeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response({"id": app.faults.add(rule)})
        if m == "DELETE":
            app.faults.clear()
            return web.json_response({"ok": True})
    if what.startswith("faults/") and m == "DELETE":
        ident = what.split("/", 1)[1]
        rule_id = number_or_none(ident)
        if rule_id is None:
            return web.json_response({"error": f"bad rule id {ident[:40]!r}"}, status=400)
        app.faults.remove(rule_id)
        return web.json_response({"ok": True})
    if what == "requests":
        if m == "GET":
            return web.json_response([r.to_json() for r in app.requests.records()])
        if m == "DELETE":
            app.requests.clear()
            return web.json_response({"ok": True})
    if what == "buckets" and m == "POST":
        try:
            data = await _json_body(ctx)
        except ValueError as exc:
            return web.json_response({"error": f"malformed JSON: {exc}"}, status=400)
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not valid_bucket_name(name):
            return web.json_response({"error": f"invalid bucket name {name!r}"}, status=400)
        if name not in app.store.buckets:
            app.store.create_bucket(name, app.region, Acl(canned="private"))
        return web.json_response({"name": name})
    return web.json_response({"error": f"unknown control endpoint {m} {ctx.path}"}, status=404)


async def _json_body(ctx: Ctx) -> Any:
    """The request's JSON body (at most :data:`_MAX_CONTROL_BODY` bytes, bounded nesting)."""
    try:
        body = await read_small(ctx, limit=_MAX_CONTROL_BODY)
    except CosServerError as exc:
        raise ValueError(exc.message) from None
    return load_json(body, max_bytes=_MAX_CONTROL_BODY)
