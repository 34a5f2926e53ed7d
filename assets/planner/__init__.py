"""Goals to plans to safe actions: a planner asset over a tool registry (`factory`), rules that check a plan
before anything runs (`rules`), and an executor asset that runs plans as sagas (`executor_asset`)."""

from assets.planner.saga_runner import Outcome, SagaRunner
from assets.planner.executor_asset import ExecutorSpec, executor_asset, run_plans
from assets.planner.factory import PlannerSpec, planner_asset
from assets.planner.plan import as_data, describe, plan_hash, plan_model
from assets.planner.rules import validate
from assets.planner.store import PlanStore

__all__ = ["ExecutorSpec", "Outcome", "PlanStore", "PlannerSpec", "SagaRunner", "as_data", "describe", "executor_asset",
           "plan_hash", "plan_model", "planner_asset", "run_plans", "validate"]
