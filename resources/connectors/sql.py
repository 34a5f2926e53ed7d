"""Write rows to a SQL table (SQLite or Postgres through aiwf's Store) as one idempotent upsert per action."""

import json
import re
from typing import Any

from resources.connectors.action import Action, Connector
from resources.connectors.ledger import ActionLedger
from resources.state.store import Store

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# The rows as they were before each upsert (`sql_before_images`, in resources/state/migrations.py), written in
# the upsert's own transaction and never overwritten: a rerun after a crash between the write and the ledger's
# "done" still undoes to the true earlier state.


class SqlTableWriter(Connector):
    """Upserts rows by their key columns in one transaction; undo restores the rows as they were before."""

    name = "sql"

    def __init__(
        self,
        table: str,
        columns: dict[str, str],
        key_columns: list[str],
        *,
        store: Store,
        ledger: ActionLedger,
        owner: str | None = None,
    ):
        for ident in [table, *columns]:
            if not _IDENT.match(ident):
                raise ValueError(f"{ident!r} is not a valid SQL identifier")
        missing = set(key_columns) - set(columns)
        if not key_columns or missing:
            raise ValueError(f"key_columns must be a non-empty subset of columns; unknown: {sorted(missing)}")
        super().__init__(ledger, owner)
        self.table, self.columns, self.keys = table, dict(columns), list(key_columns)
        self.target = store
        ddl = ", ".join(f"{c} {t}" for c, t in self.columns.items())
        self.target.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl}, PRIMARY KEY ({', '.join(self.keys)}))")

    def upsert(self, workflow: str, rows: list[dict], version: str, entity: str | None = None) -> Action:
        """The action that writes `rows` (each with every column) for this payload version."""
        for i, row in enumerate(rows):
            if set(row) != set(self.columns):
                raise ValueError(f"row {i} has columns {sorted(row)}; {self.table} needs {sorted(self.columns)}")
        return Action(workflow, entity or f"table:{self.table}", "upsert", {"rows": rows}, version)

    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        if action.action not in ("upsert", "restore"):
            raise ValueError(f"{self.name} cannot {action.action!r}; it knows upsert and restore")
        rows, delete_keys = action.payload["rows"], action.payload.get("delete_keys", [])
        with self.target.transaction() as cur:
            before, inserted = self._before_image(cur, key, rows)
            for key_values in delete_keys:
                cur.execute(f"DELETE FROM {self.table} WHERE {self._where()}", key_values)
            for row in rows:
                cur.execute(self._upsert_sql(), [row[c] for c in self.columns])
        return {"rows": len(rows), "deleted": len(delete_keys), "before": before, "inserted_keys": inserted}

    def _before_image(self, cur, key: str, rows: list[dict]) -> tuple[list[dict], list[list]]:
        """The rows `rows` replace and the keys they add, as first captured for this action."""
        cur.execute("SELECT before_rows, inserted_keys FROM sql_before_images WHERE idempotency_key = ?", (key,))
        kept = cur.fetchone()
        if kept:
            return json.loads(kept[0]), json.loads(kept[1])
        before = [r for r in (self._fetch(cur, self._key(r)) for r in rows) if r is not None]
        found = {tuple(self._key(r)) for r in before}
        inserted = [self._key(r) for r in rows if tuple(self._key(r)) not in found]
        cur.execute("INSERT INTO sql_before_images (idempotency_key, before_rows, inserted_keys) VALUES (?, ?, ?)",
                    (key, json.dumps(before, default=str), json.dumps(inserted, default=str)))
        return before, inserted

    def inverse_of(self, action: Action, result: dict | None) -> Action | None:
        if action.action != "upsert" or not result:
            return None
        return action.inverse("restore", {"rows": result["before"], "delete_keys": result["inserted_keys"]})

    def _key(self, row: dict) -> list:
        return [row[c] for c in self.keys]

    def _where(self) -> str:
        return " AND ".join(f"{c} = ?" for c in self.keys)

    def _fetch(self, cur, key_values: list) -> dict | None:
        cur.execute(f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE {self._where()}", key_values)
        row = cur.fetchone()
        return dict(zip(self.columns, row)) if row else None

    def _upsert_sql(self) -> str:
        cols = list(self.columns)
        updates = [c for c in cols if c not in self.keys] or cols[:1]
        sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
        return (
            f"INSERT INTO {self.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {sets}"
        )
