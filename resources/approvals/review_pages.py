"""The review app's HTML pages: login, the approvals list with filters, and the detail page with its forms.

Pages authenticate with the session cookie (set by logging in with a token) or a bearer header; every form
post needs the session cookie and its CSRF token, and a viewer is never shown a decision control.
"""

import json
import secrets
from pathlib import Path

import jinja2
from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from resources.approvals.decisions import apply_decision, bulk_approve_low_risk
from resources.approvals.review_access import SESSION_COOKIE
from resources.approvals.review_diff import side_by_side
from resources.approvals.review_http import Refused, ascii_text, strict_json
from resources.approvals.store import AlreadyDecided, ApprovalNotFound, to_text

TEMPLATES = Path(__file__).parent / "templates" / "review"
LOGIN_CSRF_COOKIE = "aiwf_login_csrf"


def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    html = request.app.state.templates.get_template(name).render(
        csrf=request.app.state.auth.csrf_token(request), **context)
    return HTMLResponse(html, status_code=status)


async def _page_reviewer(request: Request):
    auth = request.app.state.auth
    return auth.from_cookie(request) or await auth.from_bearer(request)


def _field(form, name: str) -> str:
    """A form field as text; a file where text belongs is a malformed request (400)."""
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise Refused(400, f"malformed form field {name!r}")
    return value or ""


async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(24)  # double-submit: the form value must equal this cookie
    response = _render(request, "login.html", login_csrf=token, error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=600)
    return response


async def login(request: Request) -> Response:
    """Check the form's double-submit CSRF token, then the token (throttled), then open a server-side session."""
    auth, form = request.app.state.auth, await request.form()
    expected = ascii_text(request.cookies.get(LOGIN_CSRF_COOKIE, ""), "login CSRF cookie")
    submitted = ascii_text(_field(form, "csrf_token"), "CSRF token")
    if not expected or not secrets.compare_digest(expected, submitted):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    found = await auth.check_token(request, _field(form, "token").strip())
    if found is None:
        return _render(request, "login.html", status=401, login_csrf=expected, error="Unknown token.")
    auth.end_session(request)  # a fresh id at every login
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, auth.open_session(found[0]).id, httponly=True, samesite="strict",
                        max_age=int(auth.settings.session_max_s), secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


async def logout(request: Request) -> Response:
    """End the session on the server, so a copy of the cookie stops working too."""
    auth, form = request.app.state.auth, await request.form()
    if auth.session(request) is not None and not auth.csrf_ok(request, _field(form, "csrf_token")):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    auth.end_session(request)  # (an expired session has nothing left to end)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def list_page(request: Request) -> Response:
    reviewer = await _page_reviewer(request)
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
    reviewer = await _page_reviewer(request)
    if reviewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        approval = request.app.state.store.get(request.path_params["id"])
    except ApprovalNotFound:
        return _render(request, "error.html", status=404, reviewer=reviewer, message="No such approval.")
    diff = side_by_side(to_text(approval.current_version), to_text(approval.output),
                        "Proposed" if approval.status != "edited" else "Approved (edited)")
    return _render(request, "detail.html", reviewer=reviewer, a=approval, diff=Markup(diff),
                   evidence=json.dumps(approval.evidence, indent=2, sort_keys=True, default=str),
                   proposed_text=to_text(approval.proposed_output), message=request.query_params.get("message"))


async def decide_form(request: Request) -> Response:
    auth, form = request.app.state.auth, await request.form()
    reviewer = auth.from_cookie(request)
    if reviewer is None:
        return HTMLResponse("Log in first.", status_code=401)
    if not auth.csrf_ok(request, _field(form, "csrf_token")):
        return HTMLResponse("CSRF token missing or invalid", status_code=403)
    if not reviewer.can_decide:
        return HTMLResponse(f"Role {reviewer.role!r} may not decide approvals.", status_code=403)
    store, action = request.app.state.store, request.path_params.get("action", "bulk-approve")
    if action not in ("approve", "reject", "edit", "bulk-approve"):
        return HTMLResponse(f"Unknown action {action!r}.", status_code=404)
    if action == "bulk-approve":
        ids = form.getlist("ids")
        if not all(isinstance(i, str) for i in ids):
            raise Refused(400, "malformed form field 'ids'")
        result = bulk_approve_low_risk(store, reviewer, ids)
        return RedirectResponse(f"/?message=Approved+{len(result['approved'])}+low-risk+items", status_code=303)
    approval_id = request.path_params["id"]
    try:
        output = _edited_output(store.get(approval_id), form) if action == "edit" else None
        apply_decision(store, action, approval_id, reviewer, _field(form, "reason") or None, output)
    except ApprovalNotFound:
        return _render(request, "error.html", status=404, reviewer=reviewer, message="No such approval.")
    except AlreadyDecided as exc:
        return _render(request, "error.html", status=409, reviewer=reviewer, message=str(exc))
    except ValueError as exc:
        return _render(request, "error.html", status=422, reviewer=reviewer, message=str(exc))
    return RedirectResponse(f"/approvals/{approval_id}?message={action}+recorded", status_code=303)


def _edited_output(approval, form):
    """A textarea's text as the new output: kept as text for text proposals, parsed as JSON for structured ones."""
    text = _field(form, "output").replace("\r\n", "\n")
    if isinstance(approval.proposed_output, str):
        return text
    try:
        return strict_json(text)
    except (ValueError, RecursionError) as exc:
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
