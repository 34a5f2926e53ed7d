"""Is a run worker process still alive on this host? Zombies and reused pids count as dead."""

import os
from pathlib import Path

# A pid whose process started this long after the run started belongs to someone else (pid reuse).
_START_SLACK_S = 2.0


def process_alive(pid: int, started_before: float | None = None) -> bool:
    """True while `pid` is a live (non-zombie) process that was already running at `started_before`."""
    if pid <= 0:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():  # no procfs (macOS): existence is all we can check
        return _signal_zero(pid)
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    state, start_ticks = fields[0], int(fields[19])
    if state in ("Z", "X", "x"):  # killed but not yet reaped by its parent
        return False
    if started_before is not None:
        started_at = _boot_time() + start_ticks / os.sysconf("SC_CLK_TCK")
        if started_at > started_before + _START_SLACK_S:
            return False
    return True


def _signal_zero(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0
