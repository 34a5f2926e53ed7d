"""Access to the review app: bearer tokens for the API, server-side sessions for the pages, CSRF, throttling.

Pages log in with a token once; the HttpOnly, SameSite=Strict cookie then carries only a random session id
(review_sessions.py), and each form carries the session's CSRF token. Wrong tokens, on the login form or as a
bearer header, count against the client address (review_throttle.py), reserved before the token is checked; a
full bucket is answered 429 with Retry-After before the token is even checked, so throttled guesses learn nothing.
"""

import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from resources.approvals.review_auth import Reviewer, TokenBook
from resources.approvals.review_http import Refused, ascii_text
from resources.approvals.review_sessions import Session, SessionStore
from resources.approvals.review_throttle import Throttle, buckets
from resources.state.store import Store

SESSION_COOKIE = "aiwf_review_session"
_UNSET = object()


@dataclass(frozen=True)
class ReviewSettings:
    """Session lifetimes, login throttling and the body limit; `from_env` reads AIWF_REVIEW_SESSION_IDLE_S/_MAX_S."""

    session_idle_s: float = 30 * 60
    session_max_s: float = 8 * 3600
    max_failures: int = 10
    failure_window_s: float = 60.0
    max_body_bytes: int = 1024 * 1024
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def from_env(cls) -> "ReviewSettings":
        """Session lifetimes from the environment; a value that is not a positive number is a ValueError."""
        lifetimes = {}
        for name, var in (("session_idle_s", "AIWF_REVIEW_SESSION_IDLE_S"),
                          ("session_max_s", "AIWF_REVIEW_SESSION_MAX_S")):
            text = os.environ.get(var, "").strip()
            try:
                lifetimes[name] = float(text) if text else getattr(cls, name)
            except ValueError:
                lifetimes[name] = -1.0
            if not lifetimes[name] > 0:
                raise ValueError(f"{var} must be a positive number of seconds")
        return cls(**lifetimes)


class Auth:
    """Checks bearer tokens, opens, reads and ends sessions, and checks CSRF tokens."""

    def __init__(self, tokens: dict[str, Reviewer], store: Store, settings: ReviewSettings,
                 secret: bytes | None = None):
        self.settings = settings
        self.sessions = SessionStore(store, settings.session_idle_s, settings.session_max_s, settings.clock)
        key = secret or os.environ.get("AIWF_REVIEW_SECRET", "").encode() or self.sessions.server_key()
        self.tokens = TokenBook(tokens, key)
        self.throttle = Throttle(settings.max_failures, settings.failure_window_s, settings.clock)

    async def check_token(self, request: Request, token: str) -> tuple[str, Reviewer] | None:
        """The entry reference and reviewer for a token; a wrong one counts as a failure, a throttled one is 429."""
        client = request.client.host if request.client else "unknown"
        keys = buckets(client)
        wait, stamp = self.throttle.reserve(keys)  # counted before the check: concurrent guesses cannot all pass
        if wait:
            raise Refused(429, f"too many wrong tokens; retry in {wait} s", {"Retry-After": str(wait)})
        found = await run_in_threadpool(self.tokens.match, token)  # scrypt stays off the event loop
        if found is not None:
            self.throttle.forgive(keys, stamp)
        return found

    async def from_bearer(self, request: Request) -> Reviewer | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        found = await self.check_token(request, token.strip())
        return found[1] if found else None

    def session(self, request: Request) -> Session | None:
        """This request's live session (looked up once per request); a non-ASCII cookie is a 400."""
        if getattr(request.state, "aiwf_session", _UNSET) is _UNSET:
            cookie = request.cookies.get(SESSION_COOKIE)
            found = self.sessions.get(ascii_text(cookie, "session cookie")) if cookie else None
            if found is not None and found.token_ref not in self.tokens.by_ref:  # its token left the config
                self.sessions.revoke(found.id)
                found = None
            request.state.aiwf_session = found
        return request.state.aiwf_session

    def from_cookie(self, request: Request) -> Reviewer | None:
        session = self.session(request)
        return self.tokens.by_ref[session.token_ref] if session else None

    def open_session(self, token_ref: str) -> Session:
        return self.sessions.open(token_ref)

    def end_session(self, request: Request) -> None:
        session = self.session(request)
        if session is not None:
            self.sessions.revoke(session.id)
            request.state.aiwf_session = None

    def csrf_token(self, request: Request) -> str:
        session = self.session(request)
        return session.csrf if session else ""

    def csrf_ok(self, request: Request, submitted) -> bool:
        """The form's CSRF token equals the session's; a non-text or non-ASCII one is a malformed request (400)."""
        if submitted is None or submitted == "":
            return False
        submitted = ascii_text(submitted, "CSRF token")
        session = self.session(request)
        return session is not None and hmac.compare_digest(session.csrf.encode(), submitted.encode())
