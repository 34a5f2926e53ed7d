"""The ledger-row point: one row per attempt, cache hit or batch answer, added to the session's totals and handed
to the hooks (the telemetry span of resources/llm/instrumented.py) as it is written."""

from typing import Callable

from resources.llm.ledger import CallLedger, CallRecord
from resources.llm.request import ChatRequest
from resources.llm.session_stats import SessionStats

Hook = Callable[[ChatRequest, CallRecord, object, "str | None"], None]


def context_ids(context) -> dict:
    """run id, asset key and partition of whatever context an asset, op or check was given."""
    if context is None:
        return {}
    op_context = getattr(context, "op_execution_context", context)
    ids: dict = {"run_id": op_context.run_id, "asset_key": None, "partition_key": None}
    try:
        ids["asset_key"] = context.asset_key.to_user_string()
    except Exception:  # a check's context, or a multi-asset: name the first key it serves
        keys = [s.asset_key for s in getattr(context, "check_specs", [])] or list(
            getattr(op_context, "selected_asset_keys", []))
        ids["asset_key"] = keys[0].to_user_string() if keys else None
    if op_context.has_partition_key:
        ids["partition_key"] = op_context.partition_key
    return ids


class Recorder:
    """Writes (or holds back) ledger rows of one session, totals them in `stats` and calls each hook per row."""

    def __init__(self, ledger: CallLedger, stats: SessionStats, ids: dict, hooks: list[Hook] | None = None,
                 replayed: bool = False, primary=None):
        self.ledger, self.stats, self.ids, self.hooks = ledger, stats, ids, hooks or []
        self.replayed = replayed  # answers come from a replay cassette: nobody pays for them
        self.primary = primary  # the Provider of requests that name none (resources/llm/providers.py)

    def record_of(self, request: ChatRequest, *, status: str, usage=None, batch: bool = False, replayed: bool = False,
                  **fields) -> CallRecord:
        """The ledger row of one attempt of `request` (priced here from its usage: resources/llm/pricing.py);
        `replayed`: this answer came from a cassette (as every answer does when the session replays one)."""
        from resources.llm.pricing import ledger_fields

        prompt, provider = request.prompt, request.provider or self.primary
        base_url = provider.base_url if provider is not None else None  # priced in the answering provider's prices
        money = ledger_fields(request.model, usage, batch=batch, replayed=self.replayed or replayed,
                              base_url=base_url) if usage is not None else {}
        return CallRecord(kind=request.kind, model=request.model, request_hash=request.hash, status=status,
                          provider=provider.host if provider is not None else None,
                          prompt_name=prompt.name if prompt else None,
                          prompt_version=prompt.version if prompt else None,
                          prompt_hash=prompt.hash if prompt else None, tier=request.tier, batch=batch, **money,
                          **fields, **self.ids)

    def sent(self, request: ChatRequest, attempt: int) -> int:
        """Write ahead that an attempt of `request` is about to be sent (its id settles it: `row(sent_id=...)`),
        so a worker killed before the answer leaves a trace the next attempt reconciles."""
        return self.ledger.sent(self.record_of(request, status="sent", attempt=attempt))

    def row(self, request: ChatRequest, *, held: list | None = None, response=None, **fields) -> CallRecord:
        """One row, written now or appended to `held` (an answer's rows commit with its cache entry)."""
        record = self.record_of(request, **fields)
        if held is not None:
            held.append(record)
        else:
            self.ledger.record(record)
        self.count(request, record, response)
        return record

    def count(self, request: ChatRequest, record: CallRecord, response=None, batch_id: str | None = None) -> None:
        """A row this session wrote (or a batch billed): into the totals and to every hook."""
        self.stats.add(status=record.status, cache_hit=record.cache_hit, latency_ms=record.latency_ms,
                       tokens_in=record.tokens_in, tokens_out=record.tokens_out, cost=record.cost_usd,
                       model=record.model, offline=record.offline)
        for hook in self.hooks:
            hook(request, record, response, batch_id)
