"""A one-step job whose step makes a model call in a forked step process (tests/resources/test_telemetry.py).

Its own module, importing nothing of OpenTelemetry, so the fork server that preloads it shows what a step
process imports by itself."""

import os
import sys

import dagster as dg

from pipelines.executor import forked_multiprocess_executor
from resources.llm import LLMResource
from resources.llm.prompts import Prompt

ASK = Prompt("telemetry_probe", "3", "Say something about {topic}.")


@dg.op(required_resource_keys={"llm"})
def ask_model(context) -> dict:
    session = context.resources.llm.session(context)
    session.complete(ASK, {"topic": "tracing"})
    session.complete(ASK, {"topic": "tracing"})  # the same request again: a cache hit, a span too
    return {"pid": os.getpid(), "otel_modules": sorted(m for m in sys.modules if m.startswith("opentelemetry"))}


@dg.job(executor_def=forked_multiprocess_executor, resource_defs={"llm": LLMResource()})
def model_call_job():
    ask_model()
