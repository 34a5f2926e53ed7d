"""Dagster resources for external actions: a generic HTTP JSON API and the shop (bound under key "shop")."""

from typing import Optional

import dagster as dg
from pydantic import Field

from resources.connectors.breaker import breaker_for
from resources.connectors.http import HttpConnector
from resources.connectors.ledger import ActionLedger
from resources.connectors.shop import ShopConnector
from resources.state.resource import StateResource, state_of
from resources.telemetry import step_of


class HttpApiResource(dg.ConfigurableResource):
    """An HTTP JSON API reached through the idempotent, ledgered connector (refunds, webhooks, partner APIs)."""

    base_url: str = Field(description="Root URL of the API.")
    api_token: Optional[str] = Field(default=None, description="Bearer token; pass as dg.EnvVar, never inline.")
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, description="Attempts per action, all with the same key.")
    backoff_base_s: float = Field(default=0.2, ge=0)
    backoff_max_s: float = Field(default=5.0, ge=0)
    breaker_threshold: int = Field(default=8, ge=1, description="Consecutive failures that open the circuit "
                                   "(above max_attempts, so one unlucky action cannot open it alone).")
    breaker_cooldown_s: float = Field(default=30.0, ge=0, description="Open time before a half-open probe.")
    state: StateResource | None = Field(default=None, description="Where the action ledger lives.")

    def _kwargs(self, context) -> dict:
        run_id = getattr(context, "run_id", None) if context is not None else None
        return dict(
            ledger=ActionLedger(state_of(self).store()), owner=f"run-{run_id}" if run_id else None,
            headers={"Authorization": f"Bearer {self.api_token}"} if self.api_token else None,
            timeout_s=self.timeout_s, max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_s, backoff_max_s=self.backoff_max_s,
            breaker=breaker_for(self.base_url.rstrip("/"), self.breaker_threshold, self.breaker_cooldown_s),
        )

    def connector(self, context=None) -> HttpConnector:
        """A connector owned by this run: a duplicate run cannot send an action this one has in flight."""
        return _traced(HttpConnector(self.base_url, **self._kwargs(context)), context)


class ShopResource(HttpApiResource):
    """The shop API (`AIWF_SHOP_URL`): product updates and inventory adjustments, each applied exactly once."""

    base_url: str = Field(description="Shop API root, e.g. dg.EnvVar('AIWF_SHOP_URL').")

    def connector(self, context=None, capture_previous: bool = False) -> ShopConnector:
        shop = ShopConnector(self.base_url, capture_previous=capture_previous, **self._kwargs(context))
        return _traced(shop, context)


def _traced(connector, context):
    """The connector with the step its action spans go under (resources/telemetry), when tracing is on."""
    connector.trace_step = step_of(context)
    return connector
