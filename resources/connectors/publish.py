"""Publish text to a filesystem or object-storage path (anything fsspec opens: file://, s3://, gs://, memory://)."""

import hashlib
import posixpath
import uuid
from typing import Any

import fsspec

from resources.connectors.action import Action, Connector
from resources.connectors.ledger import ActionLedger

# Previous content up to this size is kept in the ledger so `restore` can undo an overwrite exactly.
MAX_RESTORABLE_BYTES = 256_000


class FsspecPublisher(Connector):
    """Writes documents under `base_url` atomically (temp file, then move); undo = unpublish or restore."""

    name = "fsspec"

    def __init__(self, base_url: str, *, ledger: ActionLedger, owner: str | None = None, **storage_options):
        super().__init__(ledger, owner)
        self.fs, self.root = fsspec.core.url_to_fs(base_url, **storage_options)
        self.fs.makedirs(self.root, exist_ok=True)

    def publish(self, workflow: str, path: str, content: str, version: str) -> Action:
        """The action that puts `content` at `path` (relative to base_url) for this payload version."""
        self._resolve(path)  # refuse a bad path before anything reaches the ledger
        return Action(workflow, f"file:{path}", "publish", {"path": path, "content": content}, version)

    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        target = self._resolve(action.payload["path"])
        previous = self._read(target)
        if action.action == "unpublish":
            if previous is not None:
                self.fs.rm(target)
            return {"path": action.payload["path"], "removed": previous is not None}
        if action.action not in ("publish", "restore"):
            raise ValueError(f"{self.name} cannot {action.action!r}; it knows publish, restore and unpublish")
        data = action.payload["content"].encode()
        tmp = f"{target}.{uuid.uuid4().hex[:8]}.tmp"
        self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, target)
        restorable = previous is not None and len(previous) <= MAX_RESTORABLE_BYTES
        return {
            "path": action.payload["path"], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "existed": previous is not None, "previous": previous.decode(errors="replace") if restorable else None,
        }

    def inverse_of(self, action: Action, result: dict | None) -> Action | None:
        if action.action != "publish" or not result:
            return None
        if not result.get("existed"):
            return action.inverse("unpublish", {"path": action.payload["path"]})
        if result.get("previous") is None:
            return None  # too large to restore from the ledger: leave it for a person
        return action.inverse("restore", {"path": action.payload["path"], "content": result["previous"]})

    def _resolve(self, path: str) -> str:
        clean = posixpath.normpath(path.lstrip("/"))
        if not path or clean.startswith("..") or clean == ".":
            raise ValueError(f"publish path {path!r} must stay inside {self.root}")
        return posixpath.join(self.root, clean)

    def _read(self, target: str) -> bytes | None:
        return self.fs.cat_file(target) if self.fs.exists(target) else None
