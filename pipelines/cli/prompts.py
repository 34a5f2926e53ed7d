"""`aiwf prompts list|diff|check|promote|rollback` and `aiwf eval`: see and change which prompt version answers.

Prompt files live next to their workflow (pipelines/<workflow>/prompts/NAME.yaml); their status (live,
candidate, retired) comes from the file unless `promote`/`rollback` overrode it in the Store, which the audit
trail records. `promote` scores the version and the live one on the prompt's eval set and refuses a version
that scores lower, unless --force. Listing and `check` record versions seen for the first time; `check` exits 1
naming each prompt whose text, params, tier or schema changed under a recorded version (run by `make test`).
"""

import difflib
import json
import sys


def _registry():
    from pipelines.prompt_catalog import registry

    return registry()


def _list(args) -> int:
    from pipelines.prompt_catalog import all_prompt_files

    reg = _registry()
    files = all_prompt_files()
    reg.record(files)
    for pf in files:
        if args.name and pf.name != args.name:
            continue
        status = reg.status(pf)
        _, share = reg.candidate(pf)
        for version, prompt in pf.versions.items():
            row = {"name": pf.name, "version": version, "hash": prompt.hash, "status": status[version]}
            if args.json:
                print(json.dumps(row))
            else:
                canary = f" (canary {share:.0%})" if status[version] == "candidate" and share else ""
                print(f"{pf.name}@{version}  {prompt.hash}  {status[version]}{canary}  tier {pf.tier(version) or '-'}")
    return 0


def _lines(pf, version: str) -> list[str]:
    prompt = pf.version(version)
    params = json.dumps(prompt.params, sort_keys=True, indent=2)
    return (["[system]", *prompt.system.splitlines(), "[user]", *prompt.template.splitlines(), "[params]",
             *params.splitlines(), f"[tier] {pf.tier(version) or '-'}"])


def _diff(args) -> int:
    from pipelines.prompt_catalog import prompt_file

    pf = prompt_file(args.name)
    diff = list(difflib.unified_diff(_lines(pf, args.v1), _lines(pf, args.v2), f"{pf.name}@{args.v1}",
                                     f"{pf.name}@{args.v2}", lineterm=""))
    print("\n".join(diff) if diff else f"{pf.name}@{args.v1} and @{args.v2} are identical")
    return 0


def _check(args) -> int:
    from pipelines.prompt_catalog import check_prompt_files
    from resources.llm.prompt_registry import PromptChanged

    try:
        files = check_prompt_files()
    except PromptChanged as exc:
        print(f"aiwf prompts check: {exc}", file=sys.stderr)
        return 1
    versions = sum(len(pf.versions) for pf in files)
    print(f"{len(files)} prompt files, {versions} versions: none changed under a recorded version")
    return 0


def eval_specs() -> dict:
    """prompt name → EvalSpec, from every workflow's `prompt_evals` list."""
    from pipelines.definitions import WORKFLOWS

    return {spec.prompt.name: spec for module in WORKFLOWS for spec in getattr(module, "prompt_evals", [])}


def run_eval(name: str, version: str, model: str | None = None) -> dict:
    """Score one prompt version on its eval set, against the offline double when no model is configured."""
    from contextlib import ExitStack

    from assets.prompt_evals import score_prompt
    from pipelines.cli.test_doubles import start_offline_model_if_needed
    from pipelines.resource_bindings import local_state
    from resources.llm import LLMResource

    spec = eval_specs().get(name)
    if spec is None:
        raise LookupError(f"prompt {name} has no eval set (add one to its workflow's prompt_evals)")
    with ExitStack() as stack:
        start_offline_model_if_needed(stack, lambda line: print(line, file=sys.stderr))
        return score_prompt(spec, LLMResource(state=local_state()), version, model=model)


def _eval(args) -> int:
    from pipelines.prompt_catalog import parse_ref

    pf, version = parse_ref(args.prompt, live=lambda pf: _registry().live(pf))  # NAME alone: the promoted one
    result = run_eval(pf.name, version, args.model)
    if not args.json:
        print(f"{pf.name}@{version} on {result['model']}: accuracy {result['accuracy']:.1%} over {result['rows']} "
              f"rows, cost ${result['cost_usd']:.6f}, latency p50 {result['latency_p50_ms']} ms / p95 "
              f"{result['latency_p95_ms']} ms")
        for field, acc in result["per_field"].items():
            print(f"  {field}: {acc:.1%}")
        for err in result["errors"]:
            print(f"  error: {err}")
        return 0
    print(json.dumps(result))
    return 0


def _promote(args) -> int:
    from pipelines.prompt_catalog import prompt_file

    pf = prompt_file(args.name)
    pf.version(args.version)
    reg = _registry()
    reg.record([pf])
    live = reg.live(pf)
    note = "forced" if args.force else ""
    if not args.force and args.version != live and pf.name in eval_specs():
        new, current = run_eval(pf.name, args.version), run_eval(pf.name, live)
        note = f"eval accuracy {new['accuracy']:.4f} vs live {current['accuracy']:.4f}"
        if new["accuracy"] < current["accuracy"]:
            print(f"aiwf: refusing to promote {pf.name}@{args.version}: it scores {new['accuracy']:.1%} on the "
                  f"eval set, below live version {live} ({current['accuracy']:.1%}); use --force to promote anyway",
                  file=sys.stderr)
            return 1
    reason = "; ".join(p for p in (args.reason, note) if p)
    eff = reg.promote(pf, args.version, reason=reason, actor=args.actor)
    print(f"{pf.name}: version {eff.live} is live" + (f" ({note})" if note else ""))
    return 0


def _rollback(args) -> int:
    from pipelines.prompt_catalog import prompt_file

    pf = prompt_file(args.name)
    reg = _registry()
    before = reg.effective(pf)
    eff = reg.rollback(pf, reason=args.reason or "manual rollback", actor=args.actor)
    if before.candidate:
        print(f"{pf.name}: candidate version {before.candidate} retired; only version {eff.live} answers")
    else:
        print(f"{pf.name}: version {eff.live} is live again (was {before.live})")
    return 0


def _guard(handler):
    def run(args) -> int:
        try:
            return handler(args)
        except (KeyError, LookupError, ValueError) as exc:
            print(f"aiwf: {exc.args[0] if exc.args else exc}", file=sys.stderr)
            return 2
    return run


def add_cli(sub) -> None:
    p = sub.add_parser("prompts", help="list, diff, promote and roll back versioned prompts")
    ps = p.add_subparsers(dest="prompts_command", required=True)
    ls = ps.add_parser("list", help="every prompt version with its hash and status (live/candidate/retired)")
    ls.add_argument("name", nargs="?", help="only this prompt")
    ls.add_argument("--json", action="store_true", help="one JSON object per line per prompt version")
    ls.set_defaults(func=_guard(_list))
    d = ps.add_parser("diff", help="unified diff of two versions' system, user template, params and tier")
    d.add_argument("name")
    d.add_argument("v1")
    d.add_argument("v2")
    d.set_defaults(func=_guard(_diff))
    ck = ps.add_parser("check", help="fail, naming the prompt, when a recorded version's text, params, tier or "
                                     "schema changed (records versions seen for the first time)")
    ck.set_defaults(func=_guard(_check))
    pr = ps.add_parser("promote", help="make a version live (refused when it scores below live on the eval set)")
    pr.add_argument("name")
    pr.add_argument("version")
    pr.add_argument("--force", action="store_true", help="promote even if it scores lower on the eval set")
    pr.add_argument("--reason", default="", help="why (recorded in the audit trail)")
    pr.add_argument("--actor", default=None, help="who (recorded in the audit trail)")
    pr.set_defaults(func=_guard(_promote))
    rb = ps.add_parser("rollback", help="retire the candidate (end a canary), else go back to the previous live")
    rb.add_argument("name")
    rb.add_argument("--reason", default="", help="why (recorded in the audit trail)")
    rb.add_argument("--actor", default=None, help="who (recorded in the audit trail)")
    rb.set_defaults(func=_guard(_rollback))

    e = sub.add_parser("eval", help="score a prompt version on its labelled eval set")
    e.add_argument("--prompt", required=True, help="NAME@VERSION (NAME alone: the file's live version)")
    e.add_argument("--model", default=None, help="answer with this model instead of the version's tier model")
    e.add_argument("--json", action="store_true", help="print only the JSON result")
    e.set_defaults(func=_guard(_eval))
