"""One `aiwf demo` per test session (tests/conftest.py `demo_home`): tests that need a home the demo used, not to
watch the demo itself, work on a private copy of it instead of running the demo again (about 15 s each)."""

import contextlib
import hashlib
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path


class CountingApp:
    """Every HTTP request the shop receives, whatever its route."""

    def __init__(self, app):
        self.app, self.requests = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


@dataclass
class DemoHome:
    """The home a first `aiwf demo --json` used (never changed after), with what the demo said and did: its exit
    code, summary and console lines, the cassette it recorded, the asset partitions it materialized, and the
    session's test-double shop (AIWF_SHOP_URL during the demo) with every request it received."""

    home: Path
    exit: int
    summary: dict
    stdout: str
    tape: Path
    materialized: dict
    shop_url: str
    shop: CountingApp
    shop_requests_by_demo: list = field(default_factory=list)

    def copy_to(self, target: Path) -> Path:
        """A private copy of the home at `target` (its SQLite files, DAGSTER_HOME and LanceDB folders included:
        every path in them is relative to AIWF_HOME or DAGSTER_HOME, read when a store or instance opens)."""
        shutil.copytree(self.home, target, symlinks=True, dirs_exist_ok=True)
        return target


def run_demo_json() -> tuple[int, dict, str]:
    """`aiwf demo --json` in this process: exit code, the summary (its last line) and the lines before it."""
    from pipelines import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["demo", "--json"])
    lines = out.getvalue().strip().splitlines()
    return code, json.loads(lines[-1]), "\n".join(lines[:-1])


def materialized() -> dict:
    """asset key -> partitions materialized, from the Dagster instance of the current AIWF_HOME."""
    from resources.state.home import open_dagster_instance

    with open_dagster_instance() as instance:
        return {k.to_user_string(): sorted(instance.get_materialized_partitions(k)) for k in
                instance.get_asset_keys() if instance.get_latest_materialization_event(k) is not None}


SOURCES = ("pipelines", "assets", "resources", "sensors", "tests/demo_home.py", "tests/conftest.py", "dagster.yaml",
           "pyproject.toml")


def tree_key(root: Path) -> str:
    """A digest of the code a demo runs (paths and contents), so a build made from other code is never reused."""
    digest = hashlib.sha256()
    for name in SOURCES:
        top = root / name
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def built_once(shared: Path, key: str, build, private: Path) -> Path:
    """`shared/key` once a first process has built it with `build(folder)` (pytest-xdist workers share `shared`);
    a process that finds that build still under way builds its own in `private` rather than wait idle for it.
    A build is used only once its `done.json` is written."""
    from filelock import FileLock, Timeout

    folder = shared / key
    try:
        with FileLock(str(shared / f"{key}.lock"), timeout=0):
            if not (folder / "done.json").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that died half-way
                folder.mkdir(parents=True)
                build(folder)
            return folder
    except Timeout:
        if (folder / "done.json").exists():  # built, and the lock only held by a reader checking it
            return folder
        build(private)
        return private
