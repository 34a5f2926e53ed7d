"""What planning and execution leave behind: episodes in memory (best effort) and lines in the audit trail.

Memory is where the planner finds "how did similar cases go" next time; a memory failure is logged and never
changes a plan or an outcome. The audit trail is the record of what was decided and done, and why.
"""

from resources.audit.log import audit_event


def recall(ai, memory, *, workflow: str, text: str, partition_key: str, outcome_asset: str, k: int = 3) -> str:
    """Outcomes of similar items from earlier partitions, one line each (earlier only: a re-run of a day sees
    the same past, so its prompt, and its cached plan, do not change)."""
    try:
        found = memory.similar_episodes(ai, text, k=4 * k, workflow=workflow, kinds=["decision"])
    except Exception:  # noqa: BLE001 - no memory yet, or memory down: plan without it
        return "(none)"
    lines = []
    for e in found:
        if e.get("asset_key") == outcome_asset and (e.get("partition_key") or "") < partition_key:
            out = e.get("output") if isinstance(e.get("output"), dict) else {}
            lines.append(f"- {e['text']} -> plan: {out.get('tools', '?')}; outcome: {out.get('status', '?')}"
                         + (f" ({out['error']})" if out.get("error") else ""))
    return "\n".join(lines[:k]) or "(none)"


def remember(ai, memory, context, *, workflow: str, item_key: str, text: str, output: dict, asset_key: str,
             partition_key: str | None, input_hash: str | None = None, model: str | None = None,
             prompt_version: str | None = None, check: tuple[str, bool, object] | None = None) -> None:
    """A decision episode (and optionally one check outcome) for an item; best effort."""
    try:
        memory.record_decision(ai, workflow=workflow, item_key=item_key, text=text, output=output,
                               asset_key=asset_key, partition_key=partition_key, run_id=context.run_id,
                               input_hash=input_hash, model=model, prompt_version=prompt_version)
        if check is not None:
            name, passed, details = check
            memory.record_checks(workflow=workflow, item_key=item_key, check=name, passed=passed, details=details,
                                 asset_key=asset_key, partition_key=partition_key, run_id=context.run_id, ai=ai)
    except Exception as exc:  # noqa: BLE001 - memory is best effort
        context.log.warning(f"{workflow}/{item_key}: episode not written to memory: {exc!r}")


def audit(store, context, kind: str, payload: dict, partition_key: str | None, **provenance) -> None:
    """One line in the audit trail with the run and partition it came from."""
    audit_event(store, kind, payload, {"run_id": context.run_id, "partition_key": partition_key, **provenance})
