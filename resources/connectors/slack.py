"""Post messages to a Slack incoming webhook ({"text", "blocks"}); the webhook URL is a secret and stays one."""

from typing import Any
from urllib.parse import urlsplit

from resources.connectors.action import Action
from resources.connectors.http import HttpConnector


class SlackWebhook(HttpConnector):
    """A webhook cannot dedupe, so after an ambiguous answer (5xx, read timeout) or an interrupted send the message
    is held in doubt for a person, never re-sent; only failures where Slack surely did not take it (connection
    refused, 429) are retried."""

    name = "slack"
    dedupes = False

    def __init__(self, webhook_url: str, **kwargs):
        parts = urlsplit(webhook_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("SlackWebhook needs an http(s) webhook URL (value not shown: it is a secret)")
        self._secret_path = parts.path + (f"?{parts.query}" if parts.query else "")
        super().__init__(f"{parts.scheme}://{parts.netloc}", retry_ambiguous=False, **kwargs)

    def message(self, workflow: str, entity: str, version: str, text: str, blocks: list | None = None) -> Action:
        """The action that posts one message; `entity` + `version` say which message this is."""
        if not text:
            raise ValueError("a Slack message needs text (it is also the notification fallback)")
        payload = {"text": text, **({"blocks": blocks} if blocks else {})}
        return Action(workflow, entity, "slack_message", payload, version)

    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        # The ledger stores only the message; the secret path is added here, at send time.
        return self.request("POST", self._secret_path, action.payload, key)

    def _where(self, path: str) -> str:
        return "<slack webhook>"
