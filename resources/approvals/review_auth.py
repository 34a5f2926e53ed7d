"""Who may use the review app: bearer tokens with roles, signed session cookies for the pages, CSRF tokens.

Tokens come from AIWF_REVIEW_TOKENS as `token:role:name,...` with roles viewer, approver and admin. The pages
log in with a token once and then carry a signed, HttpOnly, SameSite=Strict cookie that names the token by a
fingerprint, so removing a token from the configuration ends its sessions. Every HTML form carries a CSRF token
derived from the session cookie with a server secret.
"""

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

ROLES = ("viewer", "approver", "admin")
SESSION_COOKIE = "aiwf_review_session"
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Reviewer:
    """A person behind a token; approvers and admins may decide, viewers only look."""

    name: str
    role: str

    @property
    def can_decide(self) -> bool:
        return self.role in ("approver", "admin")


def parse_tokens(spec: str) -> dict[str, Reviewer]:
    """`token:role:name,...` → {token: Reviewer}; a malformed entry is an error naming the entry's position."""
    reviewers = {}
    for position, entry in enumerate(filter(None, (e.strip() for e in (spec or "").split(","))), start=1):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position} is not token:role:name")
        token, role, name = (p.strip() for p in parts)
        if role not in ROLES:
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position} has role {role!r}; roles are {', '.join(ROLES)}")
        if len(token) < 8:
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position}: tokens must be at least 8 characters")
        reviewers[token] = Reviewer(name, role)
    return reviewers


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class Auth:
    """Checks bearer tokens, issues and reads session cookies, and makes and checks CSRF tokens."""

    def __init__(self, tokens: dict[str, Reviewer], secret: bytes | None = None):
        self._by_fingerprint = {_fingerprint(t): r for t, r in tokens.items()}
        self._tokens = tokens
        self._secret = secret or os.environ.get("AIWF_REVIEW_SECRET", "").encode() or secrets.token_bytes(32)

    def _sign(self, message: str) -> str:
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def from_token(self, token: str | None) -> Reviewer | None:
        for known, reviewer in self._tokens.items():  # compare every token in constant time
            if token and hmac.compare_digest(known.encode(), token.encode()):
                return reviewer
        return None

    def from_bearer(self, request) -> Reviewer | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.from_token(token.strip()) if scheme.lower() == "bearer" else None

    def session_cookie(self, token: str) -> str:
        body = f"{_fingerprint(token)}.{int(time.time()) + SESSION_SECONDS}"
        return f"{body}.{self._sign(body)}"

    def from_cookie(self, request) -> Reviewer | None:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        fingerprint, _, rest = cookie.partition(".")
        expiry, _, signature = rest.partition(".")
        if not (fingerprint and expiry.isdigit() and signature):
            return None
        if not hmac.compare_digest(self._sign(f"{fingerprint}.{expiry}"), signature) or int(expiry) < time.time():
            return None
        return self._by_fingerprint.get(fingerprint)

    def csrf_token(self, request) -> str:
        return self._sign("csrf:" + request.cookies.get(SESSION_COOKIE, ""))

    def csrf_ok(self, request, submitted: str | None) -> bool:
        return bool(submitted) and bool(request.cookies.get(SESSION_COOKIE)) and hmac.compare_digest(
            self.csrf_token(request), submitted)
