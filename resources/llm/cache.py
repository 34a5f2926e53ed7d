"""Exact-match response cache: a repeated request (same model, messages, parameters, prompt version) is free.

Each entry keeps what the answer cost when it was paid for, so an asset built from cached answers can still
say what its data cost (`data_cost_usd`), while its run spent nothing.
"""

import json
import time

from resources.state.store import Store

PUT = ("INSERT INTO llm_cache (request_hash, model, response, tokens_in, tokens_out, cost_usd, created) "
       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_hash) DO NOTHING")


class ResponseCache:
    """Stores the answer of each successful request by its request hash."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, request_hash: str) -> dict | None:
        rows = self.store.execute(GET, (request_hash,))
        return _entry(rows[0]) if rows else None

    def known(self, request_hashes: list[str]) -> set[str]:
        """Which of these requests have an answer (what `aiwf estimate` counts free), read in slices of 500."""
        found: set[str] = set()
        for i in range(0, len(request_hashes), 500):
            part = request_hashes[i:i + 500]
            found.update(r[0] for r in self.store.execute(
                f"SELECT request_hash FROM llm_cache WHERE request_hash IN ({', '.join('?' * len(part))})", part))
        return found

    @staticmethod
    def get_in(cur, request_hash: str) -> dict | None:
        """`get` inside the caller's transaction (a claim reads the cache right after taking the request)."""
        cur.execute(GET, (request_hash,))
        row = cur.fetchone()
        return _entry(row) if row else None

    def put(self, request_hash: str, model: str, response, tokens_in: int, tokens_out: int,
            cost_usd: float = 0.0) -> None:
        """Keep an answer with what it cost; the first answer for a request stays."""
        self.store.execute(PUT, put_params(request_hash, model, response, tokens_in, tokens_out, cost_usd))

    @staticmethod
    def put_in(cur, request_hash: str, model: str, response, tokens_in: int, tokens_out: int,
               cost_usd: float = 0.0) -> None:
        """`put` inside the caller's transaction (committed with the ledger row and the claim's end)."""
        cur.execute(PUT, put_params(request_hash, model, response, tokens_in, tokens_out, cost_usd))


GET = "SELECT response, tokens_in, tokens_out, cost_usd FROM llm_cache WHERE request_hash = ?"


def _entry(row) -> dict:
    return {"response": json.loads(row[0]), "tokens_in": row[1], "tokens_out": row[2], "cost_usd": float(row[3] or 0)}


def put_params(request_hash, model, response, tokens_in, tokens_out, cost_usd) -> tuple:
    """The parameters of PUT for one answer (also queued by batch billing, resources/llm/batch_book.py)."""
    return request_hash, model, json.dumps(response), tokens_in, tokens_out, cost_usd, time.time()
