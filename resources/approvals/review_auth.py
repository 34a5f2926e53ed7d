"""Who may use the review app: tokens with roles, configured in clear or as salted scrypt hashes.

AIWF_REVIEW_TOKENS holds `token:role:name,...` entries, roles viewer, approver and admin; a token may be given
as `scrypt$<salt>$<hash>` (made by `python -m resources.approvals.review_auth hash-token`) so the configuration
never holds it in clear. Every entry is compared in constant time. Sessions and CSRF live in review_access.py.
"""

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass

ROLES = ("viewer", "approver", "admin")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~50 ms and 16 MiB per check: slow to guess offline


@dataclass(frozen=True)
class Reviewer:
    """A person behind a token; approvers and admins may decide, viewers only look."""

    name: str
    role: str

    @property
    def can_decide(self) -> bool:
        return self.role in ("approver", "admin")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(token: str, salt: bytes) -> bytes:
    return hashlib.scrypt(token.encode(), salt=salt, **SCRYPT)


def hash_token(token: str, salt: bytes | None = None) -> str:
    """`scrypt$<salt>$<hash>` for a token: what AIWF_REVIEW_TOKENS may hold instead of the token itself."""
    if len(token) < 8:
        raise ValueError("tokens must be at least 8 characters")
    salt = salt or secrets.token_bytes(16)
    return f"scrypt${_b64(salt)}${_b64(_scrypt(token, salt))}"


def _hashed(entry: str) -> tuple[bytes, bytes] | None:
    """(salt, hash) of a `scrypt$…` entry, None for a token in clear; ValueError when malformed."""
    if not entry.startswith("scrypt$"):
        return None
    parts = entry.split("$")
    try:
        salt, digest = _unb64(parts[1]), _unb64(parts[2])
    except (IndexError, ValueError):
        raise ValueError("is not scrypt$<salt>$<hash>") from None
    if len(parts) != 3 or len(salt) < 8 or len(digest) != SCRYPT["dklen"]:
        raise ValueError("is not scrypt$<salt>$<hash>")
    return salt, digest


def parse_tokens(spec: str) -> dict[str, Reviewer]:
    """`token:role:name,...` → {token or scrypt hash: Reviewer}; a malformed entry is an error naming its position."""
    reviewers = {}
    for position, entry in enumerate(filter(None, (e.strip() for e in (spec or "").split(","))), start=1):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position} is not token:role:name")
        token, role, name = (p.strip() for p in parts)
        if role not in ROLES:
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position} has role {role!r}; roles are {', '.join(ROLES)}")
        try:
            hashed = _hashed(token)
        except ValueError as exc:
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position} {exc}") from None
        if hashed is None and len(token) < 8:
            raise ValueError(f"AIWF_REVIEW_TOKENS entry {position}: tokens must be at least 8 characters")
        reviewers[token] = Reviewer(name, role)
    return reviewers


class TokenBook:
    """The configured tokens: which entry a presented token matches, and a keyed reference to each entry.

    A reference (HMAC of the entry under the server key) is what a session records, so removing or changing an
    entry ends its sessions and the database never holds a token or a fast hash of one.
    """

    def __init__(self, tokens: dict[str, Reviewer], key: bytes):
        self._key, self._verified = key, {}  # hashed entries once verified: no scrypt per API call
        self._entries = [(self.ref(entry), reviewer, entry, _hashed(entry)) for entry, reviewer in tokens.items()]
        self.by_ref = {ref: reviewer for ref, reviewer, _, _ in self._entries}

    def ref(self, entry: str) -> str:
        return hmac.new(self._key, b"entry\0" + entry.encode(), hashlib.sha256).hexdigest()

    def match(self, token: str | None) -> tuple[str, Reviewer] | None:
        """(entry reference, reviewer) for a token, comparing with every entry so timing tells nothing."""
        if not token:
            return None
        raw = token.encode("utf-8", "surrogatepass")
        seen = hmac.new(self._key, b"seen\0" + raw, hashlib.sha256).digest()
        if seen in self._verified:
            return self._verified[seen]
        found, slow = None, False
        for ref, reviewer, entry, hashed in self._entries:
            if hashed is None:
                equal = hmac.compare_digest(entry.encode(), raw)
            else:
                equal = hmac.compare_digest(hashlib.scrypt(raw, salt=hashed[0], **SCRYPT), hashed[1])
            if equal and found is None:
                found, slow = (ref, reviewer), hashed is not None
        if slow:  # at most one cached token per hashed entry
            self._verified[seen] = found
        return found


def main(argv: list[str] | None = None) -> int:
    """`hash-token`: read a token (prompt, or one line on stdin) and print its `scrypt$…` form."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["hash-token"]:
        print("usage: python -m resources.approvals.review_auth hash-token  (the token is read, never an argument)",
              file=sys.stderr)
        return 2
    token = getpass.getpass("token: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        print(hash_token(token))
    except ValueError as exc:
        print(f"hash-token: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
