"""TEST DOUBLE: a small shop API for the demo and tests. It honours Idempotency-Key the way Stripe does and
can fail on purpose, including after applying a change (the lost-response case). Not a real shop."""

import json
import random
import threading
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from resources.offline.shop_state import ShopError, ShopState


class ShopServer:
    """The shop API on 127.0.0.1 in a background thread: `ShopServer(port=0, fail_after_apply_rate=0.1).start().url`.

    Faults: `fail_after_apply_rate` applies the change, stores the response under its key, then answers 500;
    `fail_before_apply_rate` answers 500 without applying. `state_path` keeps the shop across restarts.
    `orders` (a list, or a JSON file holding one) seeds orders; `PUT /_orders/{order_id}` seeds one more.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        fail_after_apply_rate: float = 0.0,
        fail_before_apply_rate: float = 0.0,
        seed: int | None = 0,
        state_path: str | Path | None = None,
        orders: "list[dict] | str | Path | None" = None,
        require_keys: bool = True,
        host: str = "127.0.0.1",
    ):
        for name, rate in (("fail_after_apply_rate", fail_after_apply_rate), ("fail_before_apply_rate", fail_before_apply_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        self.host, self.port = host, port
        self.faults = {"after": fail_after_apply_rate, "before": fail_before_apply_rate}
        self.require_keys = require_keys
        self.state = ShopState(Path(state_path) if state_path else None)
        if orders is not None:
            self.state.seed_orders(json.loads(Path(orders).read_text()) if isinstance(orders, (str, Path)) else orders)
        self._rng = random.Random(seed)
        self._scripted: list[str | None] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("ShopServer is not started; call .start() first")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> "ShopServer":
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="aiwf-shop-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"shop server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> "ShopServer":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> dict:
        """Applied mutations and counters, as GET /_log answers."""
        return self.state.log()

    def _build_app(self) -> Starlette:
        async def mutate(request: Request) -> JSONResponse:
            self.state.count("mutating_requests")  # every PUT/POST/DELETE received, whatever happens next
            key = request.headers.get("Idempotency-Key")
            if not key and self.require_keys:
                return _error(400, "invalid_request_error", "this shop requires an Idempotency-Key header")
            try:
                body = await request.json() if request.method != "DELETE" else None
            except json.JSONDecodeError:
                return _error(400, "invalid_request_error", "request body is not valid JSON")
            fault = self._draw()
            if fault == "before":
                self.state.count("failed_before_apply")
                return _error(500, "api_error", "injected failure before applying (test double)")
            try:
                status, payload, replayed = self.state.mutate(request.method, request.url.path, request.path_params, body, key)
            except ShopError as err:
                return _error(err.status, err.kind, str(err))
            if fault == "after":  # the network loses replayed answers too
                self.state.count("responses_lost")
                return _error(500, "api_error", "injected failure after applying (test double): response lost")
            return JSONResponse(payload, status, headers={"Idempotent-Replayed": "true"} if replayed else {})

        async def read(request: Request) -> JSONResponse:
            self.state.count("reads")
            found = self.state.read(request.url.path)
            return JSONResponse(found) if found is not None else _error(404, "not_found", f"no {request.url.path}")

        async def show_log(request: Request) -> JSONResponse:
            return JSONResponse(self.state.log())

        async def seed(request: Request) -> JSONResponse:  # test-double only: a real shop has no such route
            try:
                order = {**await request.json(), "order_id": request.path_params["order_id"]}
                added = self.state.seed_orders([order])
            except (json.JSONDecodeError, TypeError):
                return _error(400, "invalid_request_error", "request body is not a JSON object")
            except ShopError as err:
                return _error(err.status, err.kind, str(err))
            return JSONResponse({"order_id": order["order_id"], "created": bool(added)}, 201 if added else 200)

        return Starlette(routes=[
            Route("/products/{sku}", mutate, methods=["PUT", "DELETE"]),
            Route("/products/{sku}", read, methods=["GET"]),
            Route("/inventory/{sku}/adjustments", mutate, methods=["POST"]),
            Route("/inventory/{sku}", read, methods=["GET"]),
            Route("/orders/{order_id}", read, methods=["GET"]),
            Route("/orders/{order_id}/refunds", mutate, methods=["POST"]),
            Route("/orders/{order_id}/coupons", mutate, methods=["POST"]),
            Route("/orders/{order_id}/messages", mutate, methods=["POST"]),
            Route("/refunds/{refund_id}/reverse", mutate, methods=["POST"]),
            Route("/coupons/{coupon_id}", mutate, methods=["DELETE"]),
            Route("/suppliers/{supplier}/tickets", mutate, methods=["POST"]),
            Route("/_log", show_log, methods=["GET"]),
            Route("/_orders/{order_id}", seed, methods=["PUT"]),
        ])

    def script(self, *faults: str | None) -> "ShopServer":
        """Force the next mutating requests' faults in order ("after", "before" or None), then back to the rates."""
        bad = [f for f in faults if f not in ("after", "before", None)]
        if bad:
            raise ValueError(f"unknown faults {bad}; use 'after', 'before' or None")
        self._scripted.extend(faults)
        return self

    def _draw(self) -> str | None:
        if self._scripted:
            return self._scripted.pop(0)
        roll = self._rng.random()
        if roll < self.faults["before"]:
            return "before"
        return "after" if roll < self.faults["before"] + self.faults["after"] else None


def seed_orders(url: str, orders: list[dict], timeout_s: float = 10.0) -> int:
    """Seed orders into a running test-double shop over HTTP (`PUT /_orders/{id}`); returns how many were new."""
    import httpx

    added = 0
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s) as client:
        for order in orders:
            answer = client.put(f"/_orders/{order['order_id']}", json=order)
            answer.raise_for_status()
            added += answer.status_code == 201
    return added


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status)
