"""`aiwf report --html`: one self-contained page (inline CSS and SVG, no scripts) with the figures and plots."""

from html import escape

from pipelines.reporting import svg
from pipelines.reporting.money import cost_text, share_text

STYLE = """body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child,.steps td:nth-child(2),.steps th:nth-child(2){text-align:left}.plots{display:flex;flex-wrap:wrap;gap:16px}
.plots svg{border:1px solid #eee;background:#fff}"""


def _fmt(value, kind: str = "") -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "s":
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _usd(v: float) -> str:
    return f"${v:.4f}"


def _pct(v: float) -> str:
    return f"{v:.0%}"


def _table(head: list[str], rows: list[list[str]], css: str = "") -> str:
    return (f'<table class="{css}"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")


def _cost_table(workflows: dict) -> str:
    head = ["workflow", "runs", "succeeded", "success", "cost", "per successful run", "per completed partition",
            "calls", "tokens", "cache hits", "retries", "p50 ms", "p95 ms", "p99 ms"]
    return _table(head, [[name, _fmt(w["runs"]), _fmt(w["runs_succeeded"]), _fmt(w["success_rate"], "pct"),
                          cost_text(w["cost_usd"], w.get("unpriced_calls", 0), "–"),
                          share_text(w["cost_per_successful_run_usd"], w.get("unpriced_calls", 0), "–"),
                          share_text(w["cost_per_partition_usd"], w.get("unpriced_calls", 0), "–"),
                          _fmt(w["llm_calls"]), _fmt(w["tokens"]),
                          _fmt(w["cache_hit_rate"], "pct"), _fmt(w["retry_rate"], "pct"),
                          *(_fmt(w["latency_ms"][p]) for p in ("p50", "p95", "p99"))]
                         for name, w in workflows.items()])


def _quality_table(workflows: dict) -> str:
    head = ["workflow", "checks passed", "checks failed", "quarantined rows", "approvals", "approved", "edited",
            "rejected", "override rate", "side effects sent", "skipped", "failed"]
    return _table(head, [[name, _fmt(w["checks"]["passed"]), _fmt(w["checks"]["failed"]),
                          _fmt(w["quarantined_rows"]), *(_fmt(w["approvals"][k]) for k in
                                                         ("total", "approved", "edited", "rejected")),
                          _fmt(w["approvals"]["override_rate"], "pct"),
                          *(_fmt(w["side_effects"][k]) for k in ("sent", "skipped", "failed"))]
                         for name, w in workflows.items()])


def _steps_table(workflows: dict) -> str:
    rows = [[name, step, *(_fmt(p[k], "s") for k in ("p50", "p95", "p99"))]
            for name, w in workflows.items() for step, p in w["step_seconds"].items()]
    if not rows:
        return "<p>no successful steps in this window</p>"
    return _table(["workflow", "step", "p50 s", "p95 s", "p99 s"], rows, css="steps")


def _unpriced_note(report: dict) -> str:
    """What a cost plot leaves out: calls to models with no price (their cost is unknown, not $0)."""
    unpriced = sum(m.get("unpriced_calls", 0) for m in report["models"].values())
    return f"; {unpriced:,} unpriced call{'s' if unpriced != 1 else ''} not included" if unpriced else ""


def render(report: dict, series: dict) -> str:
    """The whole page as one string."""
    days = series["days"]
    models = {m: f["latency_ms"] for m, f in report["models"].items()}
    plots = [
        svg.line_chart("Model cost per day (USD)" + _unpriced_note(report), series["cost_per_day"], days, _usd),
        svg.bar_chart("Model-call latency per model (ms)", models, lambda v: f"{v:.0f}"),
        svg.line_chart("Override rate per day (edited + rejected / decided)", series["override_rate_per_day"],
                       days, _pct),
        svg.line_chart("Asset-check failure rate per day", series["check_failure_rate_per_day"], days, _pct),
    ]
    for label, hist in series["confidence_histograms"].items():
        plots.append(svg.histogram(f"Confidence of {label} ({hist['rows']} answers)", hist["edges"], hist["counts"]))
    model_table = _table(["model", "calls", "cost", "p50 ms", "p95 ms", "p99 ms"],
                         [[m, _fmt(f["calls"]), cost_text(f["cost_usd"], f.get("unpriced_calls", 0), "–"),
                           *(_fmt(f["latency_ms"][p]) for p in ("p50", "p95", "p99"))]
                          for m, f in report["models"].items()])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>aiwf report</title><style>{STYLE}</style></head>
<body><h1>aiwf report</h1><p>From {escape(report['since'])} to {escape(report['until'])} (UTC).</p>
<h2>Runs, cost and latency</h2>{_cost_table(report['workflows'])}
<h2>Quality, reviews and side effects</h2>{_quality_table(report['workflows'])}
<h2>Plots</h2><div class="plots">{''.join(plots)}</div>
<h2>Models</h2>{model_table}
<h2>Step durations</h2>{_steps_table(report['workflows'])}
</body></html>
"""
