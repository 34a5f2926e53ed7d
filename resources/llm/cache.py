"""Exact-match response cache: a repeated request (same model, messages, parameters, prompt version) is free."""

import json
import time

from resources.state.store import Store

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS llm_cache (
        request_hash TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        response TEXT NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        created {float} NOT NULL)""",
]


class ResponseCache:
    """Stores the answer of each successful request by its request hash."""

    def __init__(self, store: Store):
        self.store = store
        self.store.migrate("llm_cache", SCHEMA)

    def get(self, request_hash: str) -> dict | None:
        rows = self.store.query(
            "SELECT response, tokens_in, tokens_out FROM llm_cache WHERE request_hash = ?", (request_hash,)
        )
        if not rows:
            return None
        row = rows[0]
        return {"response": json.loads(row["response"]), "tokens_in": row["tokens_in"], "tokens_out": row["tokens_out"]}

    def put(self, request_hash: str, model: str, response, tokens_in: int, tokens_out: int) -> None:
        self.store.execute(
            "INSERT INTO llm_cache (request_hash, model, response, tokens_in, tokens_out, created) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_hash) DO NOTHING",
            (request_hash, model, json.dumps(response), tokens_in, tokens_out, time.time()),
        )
