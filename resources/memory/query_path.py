"""Vector search in one trip to LanceDB's event loop, with facts about the table kept per version.

Why: LanceDB's sync query builder crosses to its event-loop thread about seven times per query and re-reads the
schema three times (~2-3 ms of a 6.5 ms query at 100k rows); building and running the same query as one
coroutine on that loop takes one crossing. The facts (row count, index, when rows start and end) are read once
per table version, so a search knows how many rows are not live without a filter: none (the usual case) needs no
filter at all, a few are removed by over-fetching and post-filtering (exact), and only many take LanceDB's
prefilter, which scans the validity columns of every row (+4 ms a query at 100k rows).
A search asking only for (source, chunk) takes them from a per-version map by row id (`RowKeys`): LanceDB's
take of two columns for ten rows cost 0.5-1.5 ms of a ~5 ms query at 100k rows, the lookup ~0.05 ms (the map is
read once per version: ~26 ms and ~3 MB at 100k rows). The version check runs alongside the search (0.3-1 ms less).
"""

import asyncio
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resources.memory.index_policy import VECTOR_INDEX, IndexPolicy

KEY_FIELDS = ("source", "chunk")
OVERFETCH_MAX = 40  # non-live rows a search over-fetches past; beyond, the prefilter is cheaper than a wider ef


@dataclass(frozen=True)
class TableFacts:
    """What a search needs to know about one version of a table."""

    version: int
    rows: int
    indexed: bool
    taken_at: dt.datetime
    future_starts: np.ndarray  # sorted valid_from (µs) later than taken_at
    ends: np.ndarray  # sorted non-null valid_until (µs)

    def not_live(self, now: dt.datetime) -> int | None:
        """Rows not valid at `now`; None before the facts were taken (an as_of in the past, a clock step)."""
        if now < self.taken_at:
            return None
        t = _micros(now)
        return int(len(self.future_starts) - np.searchsorted(self.future_starts, t, "right")
                   + np.searchsorted(self.ends, t, "right"))


@dataclass(frozen=True)
class RowKeys:
    """(source, chunk) of every row of one table version, found by row id (read once per version)."""

    version: int
    row_ids: np.ndarray  # sorted
    order: np.ndarray  # position in `keys` of each sorted row id
    keys: pa.Table

    def lookup(self, ids: np.ndarray) -> pa.Table | None:
        """The keys of rows `ids`, in that order; None if any id is not in this version (then fetch them)."""
        pos = np.minimum(np.searchsorted(self.row_ids, ids), max(len(self.row_ids) - 1, 0))
        if len(ids) and (not len(self.row_ids) or not np.array_equal(self.row_ids[pos], ids)):
            return None
        return self.keys.take(self.order[pos])


async def row_keys(atable, cache: dict, name: str, version: int) -> RowKeys:
    keys = cache.get(("keys", name))
    if keys is None or keys.version != version:
        table = await atable.query().select(list(KEY_FIELDS)).with_row_id().to_arrow()
        ids = table.column("_rowid").to_numpy()
        order = np.argsort(ids, kind="stable")
        keys = RowKeys(version, ids[order], order, table.select(list(KEY_FIELDS)).combine_chunks())
        cache[("keys", name)] = keys
    return keys


def _micros(when: dt.datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def _sorted_micros(column: pa.ChunkedArray) -> np.ndarray:
    values = pc.drop_null(column).cast(pa.int64()).to_numpy()
    return np.sort(values)


def async_table(table):
    """The AsyncTable behind a sync LanceDB table (lancedb pinned <0.41 in pyproject, where it is `_table`)."""
    inner = getattr(table, "_table", None)
    if inner is None or not hasattr(inner, "query"):
        raise RuntimeError(f"lancedb {type(table).__name__} has no async table; check the lancedb version pin")
    return inner


def run(coro):
    """Run a coroutine on LanceDB's own event loop (where its async tables live) and wait for it."""
    from lancedb.background_loop import LOOP

    return LOOP.run(coro)


async def current_facts(atable, cache: dict, name: str, now: dt.datetime) -> TableFacts:
    """The table's facts, read again only when its version has changed (as of `now` or earlier, so they serve
    the search that reads them)."""
    version = await atable.version()
    facts = cache.get(("facts", name))
    if facts is None or facts.version != version:
        taken_at = min(now, dt.datetime.now(dt.timezone.utc))
        cols = await atable.query().select(["valid_from", "valid_until"]).to_arrow()
        starts = _sorted_micros(cols["valid_from"])
        indexed = VECTOR_INDEX in {ix.name for ix in await atable.list_indices()}
        facts = TableFacts(version, cols.num_rows, indexed, taken_at,
                           starts[np.searchsorted(starts, _micros(taken_at), "right"):],
                           _sorted_micros(cols["valid_until"]))
        cache[("facts", name)] = facts
    return facts


def stale_rows(facts: TableFacts, now: dt.datetime, as_of, include_stale: bool) -> int | None:
    """How many rows a validity filter would remove: 0 needs no filter, None means unknown (filter)."""
    if include_stale:
        return 0
    return facts.not_live(now) if as_of is None else None


def combined_filter(stale: int | None, live: str, user_filter: str | None) -> str | None:
    """The validity filter only where some row is not live, and the caller's filter."""
    return " AND ".join(p for p in (None if stale == 0 else live, user_filter) if p) or None


async def vector_search(atable, cache: dict, name: str, vector, k: int, **how) -> pa.Table:
    """Nearest rows to `vector` that pass the filters, as one coroutine (see the module docstring). With facts
    from an earlier search, the version check runs alongside the search (one round trip less); a changed
    version discards that result and searches again with fresh facts."""
    seen = cache.get(("facts", name))
    if seen is not None:
        version = asyncio.ensure_future(atable.version())
        result = await _search(atable, cache, name, seen, vector, k, **how)
        if await version == seen.version:
            return result
    facts = await current_facts(atable, cache, name, how["now"])
    return await _search(atable, cache, name, facts, vector, k, **how)


async def _search(atable, cache, name, facts: TableFacts, vector, k, *, policy: IndexPolicy, cols: list[str],
                  live: str, user_filter: str | None, now, as_of, include_stale: bool) -> pa.Table:
    stale = stale_rows(facts, now, as_of, include_stale)
    filt = combined_filter(stale, live, user_filter)
    post = filt is not None and user_filter is None and stale is not None and stale <= OVERFETCH_MAX
    limit = k + stale if post else k  # the true top k live rows are within the top k + stale of all rows
    query = policy.tune(atable.query().nearest_to(vector), limit, facts.indexed, facts.rows,
                        filtered=filt is not None and not post)
    if filt:
        query = query.where(filt)
        if post:
            query = query.postfilter()
    if not set(cols) <= {*KEY_FIELDS, "_distance"}:
        return (await query.select(cols).limit(limit).to_arrow()).slice(0, k)
    result = (await query.select(["_distance"]).with_row_id().limit(limit).to_arrow()).slice(0, k)
    found = (await row_keys(atable, cache, name, facts.version)).lookup(result.column("_rowid").to_numpy())
    if found is None:  # a row the map does not hold (cannot happen within one version): fetch as usual
        return (await query.select(cols).limit(limit).to_arrow()).slice(0, k)
    return pa.table([*found.columns, result.column("_distance")], names=[*KEY_FIELDS, "_distance"])
