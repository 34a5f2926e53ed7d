"""PII redaction is on by default: only the offline test double the `aiwf` commands start sees raw text."""

from resources.llm import LLMResource, Prompt
from resources.offline.keys import OFFLINE_KEY

NOTE = Prompt("echo_note", "1", system="Repeat the note.", template="Note: {note}")
TEXT = "The customer jane.doe@example.com asked for a callback on +44 20 7946 0958 about the broken grinder."


def _answer(server, **kwargs) -> str:
    llm = LLMResource(base_url=server.url, use_cache=False, backoff_base_s=0.01, **kwargs)
    return llm.session().complete(NOTE, {"note": TEXT}).text


def test_prompts_are_redacted_by_default_before_they_leave(offline_server):
    seen = _answer(offline_server, api_key="sk-real-provider-key-0001")  # the double answers from what it got
    assert "jane.doe@example.com" not in seen and "7946 0958" not in seen
    assert "[EMAIL]" in seen or "[PHONE]" in seen


def test_the_offline_double_and_an_explicit_setting_see_raw_text(offline_server):
    assert "jane.doe@example.com" in _answer(offline_server, api_key=OFFLINE_KEY)
    assert "jane.doe@example.com" in _answer(offline_server, api_key="sk-real-provider-key-0001", redact_pii=False)
