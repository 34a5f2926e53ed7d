"""Leases in the Store: exactly one taker wins, the holder renews and releases, a lapsed lease is taken over."""

import threading
import time

import pytest
from aiwf_state import local_store

from resources.state.leases import Leases, gone, owner_label, owner_name
from resources.state.resource import StateResource


def _race(leases: Leases, n: int = 8) -> list:
    start, won = threading.Barrier(n), []

    def take(i):
        start.wait()
        if leases.take("job", f"owner-{i}", ttl_s=30) is None:
            won.append(i)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return won


def _life_cycle(leases: Leases) -> None:
    assert len(_race(leases)) == 1
    holder = leases.holder("job")
    assert holder is not None and 25 < holder.seconds_left() <= 30
    assert leases.take("job", "late", ttl_s=30).owner == holder.owner  # a second taker learns who holds it
    assert leases.take("job", holder.owner, ttl_s=60) is None  # the holder renews by taking again
    assert leases.renew("job", holder.owner, ttl_s=0.2) and not leases.renew("job", "late", ttl_s=30)
    time.sleep(0.3)
    assert leases.holder("job") is None and leases.take("job", "late", ttl_s=30) is None  # lapsed: taken over
    assert leases.take("job", "third", ttl_s=30, replacing="late") is None  # a holder known gone is replaced
    leases.release("job", "late")  # not the holder any more: nothing happens
    assert leases.holder("job").owner == "third"
    leases.release("job", "third")
    assert leases.holder("job") is None


def test_one_taker_wins_and_a_lapsed_lease_is_taken_over():
    _life_cycle(Leases(local_store()))


@pytest.mark.integration
def test_leases_on_postgres(pg_url):
    _life_cycle(Leases(StateResource(pg_url=pg_url).store()))


def test_owner_names_tell_a_process_gone_from_this_host():
    me = owner_name("run-1")
    assert owner_label(me) == "run-1" and not gone(me)
    assert not gone("run-1") and not gone("run-1@elsewhere:1")  # unknown host or no host part: not known gone
    assert gone(me.rpartition(":")[0] + ":999999999")
