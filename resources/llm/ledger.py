"""The call ledger: one durable row per model request attempt or cache hit, with cost and provenance."""

import time
from dataclasses import dataclass, field

from resources.state.store import Store


COLUMNS = (
    "ts run_id asset_key partition_key kind model prompt_name prompt_version prompt_hash request_hash "
    "tokens_in tokens_out cost_usd latency_ms cache_hit attempt status error_class offline tier batch "
    "cached_tokens reasoning_tokens provider_cost_usd price_source unpriced replayed provider"
).split()


INSERT = f"INSERT INTO llm_calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_BOOLS = frozenset(("cache_hit", "offline", "batch", "unpriced", "replayed"))
# An attempt about to be sent, before it leaves (llm_sent); settling it deletes that row with the attempt's own.
SENT_COLUMNS = ("request_hash ts run_id asset_key partition_key kind model prompt_name prompt_version prompt_hash "
                "attempt tier provider").split()
SENT = (f"INSERT INTO llm_sent ({', '.join(SENT_COLUMNS)}) VALUES ({', '.join('?' * len(SENT_COLUMNS))}) "
        "RETURNING id")
# Attempts of the request sent earlier and never settled (their worker died): possibly paid, answer unknown.
UNSETTLED = (f"INSERT INTO llm_calls ({', '.join(SENT_COLUMNS)}, status, error_class) "
             f"SELECT {', '.join(SENT_COLUMNS)}, 'unknown', 'killed_in_flight' FROM llm_sent WHERE request_hash = ?")


def _values(rec: "CallRecord") -> list:
    """A record's column values (flags as 0/1), read straight off it: `asdict` deep-copies every field."""
    return [int(getattr(rec, c)) if c in _BOOLS else getattr(rec, c) for c in COLUMNS]


@dataclass
class CallRecord:
    """One ledger row. status is 'ok' for an answered request or cache hit, 'error' for a failed attempt."""

    kind: str
    model: str
    request_hash: str
    status: str
    run_id: str | None = None
    asset_key: str | None = None
    partition_key: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    cache_hit: bool = False
    attempt: int = 1
    error_class: str | None = None
    offline: bool = False
    tier: str | None = None
    batch: bool = False  # answered through a provider's Batch API, priced at the batch rate
    cached_tokens: int = 0  # of tokens_in, read from the provider's prompt cache (priced at its cached rate)
    reasoning_tokens: int = 0  # of tokens_out, the model's reasoning
    provider_cost_usd: float | None = None  # what the provider (a gateway's `usage.cost`) said the call cost
    price_source: str | None = None  # the price used (resources/llm/pricing.py): file@hash or catalogue version
    unpriced: bool = False  # no price known for the model: cost_usd is 0 because unknown, not because free
    replayed: bool = False  # answered from a replay cassette: nobody paid, cost 0, counted apart from calls
    provider: str | None = None  # the endpoint that answered (or failed): its base URL's host, never a key
    ts: float = field(default_factory=time.time)
    sent_id: int | None = field(default=None, repr=False, compare=False)  # its llm_sent row, deleted as it is written


class CallLedger:
    """Append-only store of CallRecords, SQLite by default and Postgres with AIWF_PG_URL."""

    def __init__(self, store: Store):
        self.store = store

    def record(self, rec: CallRecord) -> None:
        self.record_many([rec])

    def record_many(self, records: list[CallRecord]) -> None:
        if any(r.sent_id is not None for r in records):  # the row and the end of its sent one in one transaction
            self.store.transact(lambda cur: self.record_in(cur, records))
        elif records:
            self.store.executemany(INSERT, [_values(r) for r in records])

    @staticmethod
    def record_in(cur, records: list[CallRecord]) -> None:
        """Rows written inside the caller's transaction: an answer's ledger row commits with its cache entry (and
        its attempt's llm_sent row goes in the same commit)."""
        if records:
            cur.executemany(INSERT, [_values(r) for r in records])
            if sent := [(r.sent_id,) for r in records if r.sent_id is not None]:
                cur.executemany("DELETE FROM llm_sent WHERE id = ?", sent)

    def sent(self, rec: CallRecord) -> int:
        """Note an attempt about to be sent (its id goes on the attempt's row: `sent_id`); attempts of the same
        request left unsettled by a dead worker become `unknown` rows (possibly paid) in the same transaction."""

        def work(cur):
            cur.execute("SELECT 1 FROM llm_sent WHERE request_hash = ? LIMIT 1", (rec.request_hash,))
            if cur.fetchone() is not None:  # rare: only after a kill (or two senders without claims)
                cur.execute(UNSETTLED, (rec.request_hash,))
                cur.execute("DELETE FROM llm_sent WHERE request_hash = ?", (rec.request_hash,))
            cur.execute(SENT, [getattr(rec, c) for c in SENT_COLUMNS])
            return int(cur.fetchone()[0])

        return self.store.transact(work)

    def rows(self, run_ids: list[str] | None = None) -> list[dict]:
        if run_ids is None:
            return self.store.query("SELECT * FROM llm_calls ORDER BY id")
        if not run_ids:
            return []
        marks = ", ".join("?" * len(run_ids))
        return self.store.query(f"SELECT * FROM llm_calls WHERE run_id IN ({marks}) ORDER BY id", run_ids)

    def run_cost(self, run_id: str, partition_key: str | None = None) -> tuple[float, int]:
        """Spent USD and tokens so far in a run (or in one partition of a run over a range): what budgets are
        checked against."""
        where, params = ("run_id = ?", (run_id,)) if partition_key is None else \
            ("run_id = ? AND partition_key = ?", (run_id, partition_key))
        rows = self.store.execute(
            "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(tokens_in + tokens_out), 0) "
            f"FROM llm_calls WHERE {where} AND cache_hit = 0",
            params,
        )
        return float(rows[0][0]), int(rows[0][1])


def summarize(rows: list[dict]) -> dict:
    """Totals over ledger rows: answered requests, failed attempts, cache hits, replayed answers, tokens and cost
    (and how many answered requests had no price)."""
    answered = [r for r in rows if r["status"] == "ok" and not r["cache_hit"] and not r.get("replayed")]
    return {
        "llm_calls": len(answered),
        "llm_retries": sum(1 for r in rows if r["status"] == "error"),
        "cache_hits": sum(1 for r in rows if r["cache_hit"]),
        "replayed": sum(1 for r in rows if r["status"] == "ok" and r.get("replayed")),
        "unpriced_calls": sum(1 for r in answered if r.get("unpriced")),
        "tokens": sum(r["tokens_in"] + r["tokens_out"] for r in answered),
        "cost_usd": round(sum(r["cost_usd"] for r in answered), 6),
        "offline": any(r["offline"] for r in rows),
    }
