"""The row engine's re-ask hook: a refused answer is asked again with its problems in `feedback`, at most
`max_reasks` times, then the row fails with the problems; escalation is checked first, and the two compose."""

from types import SimpleNamespace

import pytest

from assets.llm_map.engine import BatchEngine, Budget, feedback_text, run_async
from assets.llm_map.factory import llm_map
from assets.llm_map.rows import RowRequest
from resources.llm.prompts import Prompt


class Session:
    """A session double: answers from `answer(tier, variables)`, remembering every call."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []
        self.resource = SimpleNamespace(model_for=lambda tier: "gpt-4o-mini")

    def use_budget(self, budget):
        pass

    async def acomplete(self, prompt, variables, tier, response_model):
        self.calls.append((tier, dict(variables)))
        return SimpleNamespace(text=self.answer(tier, variables), parsed=None, cached=False, cost_usd=0.001,
                               tokens_in=10, tokens_out=5, model=tier)

    async def aclose(self):
        pass


def run(session, *, reask_on, validator=None, max_reasks=1):
    done = {"ok": [], "failed": [], "spent": []}
    engine = BatchEngine(session, prompt=None, response_model=None, tier="cheap",
                         escalate_to="strong" if validator else None, validator=validator, concurrency=2,
                         budget=Budget(), succeed=lambda r, res, tier, esc: done["ok"].append((r, res.text, tier)),
                         fail=lambda r, cls, why, attempts: done["failed"].append((r.keys[0], cls, why, attempts)),
                         spend=lambda usd, tokens: done["spent"].append(usd), reask_on=reask_on,
                         max_reasks=max_reasks)
    request = RowRequest(["r1"], {"n": 3}, {"text": "x", "feedback": ""}, "h1", 10, [{"n": 3}])
    run_async(engine.run([request]))
    return done, request


def test_a_refused_answer_is_asked_again_with_its_problems():
    session = Session(lambda tier, v: "fixed" if v["feedback"] else "wrong")
    done, request = run(session, reask_on=lambda row, answer: None if answer == "fixed" else ["too short", "no n"])
    assert [v["feedback"] for _, v in session.calls] == ["", feedback_text(["too short", "no n"])]
    assert "- too short\n- no n\n" in session.calls[1][1]["feedback"]
    assert [(r.keys, text) for r, text, _ in done["ok"]] == [(["r1"], "fixed")] and request.reasks == 1
    assert done["spent"] == [0.001]  # the refused answer was paid for, not kept


def test_still_refused_after_the_last_reask_fails_the_row_with_the_problems():
    session = Session(lambda tier, v: "wrong")
    done, _ = run(session, reask_on=lambda row, answer: f"n must be {row['n']}", max_reasks=2)
    assert len(session.calls) == 3
    assert done["failed"] == [("r1", "invalid_after_reask", "n must be 3", 3)] and not done["ok"]


def test_escalation_is_checked_first_and_the_reask_stays_on_the_escalated_tier():
    session = Session(lambda tier, v: f"{tier}:{'fixed' if v['feedback'] else 'draft'}")
    done, _ = run(session, validator=lambda row, answer: "too weak" if answer.startswith("cheap") else None,
                  reask_on=lambda row, answer: None if answer.endswith("fixed") else "not fixed")
    assert [(tier, bool(v["feedback"])) for tier, v in session.calls] == [
        ("cheap", False), ("strong", False), ("strong", True)]
    assert [(text, tier) for _, text, tier in done["ok"]] == [("strong:fixed", "strong")]


def test_a_reask_check_that_raises_fails_the_row_without_asking_again():
    session = Session(lambda tier, v: "x")
    done, _ = run(session, reask_on=lambda row, answer: 1 / 0)
    assert len(session.calls) == 1 and done["failed"][0][1] == "validator_error"


def test_reask_needs_a_feedback_variable_in_the_prompt():
    with pytest.raises(ValueError, match="feedback"):
        llm_map("no_feedback_here", source="rows", prompt=Prompt("p", "1", "Say {text}"), key_column="id",
                text_columns=["text"], reask_on=lambda row, answer: None)
