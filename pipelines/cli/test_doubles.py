"""`aiwf offline-llm` and `aiwf shop-server`: the labelled test doubles in the foreground, and the demo's
"start the test double when nothing real is configured" rule for both."""

import argparse
import os
import time
from contextlib import ExitStack
from typing import Callable

from resources.offline.keys import OFFLINE_KEY
from resources.offline.llm_server import OfflineLLMServer, serve
from resources.offline.shop_server import ShopServer
from resources.state.home import home_path


def add_offline_llm_cli(subparsers) -> argparse.ArgumentParser:
    """Register the ``offline-llm`` subcommand; its ``func(args)`` serves in the foreground."""
    p = subparsers.add_parser("offline-llm", help="serve the offline OpenAI-compatible test double (not a model)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--fail-429", type=float, default=0.0, metavar="RATE")
    p.add_argument("--fail-500", type=float, default=0.0, metavar="RATE")
    p.add_argument("--timeout-rate", type=float, default=0.0, metavar="RATE")
    p.add_argument("--timeout-s", type=float, default=30.0)
    p.add_argument("--retry-after", type=float, default=1.0, metavar="SECONDS")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fail-400-on", default=None, metavar="TEXT")
    p.add_argument("--embedding-dim", type=int, default=384)

    def run(args: argparse.Namespace) -> None:
        serve(args.port, args.host, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
              fail_429_rate=args.fail_429, fail_500_rate=args.fail_500, timeout_rate=args.timeout_rate,
              timeout_s=args.timeout_s, retry_after_s=args.retry_after, seed=args.seed,
              fail_400_on=args.fail_400_on, embedding_dim=args.embedding_dim)

    p.set_defaults(func=run)
    return p


def add_shop_server_cli(sub) -> None:
    """`aiwf shop-server --port N [--fail-after-apply-rate 0.1]`: run the test-double shop in the foreground."""
    p = sub.add_parser("shop-server", help="run the local test-double shop API (honours Idempotency-Key)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--fail-after-apply-rate", type=float, default=0.0, help="apply, then answer 500 (lost response)")
    p.add_argument("--fail-before-apply-rate", type=float, default=0.0, help="answer 500 without applying")
    p.add_argument("--seed", type=int, default=None, help="seed for the injected faults (default: random)")
    p.add_argument("--state", default=None, help="JSON file keeping the shop's state across restarts")
    p.add_argument("--orders", default=None, help="JSON file of orders to seed (the order desk)")

    def run(args) -> int:
        server = ShopServer(
            args.port, host=args.host, fail_after_apply_rate=args.fail_after_apply_rate,
            fail_before_apply_rate=args.fail_before_apply_rate, seed=args.seed, state_path=args.state,
            orders=args.orders,
        ).start()
        print(f"test-double shop listening on {server.url} (GET {server.url}/_log for applied changes)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.stop()
        return 0

    p.set_defaults(func=run)


def start_local_shop_if_needed() -> tuple[str, "ShopServer | None"]:
    """AIWF_SHOP_URL if set; otherwise start the local test-double shop (state under AIWF_HOME/shop, 10% of
    mutating requests answered 500 after applying unless AIWF_SHOP_FAIL_AFTER_APPLY says otherwise)."""
    if os.environ.get("AIWF_SHOP_URL"):
        return os.environ["AIWF_SHOP_URL"], None
    rate = float(os.environ.get("AIWF_SHOP_FAIL_AFTER_APPLY", "0.1"))
    server = ShopServer(fail_after_apply_rate=rate, seed=None, state_path=home_path("shop") / "state.json").start()
    os.environ["AIWF_SHOP_URL"] = server.url
    return server.url, server


def start_shop_for_demo(stack) -> None:
    """`aiwf demo` setup: use AIWF_SHOP_URL, or run the local test-double shop until the demo's ExitStack closes."""
    url, server = start_local_shop_if_needed()
    if server is None:
        print(f"shop: {url}")
        return
    stack.callback(server.stop)
    stack.callback(os.environ.pop, "AIWF_SHOP_URL", None)
    print(f"no AIWF_SHOP_URL set: started the local TEST-DOUBLE shop at {url} (state in {server.state.path}; "
          f"{server.faults['after']:.0%} of mutating requests answered 500 after applying, to exercise retries)")


def start_offline_model_if_needed(stack: ExitStack, say: Callable[[str], None]) -> bool:
    """Start the offline test double when no model endpoint is configured; True when it did. A cassette in replay
    mode answers every request itself: nothing is started, and OPENAI_BASE_URL (if set) is never reached."""
    from resources.llm.cassette import configured

    tape = configured()
    if tape is not None and tape[1] == "replay":
        say(f"model answers replayed from cassette {tape[0]}: no model endpoint is contacted")
        return False
    if os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        say(f"model endpoint: {os.environ.get('OPENAI_BASE_URL') or 'OpenAI'}")
        return False
    server = OfflineLLMServer().start()
    stack.callback(server.stop)
    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = server.url, OFFLINE_KEY
    stack.callback(lambda: [os.environ.pop(k, None) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")])
    say(f"no OPENAI_BASE_URL or OPENAI_API_KEY set: started the OFFLINE test-double model at {server.url}; "
        "outputs are marked offline and are not real model answers")
    return True


def start_test_doubles(stack: ExitStack, say: Callable[[str], None] = print) -> bool:
    """What `aiwf ui` and `aiwf quarantine retry` need to run any job: the configured model and shop, or the
    offline model and the test-double shop until `stack` closes; True when the model is the offline double."""
    offline = start_offline_model_if_needed(stack, say)
    start_shop_for_demo(stack)
    return offline
