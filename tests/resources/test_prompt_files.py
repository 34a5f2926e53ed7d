"""Prompt files and the prompt registry: parsing with clear errors, first-use recording, refusal of text edited
under an unchanged version, and promote/rollback status overrides recorded in the audit trail."""

import json

import pytest
from aiwf_state import local_store

from resources.audit.log import AuditLog
from resources.llm.prompt_files import PromptFileError, find_prompt_files, load_prompt_file
from resources.llm.prompt_registry import PromptChanged, PromptRegistry


def write(path, *, user1="Say {x}.", user2="Please say {x}.", live="1", candidate="2", share=0.0, extra=""):
    path.write_text(f"name: greet\ncompare: [answer]\nlive: '{live}'\n"
                    + (f"candidate: '{candidate}'\n" if candidate else "") + f"share: {share}\n{extra}"
                    + f"versions:\n  '1': {{system: Be brief., user: {json.dumps(user1)}, tier: cheap}}\n"
                    + f"  '2': {{user: {json.dumps(user2)}, params: {{temperature: 0.2}}}}\n")
    return load_prompt_file(path)


def test_a_prompt_file_gives_prompts_per_version_and_its_status(tmp_path):
    pf = write(tmp_path / "greet.yaml", share=0.25)
    assert (pf.name, pf.live, pf.candidate, pf.share, pf.compare) == ("greet", "1", "2", 0.25, ("answer",))
    assert pf.versions["1"].render(x="hi") == [{"role": "system", "content": "Be brief."},
                                               {"role": "user", "content": "Say hi."}]
    assert pf.versions["2"].params == {"temperature": 0.2} and pf.tier("1") == "cheap" and pf.tier("2") is None
    assert [pf.file_status(v) for v in ("1", "2")] == ["live", "candidate"]
    with pytest.raises(KeyError, match="greet has no version '9'"):
        pf.version("9")


@pytest.mark.parametrize("extra, live, candidate, share, message", [
    ("", "3", None, 0.0, "live version '3' is not among versions"),
    ("", "1", "1", 0.0, "candidate and live are both version 1"),
    ("", "1", None, 0.5, "share must be in \\[0, 1\\] and needs a candidate"),
    ("owner: me\n", "1", None, 0.0, "unknown keys \\['owner'\\]"),
])
def test_a_bad_prompt_file_is_a_clear_error_naming_the_file(tmp_path, extra, live, candidate, share, message):
    with pytest.raises(PromptFileError, match=message) as err:
        write(tmp_path / "bad.yaml", live=live, candidate=candidate, share=share, extra=extra)
    assert "bad.yaml" in str(err.value)


def test_two_files_naming_one_prompt_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder / "prompts").mkdir(parents=True)
        write(tmp_path / folder / "prompts" / "greet.yaml")
    with pytest.raises(PromptFileError, match="prompt greet is defined twice"):
        find_prompt_files(tmp_path)


def test_text_edited_without_a_version_bump_is_refused_naming_the_prompt(tmp_path):
    registry = PromptRegistry(local_store())
    registry.record([write(tmp_path / "greet.yaml")])  # first use: recorded
    registry.record([write(tmp_path / "greet.yaml")])  # same text again: fine
    edited = write(tmp_path / "greet.yaml", user1="Say {x}, politely.")
    with pytest.raises(PromptChanged, match="prompt 'greet' version 1 changed .*bump the version"):
        registry.record([edited])
    bumped = tmp_path / "bumped.yaml"
    bumped.write_text((tmp_path / "greet.yaml").read_text().replace("'1': {system", "'3': {system")
                      .replace("live: '1'", "live: '3'"))
    registry.record([load_prompt_file(bumped)])  # the edit under a new version is accepted
    assert {(r["version"], r["hash"]) for r in registry.recorded("greet")} >= {("3", edited.versions["1"].hash)}


def test_promote_and_rollback_override_the_file_and_are_audited(tmp_path):
    pf = write(tmp_path / "greet.yaml", share=0.1)
    registry = PromptRegistry(local_store())
    assert registry.status(pf) == {"1": "live", "2": "candidate"} and registry.candidate(pf) == ("2", 0.1)

    registry.rollback(pf, reason="canary looked bad", actor="ops")  # with a candidate: retire it
    assert registry.status(pf) == {"1": "live", "2": "retired"} and registry.candidate(pf) == (None, 0.0)
    with pytest.raises(ValueError, match="nothing to roll back"):
        registry.rollback(pf)

    registry.promote(pf, "2", reason="eval is better", actor="ops")
    assert registry.status(pf) == {"1": "retired", "2": "live"}
    with pytest.raises(ValueError, match="already live"):
        registry.promote(pf, "2")
    registry.rollback(pf, reason="users complained")  # no candidate: back to the version live before
    assert registry.live(pf) == "1"

    events = [(e["kind"], e["payload"]["reason"]) for e in AuditLog(local_store()).entries()
              if e["kind"].startswith("prompt_") and e["kind"] != "prompt_version_recorded"]
    assert events == [("prompt_rollback_candidate", "canary looked bad"), ("prompt_promote", "eval is better"),
                      ("prompt_rollback", "users complained")]


def test_a_newer_file_decision_wins_over_an_older_override(tmp_path):
    pf = write(tmp_path / "greet.yaml")
    registry = PromptRegistry(local_store())
    registry.rollback(pf)
    assert registry.candidate(pf) == (None, 0.0)
    renamed = write(tmp_path / "greet.yaml", live="2", candidate="1")  # someone edited live/candidate since
    assert registry.status(renamed) == {"1": "candidate", "2": "live"}


def test_the_registry_works_the_same_on_postgres(tmp_path, pg_url):
    from resources.state.store import Store

    registry = PromptRegistry(Store(pg_url, local_store().home))
    pf = write(tmp_path / "greet.yaml", share=0.2)
    registry.record([pf])
    with pytest.raises(PromptChanged, match="prompt 'greet' version 2 changed"):
        registry.record([write(tmp_path / "greet.yaml", user2="Kindly say {x}.", share=0.2)])
    registry.promote(pf, "2", reason="better")
    assert registry.status(pf) == {"1": "retired", "2": "live"} and registry.candidate(pf) == (None, 0.0)
    registry.rollback(pf)
    assert registry.live(pf) == "1"


def test_params_or_tier_edited_without_a_version_bump_are_refused_naming_the_prompt(tmp_path):
    registry = PromptRegistry(local_store())
    pf = write(tmp_path / "greet.yaml")
    registry.record([pf])
    hotter = load_prompt_file_text(tmp_path / "greet.yaml", "temperature: 0.2", "temperature: 0.9")
    assert hotter.versions["2"].hash == pf.versions["2"].hash  # same text: Prompt.hash (cache key) unchanged
    with pytest.raises(PromptChanged, match="prompt 'greet' version 2 changed: its params, tier or output schema "
                                            "differ .*edited.yaml\\): bump the version"):
        registry.record([hotter])
    stronger = load_prompt_file_text(tmp_path / "greet.yaml", "tier: cheap", "tier: strong")
    with pytest.raises(PromptChanged, match="prompt 'greet' version 1 changed: its params, tier"):
        registry.record([stronger])
    registry.record([pf])  # put back as recorded: fine


def test_versions_recorded_before_content_hashes_are_filled_not_refused(tmp_path):
    registry = PromptRegistry(local_store())
    pf = write(tmp_path / "greet.yaml")
    registry.store.executemany("INSERT INTO prompt_versions (name, version, hash, first_seen) VALUES (?, ?, ?, 0)",
                               [("greet", v, p.hash) for v, p in pf.versions.items()])  # an older home's rows
    registry.record([pf])  # upgrading: the text is unchanged, so its content hash is filled in
    assert {r["version"]: r["content_hash"] for r in registry.recorded("greet")} == {
        v: pf.content_hash(v) for v in pf.versions}
    with pytest.raises(PromptChanged, match="prompt 'greet' version 2 changed: its params"):
        registry.record([load_prompt_file_text(tmp_path / "greet.yaml", "temperature: 0.2", "temperature: 0.5")])


def load_prompt_file_text(path, old: str, new: str):
    """The prompt file at `path` with one edit, as a new file beside it (same prompt name)."""
    edited = path.with_name("edited.yaml")
    text = path.read_text()
    assert old in text
    edited.write_text(text.replace(old, new))
    return load_prompt_file(edited)


def test_promote_and_rollback_reach_direct_callers_but_not_explicit_versions(tmp_path, offline_llm, monkeypatch):
    """A module-level `pf.live_prompt` handle follows the Store's live version in every session; `pf.version(v)`
    (what shadow runs, evals and canaries ask) is that version whatever is live."""
    from resources.llm.ledger import CallLedger

    pf, registry = write(tmp_path / "greet.yaml", candidate=None), PromptRegistry(local_store())
    handle = pf.live_prompt
    assert handle == pf.versions["1"] and handle.hash == pf.versions["1"].hash  # eq and hash ignore the handle

    def answered(prompt, x="hi") -> tuple[str, str]:
        offline_llm.session().complete(prompt, {"x": x})
        row = CallLedger(local_store()).rows()[-1]
        return row["prompt_version"], row["prompt_hash"]

    assert answered(handle) == ("1", pf.versions["1"].hash)
    registry.promote(pf, "2", reason="reads better")
    assert answered(handle) == ("2", pf.versions["2"].hash)
    assert answered(pf.version("1")) == ("1", pf.versions["1"].hash)  # explicit: never swapped
    registry.rollback(pf, reason="users complained")
    assert answered(handle) == ("1", pf.versions["1"].hash)
    assert answered(pf.version("2")) == ("2", pf.versions["2"].hash)

    reads = []
    live = PromptRegistry.live
    monkeypatch.setattr(PromptRegistry, "live", lambda self, f: reads.append(f.name) or live(self, f))
    session = offline_llm.session()
    for x in ("a", "b", "c"):
        session.complete(handle, {"x": x})
    assert reads == ["greet"]  # one Store read per prompt per session
    assert session.prompt_in_force(handle) == pf.versions["1"]
    assert session.prompt_in_force(pf.versions["2"]).version == "2"
