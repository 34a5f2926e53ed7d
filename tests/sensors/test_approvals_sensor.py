"""approved_items_sensor: one approval leads to exactly one downstream run, across ticks and a lost cursor."""

import json

import dagster as dg
import pytest
from aiwf_state import local_store

from resources.approvals.resource import ApprovalsResource
from resources.approvals.store import ApprovalStore
from resources.state.home import home_path
from sensors.approvals import APPROVAL_TAG, approval_for_run, approved_items_sensor


@dg.op
def publish(context, approvals: ApprovalsResource) -> None:
    """The downstream action: append the approved output to a file, once per run."""
    approval = approval_for_run(context, approvals)
    with open(home_path("actions") / "published.jsonl", "a") as f:
        f.write(json.dumps({"item": approval.item_key, "output": approval.output}) + "\n")


@dg.job(resource_defs={"approvals": ApprovalsResource()})
def publish_job():
    publish()


SENSOR = approved_items_sensor("content_ops", publish_job)


def _actions() -> list[dict]:
    path = home_path("actions") / "published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _tick(instance, cursor):
    """Evaluate one sensor tick and launch its run requests the way the daemon would (in process here)."""
    with dg.build_sensor_context(instance=instance, cursor=cursor,
                                 resources={"approvals": ApprovalsResource()}) as context:
        data = SENSOR.evaluate_tick(context)
    for request in data.run_requests:
        publish_job.execute_in_process(instance=instance, tags={**request.tags, "dagster/run_key": request.run_key})
    return data


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_one_approval_one_run_across_repeated_ticks_and_a_lost_cursor(instance):
    store = ApprovalStore(local_store())
    keep = store.propose("content_ops", "post-1", "approved text", risk="low")
    drop = store.propose("content_ops", "post-2", "rejected text")
    store.approve(keep.id, "alice")
    store.reject(drop.id, "bob", "off brand")

    first = _tick(instance, None)
    assert [r.run_key for r in first.run_requests] == [keep.id]
    assert first.run_requests[0].tags[APPROVAL_TAG] == keep.id
    cursor = first.cursor
    for _ in range(3):  # later ticks see nothing new
        later = _tick(instance, cursor)
        assert later.run_requests == [] and later.skip_message
        cursor = later.cursor or cursor
    restarted = _tick(instance, None)  # cursor lost (daemon restart, cursor reset): still no second run
    assert restarted.run_requests == []
    assert _actions() == [{"item": "post-1", "output": "approved text"}]


def test_later_approvals_and_edits_each_act_once_with_the_reviewers_output(instance):
    store = ApprovalStore(local_store())
    a = store.propose("content_ops", "post-1", "first")
    b = store.propose("content_ops", "post-2", "second draft")
    other = store.propose("returns", "order-9", {"refund": 5})
    store.approve(a.id, "alice")
    store.approve(other.id, "alice")  # another workflow: not this sensor's business
    cursor = _tick(instance, None).cursor
    store.edit_and_approve(b.id, "carol", "second draft, fixed")
    second = _tick(instance, cursor)
    assert [r.run_key for r in second.run_requests] == [b.id]
    _tick(instance, second.cursor)
    assert _actions() == [{"item": "post-1", "output": "first"}, {"item": "post-2", "output": "second draft, fixed"}]


def test_a_run_for_a_rejected_or_missing_approval_refuses_to_act(instance):
    store = ApprovalStore(local_store())
    rejected = store.propose("content_ops", "post-3", "nope")
    store.reject(rejected.id, "bob", "wrong facts")
    result = publish_job.execute_in_process(instance=instance, tags={APPROVAL_TAG: rejected.id}, raise_on_error=False)
    assert not result.success and _actions() == []
    untagged = publish_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not untagged.success
