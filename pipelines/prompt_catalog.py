"""Every workflow's prompt files (pipelines/<workflow>/prompts/*.yaml), found once per process.

Resources may not import pipelines, so this is where code that names a prompt by name looks it up; the
file format and the Store registry live in resources/llm (prompt_files.py, prompt_registry.py).
"""

import functools
from pathlib import Path

from resources.llm.prompt_files import PromptFile, find_prompt_files

PIPELINES = Path(__file__).resolve().parent


@functools.cache
def _catalog() -> dict[str, PromptFile]:
    return {pf.name: pf for pf in find_prompt_files(PIPELINES)}


def all_prompt_files() -> list[PromptFile]:
    """Every prompt file of every workflow, by name."""
    return sorted(_catalog().values(), key=lambda pf: pf.name)


def prompt_file(name: str) -> PromptFile:
    """One prompt file by prompt name; an unknown name is a clear error listing the known ones."""
    try:
        return _catalog()[name]
    except KeyError:
        raise KeyError(f"no prompt file for {name!r} (known: {', '.join(sorted(_catalog()))})") from None


def parse_ref(ref: str, live=None) -> tuple[PromptFile, str]:
    """NAME@VERSION (or NAME: the version in force, `live(pf)` — e.g. PromptRegistry.live, which follows
    promote/rollback — else the file's live version) → (prompt file, version), checked."""
    name, _, version = ref.partition("@")
    pf = prompt_file(name)
    version = version or (live(pf) if live else pf.live)
    pf.version(version)
    return pf, version


def verify_prompt_files(state=None) -> bool:
    """Refuse prompt text edited under a version already recorded in this home's Store (PromptChanged names the
    prompt and says to bump the version), recording versions seen for the first time. Called when Definitions
    load, so it stays cheap and creates nothing: on a fresh home (no database yet) there is nothing to compare
    with and it returns False; runs, `aiwf prompts` and `aiwf eval` record on first use."""
    import os

    from pipelines.resource_bindings import local_state
    from resources.llm.prompt_registry import PromptRegistry

    state = state or local_state()
    if not state.pg_url:
        home = Path(state.home or os.environ.get("AIWF_HOME") or ".aiwf").resolve()
        if not (home / "aiwf.db").exists():
            return False
    PromptRegistry(state.store()).record(all_prompt_files())
    return True


def registry(state=None):
    """The PromptRegistry of this process's state (AIWF_HOME / AIWF_PG_URL)."""
    from pipelines.resource_bindings import local_state
    from resources.llm.prompt_registry import PromptRegistry

    return PromptRegistry((state or local_state()).store())
