"""The call ledger's reads for reports and the audit trail (the ledger's writes are in ledger.py).

Figures are counted as `summarize()` counts them: a call is an answered request (status ok, not a cache hit, not
replayed from a cassette), a retry is a failed attempt, tokens and cost are the answered requests'. Aggregates
run in SQL, in slices of ledger ids, so no statement holds SQLite's write lock for long and a million calls cost
no Python object each.
"""

from collections.abc import Iterator

from resources.state.store import Store

ANSWERED = "status = 'ok' AND cache_hit = 0 AND replayed = 0"
_GATEWAY = f"{ANSWERED} AND provider_cost_usd IS NOT NULL"  # answered, and the provider said what it cost
SLICE = 250_000  # ledger ids per statement
# calls, retries, cache hits, cost, tokens; unpriced calls, replayed answers; the provider's cost, ours for the
# same calls, and how many calls it said; attempts possibly paid (sent by a worker that died before the answer)
FIGURES = (f"SUM(CASE WHEN {ANSWERED} THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN cache_hit <> 0 THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN {ANSWERED} THEN cost_usd ELSE 0 END), "
           f"SUM(CASE WHEN {ANSWERED} THEN tokens_in + tokens_out ELSE 0 END), "
           f"SUM(CASE WHEN {ANSWERED} AND unpriced <> 0 THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN status = 'ok' AND replayed <> 0 THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN {_GATEWAY} THEN provider_cost_usd ELSE 0 END), "
           f"SUM(CASE WHEN {_GATEWAY} THEN cost_usd ELSE 0 END), SUM(CASE WHEN {_GATEWAY} THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN status = 'unknown' THEN 1 ELSE 0 END)")
_LATENCIES = {  # answered requests' latencies in tenths of a millisecond (halves up), joined in one string per group
    "sqlite": "group_concat(CASE WHEN {answered} THEN CAST(latency_ms * 10 + 0.5 AS INTEGER) END)",
    "postgres": "string_agg(CAST(CASE WHEN {answered} THEN CAST(FLOOR(latency_ms * 10 + 0.5) AS BIGINT) END AS TEXT), "
                "',')",
}


def latency_tenths(store: Store) -> str:
    """The figure that joins a group's answered latencies (tenths of a ms) into one comma-separated string."""
    return _LATENCIES[store.dialect].format(answered=ANSWERED)


def grouped(store: Store, keys: str, figures: str, since: float, until: float, where: str = "",
            params: tuple = ()) -> Iterator[tuple]:
    """Rows of `SELECT keys, figures FROM llm_calls ... GROUP BY keys` over calls with since <= ts < until, slice by
    slice of ids (a group spanning slices comes back once per slice)."""
    low, high = store.execute("SELECT MIN(id), MAX(id) FROM llm_calls")[0]
    width = len(keys.split(","))
    for start in range(int(low), int(high) + 1, SLICE) if high is not None else ():
        yield from store.execute(
            f"SELECT {keys}, {figures} FROM llm_calls WHERE id >= ? AND id < ? AND ts >= ? AND ts < ?{where} "
            f"GROUP BY {', '.join(str(i + 1) for i in range(width))}", (start, start + SLICE, since, until, *params))


def rows_after(store: Store, after_id: int) -> list[dict]:
    """Every ledger row with an id above `after_id`, in order: what a sync cursor follows."""
    return store.query("SELECT * FROM llm_calls WHERE id > ? ORDER BY id", (after_id,))


def prompt_history(store: Store, prompt_name: str, prompt_version: str, limit: int = 2000) -> list[dict]:
    """The latest answered chat calls of one prompt version (model, tier, request, tokens, latency, batch): what
    `aiwf estimate` and llm_map's budget check expect the next rows to cost."""
    return store.query(f"SELECT model, tier, request_hash, tokens_in, tokens_out, latency_ms, batch FROM llm_calls "
                       f"WHERE kind = "
                       f"'chat' AND prompt_name = ? AND prompt_version = ? AND {ANSWERED} ORDER BY id DESC LIMIT ?",
                       (prompt_name, prompt_version, limit))
