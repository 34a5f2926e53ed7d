"""The review web app (Starlette): pending approvals, side-by-side diffs, decisions, and a JSON API beside the pages.

API (bearer token): GET /healthz (no auth), GET /api/approvals?status=&workflow=&risk=, GET /api/approvals/{id},
POST /api/approvals/{id}/approve, POST /api/approvals/{id}/reject {"reason"}, POST /api/approvals/{id}/edit
{"output"}, POST /api/approvals/bulk-approve {"ids"?} (low-risk only). Status codes: 401 no or unknown token,
403 a role that may not act, 404 unknown id, 409 already decided, 400 a malformed body or field, 422 a missing
field, 413 a body over 1 MiB, 429 too many wrong tokens (with Retry-After). No response may be cached.
Run it with `aiwf review --host 127.0.0.1 --port 8710` (pipelines/cli/review.py; tokens from AIWF_REVIEW_TOKENS).
"""

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from resources.approvals.decisions import apply_decision, bulk_approve_low_risk
from resources.approvals.review_access import Auth, ReviewSettings
from resources.approvals.review_auth import Reviewer, parse_tokens
from resources.approvals.review_http import (
    BodyLimit,
    Refused,
    SecurityHeaders,
    json_safe,
    refused_handler,
    strict_json,
)
from resources.approvals.store import AlreadyDecided, ApprovalNotFound, ApprovalStore

STATUSES = ("pending", "approved", "edited", "rejected", "superseded")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _api_reviewer(request: Request, act: bool) -> Reviewer:
    reviewer = await request.app.state.auth.from_bearer(request)
    if reviewer is None:
        raise Refused(401, "missing or invalid bearer token")
    if act and not reviewer.can_decide:
        raise Refused(403, f"role {reviewer.role!r} may not decide approvals")
    return reviewer


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def api_list(request: Request) -> JSONResponse:
    await _api_reviewer(request, act=False)
    status = request.query_params.get("status") or None
    if status and status not in STATUSES:
        return _error(400, f"status must be one of {', '.join(STATUSES)}")
    items = request.app.state.store.list(status=status, workflow=request.query_params.get("workflow"),
                                         risk=request.query_params.get("risk"))
    return JSONResponse({"count": len(items), "approvals": [json_safe(a.to_dict()) for a in items]})


async def api_detail(request: Request) -> JSONResponse:
    await _api_reviewer(request, act=False)
    try:
        return JSONResponse(json_safe(request.app.state.store.get(request.path_params["id"]).to_dict()))
    except ApprovalNotFound:
        return _error(404, "no such approval")


async def api_decide(request: Request) -> JSONResponse:
    reviewer = await _api_reviewer(request, act=True)
    body = await _json_body(request)
    action = request.path_params["action"]
    if action == "edit" and "output" not in body:
        return _error(422, 'an edit needs {"output": ...}')
    if not isinstance(body.get("reason", ""), (str, type(None))):
        return _error(400, '"reason" must be a string')
    try:
        approval = apply_decision(request.app.state.store, action, request.path_params["id"], reviewer,
                                  body.get("reason"), body.get("output"))
    except ApprovalNotFound:
        return _error(404, "no such approval")
    except AlreadyDecided as exc:
        return _error(409, str(exc))
    except ValueError as exc:
        return _error(422, str(exc))
    return JSONResponse(json_safe(approval.to_dict()))


async def api_bulk(request: Request) -> JSONResponse:
    reviewer = await _api_reviewer(request, act=True)
    body = await _json_body(request)
    ids = body.get("ids")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        return _error(422, '"ids" must be a list of approval ids')
    return JSONResponse(bulk_approve_low_risk(request.app.state.store, reviewer, ids))


async def _json_body(request: Request) -> dict:
    """The body as a JSON object of UTF-8 text; anything else (bad bytes, bad JSON, lone surrogates) is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = strict_json(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        raise Refused(400, "the body is not valid JSON (NaN and Infinity are not JSON numbers)") from None
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    return body


def create_app(store: ApprovalStore, tokens: str | None = None, secret: bytes | None = None,
               settings: ReviewSettings | None = None) -> Starlette:
    """The review app over an approvals store; tokens default to AIWF_REVIEW_TOKENS and settings to the
    environment, read now (not at import). Sessions live in the approvals store's Store."""
    from resources.approvals.review_pages import page_routes, templates

    spec = tokens if tokens is not None else os.environ.get("AIWF_REVIEW_TOKENS", "")
    settings = settings or ReviewSettings.from_env()
    routes = [
        Route("/healthz", healthz),
        Route("/api/approvals", api_list),
        Route("/api/approvals/bulk-approve", api_bulk, methods=["POST"]),
        Route("/api/approvals/{id}", api_detail),
        Route("/api/approvals/{id}/{action:str}", api_decide, methods=["POST"]),
        *page_routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={Refused: refused_handler})
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost, so refusals from BodyLimit carry the headers too
    app.state.store = store
    app.state.auth = Auth(parse_tokens(spec), store.store, settings, secret)
    app.state.templates = templates()
    return app
