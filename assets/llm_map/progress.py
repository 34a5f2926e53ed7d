"""Progress of a long batch in the run's event log: rows done of total, failures, spend, rate and ETA.

A batch of hundreds of thousands of rows runs for minutes to hours inside one step; without this the run page
shows nothing after STEP_INPUT. Lines go through `context.log.info` at each phase (preparing, waiting for
another run, sending) and at most every `every_s` seconds in between, always from the step's own thread.
"""

import asyncio
import time
from typing import Callable


class Progress:
    """Rate-limited progress lines for one batch asset partition."""

    def __init__(self, say: Callable[[str], None], what: str, every_s: float = 10.0):
        self.say, self.what, self.every_s = say, what, every_s
        self.started = self.last = time.monotonic()

    def phase(self, text: str) -> None:
        """A line now (a phase began or ended)."""
        self.say(f"{self.what}: {text}")
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every_s

    def every(self, text: Callable[[], str]) -> None:
        """A line if `every_s` passed since the last one (text is built only then)."""
        if self.due():
            self.phase(text())

    async def ticker(self, text: Callable[[], str]) -> None:
        """Log `text()` every `every_s` seconds until cancelled (a task on the batch's event loop)."""
        while True:
            await asyncio.sleep(max(0.0, self.every_s - (time.monotonic() - self.last)))
            self.every(text)


def batch_line(done: int, total: int, failed: int, spent_usd: float, answered: int, elapsed_s: float,
               resumed: int) -> str:
    """'1,234/344,000 rows done (0.4%), 3 failed, $0.0123 spent, 45.2 rows/s, ETA 2h07m (1,000 from checkpoints)'."""
    rate = answered / elapsed_s if elapsed_s > 0 else 0.0
    left = max(0, total - done)
    eta = _duration(left / rate) if rate > 0 else "unknown"
    share = f" ({done / total:.1%})" if total else ""
    return (f"{done:,}/{total:,} rows done{share}, {failed:,} failed, ${spent_usd:.4f} spent, {rate:.1f} rows/s, "
            f"ETA {eta if left else 'now'} ({resumed:,} from checkpoints)")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
