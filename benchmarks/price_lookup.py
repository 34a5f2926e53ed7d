"""What pricing one answer costs: `pricing.price` (per-token rates memoized per model and minute) against the
genai-prices calculation it used to make for every answer, per call, in one process.

    python -m benchmarks.price_lookup --model gpt-4o-mini --calls 5000 --json

Last line of stdout with --json: one JSON object (`memoized_us`, `catalogue_us` per call, and their ratio).
"""

import argparse
import json
import time


def per_call_us(fn, calls: int) -> float:
    """Microseconds per call of `fn`, after one warm-up call."""
    fn()
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from resources.llm import prices_catalogue
    from resources.llm.pricing import Usage, price

    usage, entry = Usage(input=1234, cached_input=200, output=567, reasoning=89), prices_catalogue.find(args.model)
    if entry is None:
        raise SystemExit(f"{args.model} is not in the genai-prices catalogue")
    tokens = (usage.input, usage.cached_input, usage.output, usage.reasoning)
    figures = {"model": args.model, "calls": args.calls,
               "memoized_us": round(per_call_us(lambda: price(args.model, usage), args.calls), 2),
               "catalogue_us": round(per_call_us(lambda: prices_catalogue._catalogue_cost(entry, *tokens),
                                                 args.calls), 2)}
    figures["speedup"] = round(figures["catalogue_us"] / figures["memoized_us"], 1)
    print(f"price() {figures['memoized_us']} us per answer; genai-prices calc_price {figures['catalogue_us']} us "
          f"({figures['speedup']}x)")
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
