"""`aiwf review`: serve the approvals review page and JSON API on the configured state;
`aiwf review hash-token` turns a token into the salted hash AIWF_REVIEW_TOKENS may hold instead."""

import os
import sys

from pipelines.resource_bindings import local_state
from resources.approvals.resource import ApprovalsResource
from resources.approvals.review_access import ReviewSettings
from resources.approvals.review_app import create_app
from resources.approvals.review_auth import parse_tokens
from resources.memory import MemoryResource


def add_cli(sub) -> None:
    p = sub.add_parser("review", help="serve the approvals review page and JSON API")
    p.add_argument("action", nargs="?", choices=["serve", "hash-token"], default="serve",
                   help="hash-token: read a token (prompt or stdin) and print its salted hash")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8710)
    p.add_argument("--log-level", default="info")
    p.add_argument("--behind-proxy", action="store_true",
                   help="trust X-Forwarded-For (only behind a proxy you run; throttling is per client address)")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    if args.action == "hash-token":
        from resources.approvals.review_auth import main as auth_main

        return auth_main(["hash-token"])
    import uvicorn

    try:
        tokens = parse_tokens(os.environ.get("AIWF_REVIEW_TOKENS", ""))
        settings = ReviewSettings.from_env()
    except ValueError as exc:
        print(f"aiwf review: {exc}", file=sys.stderr)
        return 2
    if not tokens:
        print("aiwf review: set AIWF_REVIEW_TOKENS=token:role:name,... (roles viewer, approver, admin)",
              file=sys.stderr)
        return 2
    print(f"aiwf review: http://{args.host}:{args.port}/ ({len(tokens)} reviewers)", file=sys.stderr)
    state = local_state()  # the same AIWF_HOME / AIWF_PG_URL the workflows are bound to
    approvals = ApprovalsResource(state=state, memory=MemoryResource(state=state))
    uvicorn.run(create_app(approvals.store(), settings=settings), host=args.host, port=args.port,
                log_level=args.log_level, proxy_headers=args.behind_proxy)
    return 0
