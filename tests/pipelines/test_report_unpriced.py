"""Calls to a model with no price have an unknown cost: wherever `aiwf report` shows a cost (text and HTML), such
calls are named beside it, never counted as $0."""

import time
from html.parser import HTMLParser

from aiwf_state import local_store
from test_report_costs import _calls

from pipelines.cli.report import print_summary
from pipelines.reporting.html import render
from pipelines.reporting.money import cost_text, share_text
from pipelines.reporting.report import build_report
from pipelines.reporting.series import build_series
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.llm.ledger import CallLedger


class Cells(HTMLParser):
    """The page's table rows as lists of cell texts, and its SVG titles."""

    def __init__(self):
        super().__init__()
        self.rows, self.titles, self._tag = [], [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "tr":
            self.rows.append([])
        if tag == "svg":
            self.titles.append(dict(attrs).get("aria-label"))

    def handle_data(self, data):
        if self._tag == "td":
            self.rows[-1].append(data)

    def handle_endtag(self, tag):
        self._tag = None


def test_a_cost_with_unpriced_calls_says_so_and_an_all_unpriced_cost_is_unknown():
    assert cost_text(0.005) == "$0.0050" and cost_text(None) == "-"
    assert cost_text(0.005, 2) == "$0.0050 + 2 unpriced calls"
    assert cost_text(0.0, 1) == "unknown (1 unpriced call)"
    assert share_text(0.0025, 2) == "≥$0.0025" and share_text(0.0, 2) == "unknown" and share_text(None, 2) == "-"


def test_the_html_and_text_reports_show_unpriced_calls_wherever_cost_is_shown(tmp_path, capsys):
    store, now = local_store(), time.time()
    _calls(CallLedger(store), now)
    index = WorkflowIndex(assets={"drafts": "content_ops"})
    report = build_report(store, [], index, now - 60, now + 60)
    series = build_series(store, [], index, now - 60, now + 60, lambda asset, day: tmp_path / "none.parquet")

    page = Cells()
    page.feed(render(report, series))
    by_name = {}
    for row in page.rows:
        by_name.setdefault(row[0] if row else None, row)  # a name's first row: the workflow's is the cost table's
    assert by_name["content_ops"][4] == "$0.0050 + 2 unpriced calls"  # the workflow's cost column
    assert by_name["acme-llm-7b"][2] == "unknown (2 unpriced calls)"  # a model with no price: not $0
    assert by_name["gpt-4o-mini"][2] == "$0.0010"  # a priced model is shown as before
    assert "Model cost per day (USD); 2 unpriced calls not included" in page.titles

    print_summary(report)
    out = capsys.readouterr().out
    assert "content_ops: 0 runs, 0 succeeded (-); cost $0.0050 + 2 unpriced calls," in out
    assert "model acme-llm-7b: 2 calls, unknown (2 unpriced calls)," in out
