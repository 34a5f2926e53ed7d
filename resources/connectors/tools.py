"""The tool registry: the typed actions a planner may put in a plan, each over an idempotent connector.

A tool declares its arguments (a pydantic model), the connector that runs it, whether it changes anything
outside (a side effect), how it is undone (its compensation, done by that connector's `inverse_of`), which
argument holds money and from what amount a person must approve it. Plans name tools; only code builds the
Action, so a model can choose among these changes but never invent another.

    registry = ToolRegistry(shop_tools(refund_approval_above=100))
    action = registry.get("refund").action(shop_connector, workflow="orders", item_key="O-1", step=1,
                                            version="2026-03-02:a1", arguments={"amount": 20, ...})
"""

from dataclasses import dataclass, replace
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from resources.connectors.action import Action


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown arguments are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Tool:
    """One typed action; `build(connector, workflow, item_key, step, version, args)` makes its Action."""

    name: str
    description: str
    args: type[ToolArgs]
    connector: str | None  # key of the connector that runs it; None for a tool without side effect
    build: Callable[..., Action] | None = None
    side_effect: bool = True
    compensation: str | None = None  # the action that undoes it; None: it cannot be undone
    money_field: str | None = None
    approval_above: float | None = None  # money above this waits for a person; None: never

    def validate(self, arguments: dict) -> ToolArgs:
        """Typed arguments (ValidationError when they do not fit); null arguments count as absent."""
        return self.args.model_validate({k: v for k, v in arguments.items() if v is not None})

    def action(self, connector, *, workflow: str, item_key: str, step: int, version: str,
               arguments: dict) -> Action | None:
        """The keyed Action for one plan step (None for a tool without side effect)."""
        if not self.side_effect or self.build is None:
            return None
        return self.build(connector, workflow, item_key, step, version, self.validate(arguments))

    def money(self, arguments: dict) -> float:
        value = arguments.get(self.money_field) if self.money_field else None
        return float(value or 0)

    def needs_approval(self, arguments: dict, connector=None, **where) -> bool:
        """Money above the threshold, counted per entity (an order): with the `connector` and where the step
        is (workflow, item_key, step, version), what its ledger shows already moved on the same order, in any
        run, day or workflow, is added (this very step excluded, so a re-run counts it once)."""
        if self.approval_above is None:
            return False
        already = 0.0
        if connector is not None and where and self.money_field:
            try:
                action = self.action(connector, arguments=arguments, **where)
            except ValueError:  # arguments that do not fit: refused when the step is built, after its approval
                action = None
            already = connector.money_moved(action, self.money_field) if action is not None else 0.0
        return already + self.money(arguments) > self.approval_above

    def describe(self) -> str:
        fields = ", ".join(f"{n}: {_type_name(f.annotation)}" for n, f in self.args.model_fields.items())
        facts = [("changes the outside world" if self.side_effect else "no side effect"),
                 f"undone by {self.compensation}" if self.compensation else "cannot be undone"]
        if self.money_field:
            facts.append(f"moves money ({self.money_field})")
        if self.approval_above is not None:
            facts.append(f"a person approves above {self.approval_above:g}")
        return f"- {self.name}({fields}): {self.description} [{'; '.join(facts)}]"


@dataclass(frozen=True)
class ToolRegistry:
    """The tools one workflow may plan with, by name."""

    tools: tuple[Tool, ...]

    def __post_init__(self):
        object.__setattr__(self, "tools", tuple(self.tools))
        names = [t.name for t in self.tools]
        if len(set(names)) != len(names):
            raise ValueError(f"tool names must be unique: {names}")

    def names(self) -> list[str]:
        return [t.name for t in self.tools]

    def get(self, name: str) -> Tool:
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise KeyError(f"no tool {name!r}; registered: {self.names()}")

    def __contains__(self, name: str) -> bool:
        return name in self.names()

    def describe(self) -> str:
        """The tools as a model reads them in a prompt: one line each."""
        return "\n".join(t.describe() for t in self.tools)

    def with_approval(self, name: str, above: float | None) -> "ToolRegistry":
        """The same registry with another approval threshold for one tool (a workflow's policy)."""
        return ToolRegistry(tuple(replace(t, approval_above=above) if t.name == name else t for t in self.tools))


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


# --- the shop's order desk (resources/connectors/shop.py) ---------------------------------------------------
class RefundArgs(ToolArgs):
    amount: float = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reason: str = Field(min_length=3, max_length=200)


class CouponArgs(ToolArgs):
    percent: float = Field(gt=0, le=100)
    reason: str = Field(min_length=3, max_length=200)


class MessageArgs(ToolArgs):
    channel: Literal["email", "sms"]
    body: str = Field(min_length=1, max_length=2000)


class TicketArgs(ToolArgs):
    supplier: str = Field(min_length=1, max_length=64)
    issue: str = Field(min_length=3, max_length=500)


class NoteArgs(ToolArgs):
    note: str = Field(min_length=1, max_length=500)


def shop_tools(refund_approval_above: float | None = 100.0) -> list[Tool]:
    """Refunds, coupons, customer messages and supplier tickets through the ShopConnector, and a note."""
    return [
        Tool("refund", "refund part or all of the order", RefundArgs, "shop",
             lambda c, wf, item, step, v, a: c.refund(wf, item, v, step=step, **a.model_dump()),
             compensation="reverse_refund", money_field="amount", approval_above=refund_approval_above),
        Tool("coupon", "a goodwill coupon for the customer's next order", CouponArgs, "shop",
             lambda c, wf, item, step, v, a: c.coupon(wf, item, v, step=step, **a.model_dump()),
             compensation="delete_coupon"),
        Tool("supplier_ticket", "open a ticket with the order's supplier", TicketArgs, "shop",
             lambda c, wf, item, step, v, a: c.supplier_ticket(wf, item, v, step=step, **a.model_dump())),
        Tool("message", "write to the customer", MessageArgs, "shop",
             lambda c, wf, item, step, v, a: c.message(wf, item, v, step=step, **a.model_dump())),
        NOTE,
    ]


NOTE = Tool("note", "an internal note on the order for the team", NoteArgs, None, side_effect=False)


# --- the other connectors (publish.py, slack.py, sql.py) ----------------------------------------------------
class PublishArgs(ToolArgs):
    path: str = Field(min_length=1, max_length=300)
    content: str = Field(min_length=1)


class WebhookArgs(ToolArgs):
    text: str = Field(min_length=1, max_length=3000)


class SqlRowsArgs(ToolArgs):
    rows: list[dict[str, Any]] = Field(min_length=1)  # free-form: for plans built by code, not strict models


def connector_tools() -> list[Tool]:
    """Publishing a file (FsspecPublisher), posting to a webhook (SlackWebhook) and upserting SQL rows."""
    return [
        Tool("publish_file", "write a document to the publish location", PublishArgs, "publish",
             lambda c, wf, item, step, v, a: c.publish(wf, a.path, a.content, v),
             compensation="unpublish or restore"),
        Tool("post_webhook", "post a message to the team's webhook", WebhookArgs, "webhook",
             lambda c, wf, item, step, v, a: c.message(wf, f"{item}#{step}", v, a.text)),
        Tool("sql_upsert", "upsert rows into the connector's table", SqlRowsArgs, "sql",
             lambda c, wf, item, step, v, a: c.upsert(wf, a.rows, v, entity=f"{item}#{step}"),
             compensation="restore"),
    ]


def builtin_tools() -> ToolRegistry:
    """Every built-in tool (order desk, note, publish, webhook, SQL)."""
    return ToolRegistry(tuple(shop_tools() + connector_tools()))
