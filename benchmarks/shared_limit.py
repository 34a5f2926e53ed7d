"""Rate limits shared across processes: N workers calling as fast as they can through LLMSession stay within one budget.

    python -m benchmarks.shared_limit --processes 3 --rpm 600 --seconds 30 --json
    python -m benchmarks.shared_limit --processes 3 --rpm 600 --seconds 30 --base-url http://host:8000/v1 --json

Three phases, each a set of processes that wait at a common start line, then send chat requests through
`LLMSession.acomplete` (`--concurrency` at once each, response cache off) until `--seconds` have passed:
(1) `--processes` workers with `requests_per_minute=--rpm` and the shared limiter (`rate_limit_url`, Redis by
default); (2) one process with no limiter (`single_process_unlimited_rpm`: what one worker alone reaches);
(3) `--processes` workers each with its own per-process limiter of `--rpm` (`per_process_rpm`: what the
limit becomes without sharing). Phases (2) and (3) run `--baseline-seconds` each.

`max_rpm_observed`: with `--seconds` >= 60, the most requests the server saw in any 60 s sliding window;
shorter runs have no full minute, so it is the most seen in any sliding window of the run's length, scaled to
a minute (count x 60 / seconds); either includes the limiter's burst (one request). The baselines' rpm are
measured the same way over their own length. Requests are timed where they arrive: by the
offline test double (started here unless `--base-url`, its `/_control?arrivals=1`), or, for any other
server, by the clients when each answer comes back (`observed_by`). Last line of stdout: one JSON object.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import tempfile
import time


def _worker(base_url, api_key, limit_url, rpm, seconds, concurrency, home, ready, go, out) -> None:
    """One worker process: build a session, wait for the start line, then call as fast as allowed."""
    os.environ["AIWF_HOME"] = home
    import logging

    logging.disable(logging.WARNING)
    from resources.llm import LLMResource
    from resources.llm.prompts import Prompt

    llm = LLMResource(base_url=base_url, api_key=api_key, use_cache=False, requests_per_minute=rpm,
                      rate_limit_url=limit_url, redact_pii=False)
    prompt = Prompt("rate_probe", "1", template="Say ok to probe {i} of worker {w}.")
    done: list[float] = []
    errors = 0

    async def main(session) -> None:
        nonlocal errors
        end = go_at + seconds
        counter = iter(range(10**9))

        async def loop() -> None:
            nonlocal errors
            while time.time() < end:
                try:
                    await session.acomplete(prompt, {"i": next(counter), "w": os.getpid()}, max_tokens=8)
                    if time.time() <= end + 1:
                        done.append(time.time())
                except Exception:
                    errors += 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        await session.aclose()

    session = llm.session()
    ready.put(os.getpid())
    go.wait()
    go_at = time.time()
    asyncio.run(main(session))
    out.put({"done": done, "errors": errors})


def run_phase(args, base_url: str, server, processes: int, rpm: int | None, limit_url: str | None,
              seconds: float, tmp: str) -> dict:
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(base_url, args.api_key, limit_url, rpm, seconds, args.concurrency,
                                              os.path.join(tmp, f"w{len(os.listdir(tmp))}-{i}"), ready, go, out))
             for i in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    if server is not None:
        server.configure(reset_counters=True)
    started = time.time()
    go.set()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(30)
    client_times = sorted(t for r in results for t in r["done"])
    if server is not None:
        time.sleep(0.2)
        times = sorted(t for t in server.state.arrivals if t >= started)
    else:
        times = client_times
    most = most_in_window(times, min(seconds, 60.0))  # the busiest stretch of the run's length (or a minute)
    return {"requests": len(times), "errors": sum(r["errors"] for r in results),
            "rpm": round(most * 60 / min(seconds, 60.0), 1), "times": times}


def most_in_window(times: list[float], window: float) -> int:
    """The most requests in any `window` seconds (a sliding window over sorted times)."""
    j, best = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rpm", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--baseline-seconds", type=float, default=10,
                        help="length of the unlimited and per-process phases")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per process")
    parser.add_argument("--base-url", help="any OpenAI-compatible server; default: start the offline test double")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "sk-offline-bench"))
    parser.add_argument("--limit-url", default=os.environ.get("AIWF_RATE_LIMIT_URL", "redis://127.0.0.1:6379/0"),
                        help="where the shared budget lives: redis:// or postgresql://")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    server = None
    if args.base_url is None:
        from resources.offline.llm_server import OfflineLLMServer

        server = OfflineLLMServer().start()
    base_url = args.base_url or server.url
    try:
        with tempfile.TemporaryDirectory(prefix="aiwf-shared-limit-") as tmp:
            shared = run_phase(args, base_url, server, args.processes, args.rpm, args.limit_url, args.seconds, tmp)
            alone = run_phase(args, base_url, server, 1, None, None, args.baseline_seconds, tmp)
            apart = run_phase(args, base_url, server, args.processes, args.rpm, None, args.baseline_seconds, tmp)
    finally:
        if server is not None:
            server.stop()
    observed = shared["rpm"]
    out = {
        "processes": args.processes, "rpm_limit": args.rpm, "seconds": args.seconds,
        "concurrency_per_process": args.concurrency, "limit_backend": args.limit_url.split("://", 1)[0],
        "observed_by": "server" if server is not None else "clients",
        "max_rpm_observed": observed,
        "max_rpm_definition": "max requests in any 60 s window" if args.seconds >= 60
        else f"max requests in any {args.seconds:g} s window x 60 / {args.seconds:g}",
        "within_2pct": abs(observed - args.rpm) <= 0.02 * args.rpm,
        "shared_requests": shared["requests"], "shared_errors": shared["errors"],
        "max_requests_any_10s_window": most_in_window(shared["times"], 10.0),
        "single_process_unlimited_rpm": alone["rpm"], "per_process_rpm": apart["rpm"],
        "baseline_seconds": args.baseline_seconds,
    }
    if not args.json:
        for key, value in out.items():
            print(f"{key:>30}: {value}")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
