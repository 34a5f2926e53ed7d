"""The audit key: every line of the audit log is HMAC-signed with it, so someone who can only write the log
file (or the home folder it lives in) can neither forge a line nor extend the chain.

The key comes from AIWF_AUDIT_KEY, else from the key file AIWF_AUDIT_KEY_FILE (default
~/.config/aiwf/audit.key), kept outside AIWF_HOME so that a copied or stolen home carries no key.
`aiwf audit init` writes a new random key file. Without a key the log is still hash-chained, and
`aiwf audit verify` says it is unkeyed.
"""

import os
import secrets
from pathlib import Path


def key_file() -> Path:
    """Where the audit key is kept when AIWF_AUDIT_KEY is not set."""
    configured = os.environ.get("AIWF_AUDIT_KEY_FILE")
    if configured:
        return Path(configured).expanduser()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "aiwf" / "audit.key"


def load_key() -> bytes | None:
    """The audit key, or None when none is configured (read at call time; never logged)."""
    value = os.environ.get("AIWF_AUDIT_KEY")
    if value:
        return value.strip().encode()
    path = key_file()
    try:
        return path.read_bytes().strip() or None
    except FileNotFoundError:
        return None


def init_key(path: Path | None = None, force: bool = False) -> Path:
    """Write a new random key file (mode 0600); refuses to replace an existing key unless `force`."""
    path = Path(path) if path else key_file()
    if path.exists() and not force:
        raise FileExistsError(f"{path} already holds an audit key; replacing it makes earlier lines unverifiable")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path
