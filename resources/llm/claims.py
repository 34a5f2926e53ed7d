"""Never pay twice across runs: a request about to be sent is claimed by its hash in the shared Store.

Two runs, processes or Celery workers sending the same request at once would each pay for it (the cache only
helps once an answer is stored). So the sender of a cache miss first takes a lease named after the request
hash (resources/state/leases.py); a second sender that finds it taken waits for the answer to appear in the
cache instead of sending. The claim ends once the answer is stored, or when the sender gives up; a waiter that
finds it gone looks at the cache once more, then sends itself. A sender that died stops renewing: its claim
expires (at once when its process is seen gone on this host, or its run is finished in the Dagster instance) and
a waiter takes over. Waits are bounded
(`claim_wait_s`): past it the waiter sends itself rather than hang. Identical requests within one session are
merged earlier, in memory (resources/llm/caching.py InFlight).
"""

import logging
import time
import uuid
from typing import Callable

from resources.state.leases import Holder, Leases, gone, owner_label, owner_name
from resources.state.store import Store

log = logging.getLogger("aiwf.llm.claims")
PREFIX = "llm_request:"
POLL_S = (0.02, 0.5)  # first and longest pause between looks at the cache while another sender works


def new_owner(run_id: str | None) -> str:
    """A claim owner unique to one session: run, a random part, host and process (never a secret)."""
    return owner_name(f"{run_id or 'no-run'}/{uuid.uuid4().hex[:8]}")


def run_of(owner: str) -> str:
    """The run id in a claim owner's name (`new_owner`)."""
    return owner_label(owner).partition("/")[0]


def finished_runs(context) -> Callable[[str], bool]:
    """Whether a run (by id) has finished or failed in the context's Dagster instance: its claims are dead work."""

    def finished(run_id: str) -> bool:
        try:
            run = context.instance.get_run_by_id(run_id) if run_id != "no-run" else None
        except Exception:  # no context, no instance, or not a run id: only the TTL (or a gone process) tells
            return False
        return run is not None and run.is_finished

    return finished


class RequestClaims:
    """Claims on request hashes for one session; `plan` waits for the other sender's answer (or None)."""

    def __init__(self, store: Store, owner: str, ttl_s: float, wait_s: float,
                 say: Callable[[str], None] | None = None, cache=None,
                 finished: Callable[[str], bool] = lambda run_id: False):
        self.leases, self.owner, self.ttl_s, self.wait_s = Leases(store), owner, ttl_s, wait_s
        self.finished = finished  # run id -> the run has ended (`finished_runs`): its claims are taken at once
        self.cache = cache  # a ResponseCache: `claim` reads it and takes the request in one transaction
        self.say = say or log.info
        self.waited = 0  # requests this session waited for instead of sending
        self.taken: dict[str, float] = {}  # request hash -> when this session took (or last renewed) its claim

    def take(self, request_hash: str, replacing: str | None = None):
        """Claim the request: None when this session may send it, else the live holder."""
        holder = self.leases.take(PREFIX + request_hash, self.owner, self.ttl_s, replacing)
        if holder is None:
            self.taken[request_hash] = time.monotonic()
        return holder

    def claim(self, request_hash: str) -> tuple[Holder | None, dict | None]:
        """The cache entry, or the claim, in one transaction: the cache is read; on a miss the request is taken
        and, once ours, the cache read again (its sender stores the answer and ends its claim in one transaction,
        and on Postgres each statement sees what committed before it), so an answer is never missed.
        (None, entry): answered, no claim kept; (None, None): ours to send; (holder, None): holder sends it."""
        name = PREFIX + request_hash

        def work(cur):
            entry = self.cache.get_in(cur, request_hash)
            if entry is not None:
                return None, entry
            holder = self.leases.take_in(cur, name, self.owner, self.ttl_s)
            if holder is None and (entry := self.cache.get_in(cur, request_hash)) is not None:
                self.leases.release_in(cur, name, self.owner)
            return holder, entry

        holder, entry = self.leases.store.transact(work)
        if holder is None and entry is None:
            self.taken[request_hash] = time.monotonic()
        elif entry is not None:
            self.taken.pop(request_hash, None)
        return holder, entry

    def release_in(self, cur, request_hash: str) -> bool:
        """End this session's claim inside the transaction storing its answer; `forget` it once that committed."""
        if request_hash not in self.taken:
            return False
        self.leases.release_in(cur, PREFIX + request_hash, self.owner)
        return True

    def forget(self, request_hash: str) -> None:
        self.taken.pop(request_hash, None)

    def keep(self) -> None:
        """Renew this session's claims past half their lifetime (called around every wait and before each send)."""
        now = time.monotonic()
        for request_hash, since in list(self.taken.items()):
            if now - since > self.ttl_s / 2:
                self.leases.renew(PREFIX + request_hash, self.owner, self.ttl_s)
                self.taken[request_hash] = now

    def dead(self, owner: str) -> bool:
        """A holder whose process is gone from this host, or whose run has finished or failed."""
        return gone(owner) or self.finished(run_of(owner))

    def release(self, request_hash: str) -> None:
        """Give the claim up (after its answer is stored, or when sending failed)."""
        if self.taken.pop(request_hash, None) is not None:
            self.leases.release(PREFIX + request_hash, self.owner)

    def _recheck(self, request_hash: str, answer: Callable[[], object | None]):
        """Just claimed: the answer may have landed a moment before (its sender stores it, then ends its claim)."""
        result = answer()
        if result is not None:
            self.release(request_hash)
        return result

    def plan(self, request_hash: str, what: str, answer: Callable[[], object | None],
             found: Callable[[dict], object] | None = None):
        """Claim, or wait for the holder's answer (`answer()` reads the cache): yields pauses (the session's driver
        sleeps them) and returns the answer, or None: send it yourself. With `found` (a cache entry -> the
        answer) and a cache, the first look and the claim share a transaction."""
        if found is not None and self.cache is not None:
            holder, entry = self.claim(request_hash)
            if entry is not None:
                return found(entry)
            if holder is None:
                return None
            if self.dead(holder.owner) and self.take(request_hash, holder.owner) is None:  # dead work: ours now
                return self._recheck(request_hash, answer)
        else:
            holder = self.take(request_hash)
            if holder is None:
                return self._recheck(request_hash, answer)
        self.waited += 1
        (self.say if self.waited == 1 else log.debug)(  # the first wait of a session on the run page, the rest quieter
            f"waiting for {what}: the same request (hash {request_hash[:12]}) is being sent by {holder.owner}; "
            "its answer will be used, so it is paid once")
        deadline, pause = time.monotonic() + self.wait_s, POLL_S[0]
        while True:
            yield pause
            pause = min(pause * 1.5, POLL_S[1])
            result = answer()
            if result is not None:
                return result
            current = self.leases.holder(PREFIX + request_hash)
            stale = current.owner if current is not None and self.dead(current.owner) else None
            if (current is None or stale) and self.take(request_hash, stale) is None:
                result = self._recheck(request_hash, answer)
                if result is None:
                    self.say(f"{what}: the other sender's claim ended without an answer; sending it here")
                return result
            if time.monotonic() > deadline:
                self.say(f"{what}: no answer after waiting {self.wait_s:g}s for {holder.owner}; sending it here")
                return None
