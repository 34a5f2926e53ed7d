"""One run at a time per batch-asset partition: a second run waits for the first, then resumes from its checkpoints.

Without it two runs of the same partition (a sensor and a manual launch, a backfill overlapping a schedule)
would each send every row not yet checkpointed and pay for it twice. The lease row in the Store names the run
holding the partition and is renewed by a heartbeat thread. A lease is taken at once from an earlier attempt of
the same run, from a run Dagster says has finished, or from a process on this host that is gone; otherwise
the lease of a run that died expires within TTL_S. So a waiter never waits long on a dead run.
"""

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from resources.state.leases import Leases, gone, owner_label, owner_name
from resources.state.store import Store

log = logging.getLogger("aiwf.llm_map.lease")
TTL_S = 60.0  # a crashed holder is waited for at most this long


def lease_name(asset_key: str, partition: str) -> str:
    """The lease of one batch-asset partition (also read by sensors/batch_jobs.py, which leaves held ones be)."""
    return f"llm_map:{asset_key}:{partition}"
HEARTBEAT_S = 10.0
POLL_S = 1.0
SAY_EVERY_S = 9.0  # a waiting step still says something at least every 10 s


@contextmanager
def partition_lease(store: Store, what: str, name: str, run_id: str, say: Callable[[str], None],
                    finished: Callable[[str], bool] = lambda run_id: False,
                    done_so_far: Callable[[], int] = lambda: 0) -> Iterator[float]:
    """Hold the partition's lease for the body (yields the seconds waited for another run first).

    `finished(run_id)` says whether a holding run has ended (its lease is then stale); `done_so_far()` counts
    the holder's checkpointed rows for the waiting message.
    """
    leases, started, owner = Leases(store), time.monotonic(), owner_name(run_id)

    def stale(holder) -> str | None:
        label = owner_label(holder.owner)
        return holder.owner if label == run_id or gone(holder.owner) or finished(label) else None

    holder, said = leases.take(name, owner, TTL_S), None
    while holder is not None:
        if (ended := stale(holder)) is not None:  # its run or process has ended: take the lease over now
            holder = leases.take(name, owner, TTL_S, replacing=ended)
            continue
        if said is None or time.monotonic() - said >= SAY_EVERY_S:
            say(f"{what} is being materialized by run {owner_label(holder.owner)} (lease expires in "
                f"{max(0.0, holder.seconds_left()):.0f}s unless renewed; {done_so_far()} rows checkpointed so far): "
                "waiting for it, then resuming from its checkpoints instead of paying for the same rows again")
            said = time.monotonic()
        time.sleep(POLL_S)
        holder = leases.holder(name) or leases.take(name, owner, TTL_S)
    waited = time.monotonic() - started
    if waited > POLL_S / 2:
        say(f"{what}: the other run is done after {waited:.0f}s of waiting; resuming from its checkpoints")
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(leases, name, owner, stop), daemon=True,
                            name=f"aiwf-lease-{name}")
    beat.start()
    try:
        yield waited
    finally:
        stop.set()
        beat.join(5)
        leases.release(name, owner)


def _heartbeat(leases: Leases, name: str, owner: str, stop: threading.Event) -> None:
    """Renew the lease until stopped (a thread of its own: a busy event loop must not let the lease lapse)."""
    while not stop.wait(HEARTBEAT_S):
        try:
            if not leases.renew(name, owner, TTL_S):
                log.warning("lease %s lapsed (not renewed for %ss); taking it again", name, TTL_S)
                leases.take(name, owner, TTL_S)
        except Exception:  # a store hiccup: the next beat tries again, well within the lease's life
            log.warning("lease heartbeat for %s failed; retrying", name, exc_info=True)
