"""The review app's HTML pages: login, the approvals list with filters, and the detail page with its forms.

Pages authenticate with the session cookie (set by logging in with a token) or a bearer header; every form
post needs the session cookie and its CSRF token, and a viewer is never shown a decision control.
"""

import difflib
import json
import secrets
from pathlib import Path

import jinja2
from markupsafe import Markup
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from resources.approvals.decisions import apply_decision, bulk_approve_low_risk
from resources.approvals.review_auth import SESSION_COOKIE, SESSION_SECONDS
from resources.approvals.store import AlreadyDecided, ApprovalNotFound, to_text

TEMPLATES = Path(__file__).parent / "templates" / "review"
LOGIN_CSRF_COOKIE = "aiwf_login_csrf"


class SecurityHeaders(BaseHTTPMiddleware):
    """No framing, no inline scripts or styles, no sniffing, no referrer leaks."""

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    html = request.app.state.templates.get_template(name).render(
        csrf=request.app.state.auth.csrf_token(request), **context)
    return HTMLResponse(html, status_code=status)


def _page_reviewer(request: Request):
    auth = request.app.state.auth
    return auth.from_cookie(request) or auth.from_bearer(request)


async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(24)  # double-submit: the form value must equal this cookie
    response = _render(request, "login.html", login_csrf=token, error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=600)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, str(form.get("csrf_token", ""))):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    token = str(form.get("token", "")).strip()
    if request.app.state.auth.from_token(token) is None:
        return _render(request, "login.html", status=401, login_csrf=expected, error="Unknown token.")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, request.app.state.auth.session_cookie(token), httponly=True,
                        samesite="strict", max_age=SESSION_SECONDS, secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


async def logout(request: Request) -> Response:
    form = await request.form()
    if not request.app.state.auth.csrf_ok(request, form.get("csrf_token")):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def list_page(request: Request) -> Response:
    reviewer = _page_reviewer(request)
    if reviewer is None:
        return RedirectResponse("/login", status_code=303)
    q = request.query_params
    filters = {"status": q.get("status", "pending"), "workflow": q.get("workflow", ""), "risk": q.get("risk", "")}
    store = request.app.state.store
    items = store.list(status=filters["status"] or None, workflow=filters["workflow"] or None,
                       risk=filters["risk"] or None)
    workflows = sorted({r["workflow"] for r in store.store.query("SELECT DISTINCT workflow FROM approvals")})
    return _render(request, "list.html", reviewer=reviewer, items=items, filters=filters, workflows=workflows,
                   message=q.get("message"))


async def detail_page(request: Request) -> Response:
    reviewer = _page_reviewer(request)
    if reviewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        approval = request.app.state.store.get(request.path_params["id"])
    except ApprovalNotFound:
        return _render(request, "error.html", status=404, reviewer=reviewer, message="No such approval.")
    diff = difflib.HtmlDiff(wrapcolumn=70).make_table(
        to_text(approval.current_version).splitlines(), to_text(approval.output).splitlines(),
        "Current version", "Proposed" if approval.status != "edited" else "Approved (edited)")
    return _render(request, "detail.html", reviewer=reviewer, a=approval, diff=Markup(diff),
                   evidence=json.dumps(approval.evidence, indent=2, sort_keys=True, default=str),
                   proposed_text=to_text(approval.proposed_output), message=request.query_params.get("message"))


async def decide_form(request: Request) -> Response:
    auth, form = request.app.state.auth, await request.form()
    reviewer = auth.from_cookie(request)
    if reviewer is None:
        return HTMLResponse("Log in first.", status_code=401)
    if not auth.csrf_ok(request, form.get("csrf_token")):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    if not reviewer.can_decide:
        return HTMLResponse(f"Role {reviewer.role!r} may not decide approvals.", status_code=403)
    store, action = request.app.state.store, request.path_params.get("action", "bulk-approve")
    if action not in ("approve", "reject", "edit", "bulk-approve"):
        return HTMLResponse(f"Unknown action {action!r}.", status_code=404)
    if action == "bulk-approve":
        result = bulk_approve_low_risk(store, reviewer, [str(i) for i in form.getlist("ids")])
        return RedirectResponse(f"/?message=Approved+{len(result['approved'])}+low-risk+items", status_code=303)
    approval_id = request.path_params["id"]
    try:
        output = _edited_output(store.get(approval_id), form) if action == "edit" else None
        apply_decision(store, action, approval_id, reviewer, str(form.get("reason") or "") or None, output)
    except ApprovalNotFound:
        return _render(request, "error.html", status=404, reviewer=reviewer, message="No such approval.")
    except AlreadyDecided as exc:
        return _render(request, "error.html", status=409, reviewer=reviewer, message=str(exc))
    except ValueError as exc:
        return _render(request, "error.html", status=422, reviewer=reviewer, message=str(exc))
    return RedirectResponse(f"/approvals/{approval_id}?message={action}+recorded", status_code=303)


def _edited_output(approval, form):
    """A textarea's text as the new output: kept as text for text proposals, parsed as JSON for structured ones."""
    text = str(form.get("output", "")).replace("\r\n", "\n")
    if isinstance(approval.proposed_output, str):
        return text
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the proposal is structured, so the edit must be valid JSON ({exc})") from None


async def stylesheet(request: Request) -> Response:
    return FileResponse(TEMPLATES / "review.css", media_type="text/css")


def page_routes() -> list[Route]:
    return [
        Route("/", list_page),
        Route("/login", login_form),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/static/review.css", stylesheet),
        Route("/approvals/{id}", detail_page),
        Route("/approvals/bulk-approve", decide_form, methods=["POST"]),
        Route("/approvals/{id}/{action:str}", decide_form, methods=["POST"]),
    ]
