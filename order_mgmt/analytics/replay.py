"""Review-policy replay (pure): what a draft set of review rules would have decided on past orders,
from the facts each order was decided on, against what actually happened.

Nothing here reads or writes an order. The Frappe side gives, per order, the facts frozen at its
review (`facts_from_dict` reads them back from the JSON `facts_to_dict` wrote) and the route it
actually took; `replay` runs order_mgmt/review/engine.py's `decide` under the draft rules and
stages, and `summary` says per rule and per stage how many orders the draft would hold, how many
more or fewer than actually held, the auto-approval rate before and after, the expected reviewer
workload per week and which orders change outcome (auto-approved ↔ held). Orders reviewed before
the facts were frozen are rebuilt from the order record (`facts_from_order`); the summary counts them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from order_mgmt.analytics.stats import rate
from order_mgmt.review.engine import Condition, LineFacts, OrderFacts, ReviewRule, Stage, decide


def facts_to_dict(facts: OrderFacts) -> dict:
	"""The facts as plain JSON-ready values (to freeze on the order's review)."""
	return asdict(facts)


def facts_from_dict(data: dict) -> OrderFacts:
	"""Facts frozen by `facts_to_dict`; unknown keys (from a later version) are ignored, missing ones
	take the engine's defaults."""
	line_fields = set(LineFacts.__dataclass_fields__)
	order_fields = set(OrderFacts.__dataclass_fields__) - {"lines"}
	lines = tuple(
		LineFacts(**{k: v for k, v in line.items() if k in line_fields}) for line in data.get("lines") or ()
	)
	return OrderFacts(lines=lines, **{k: v for k, v in data.items() if k in order_fields})


def facts_from_order(order: dict, lines: Iterable[dict], held_conditions: Iterable[str] = ()) -> OrderFacts:
	"""The facts an order was decided on, as its record froze them at submission: the grand total
	in company currency, the credit limit and exposure, each line's projected quantity and valuation
	rate (read from ERPNext's Bin by the review). Whether the customer had a prior invoice or was
	flagged is known only from the order's hold reasons (`held_conditions`, the conditions of the
	rules that held it): an order no such rule held counts as a known, unflagged customer."""
	held = set(held_conditions)
	grand_total = float(order.get("base_grand_total") or 0)
	credit_limit = float(order.get("credit_limit") or 0)
	exposure = float(order.get("credit_exposure") or 0)
	conversion_rate = float(order.get("conversion_rate") or 1) or 1.0
	return OrderFacts(
		grand_total=grand_total,
		lines=tuple(
			LineFacts(
				idx=int(line.get("idx") or 0),
				item_code=line.get("item_code") or "",
				stock_qty=float(line.get("stock_qty") or 0),
				is_stock_item=bool(line.get("is_stock_item", True)),
				warehouse=line.get("warehouse") or "",
				projected_qty=float(line.get("projected_qty") or 0),
				discount_percentage=float(line.get("discount_percentage") or 0),
				net_rate_per_stock_uom=float(line.get("rate") or 0)
				* conversion_rate
				/ (float(line.get("conversion_factor") or 1) or 1.0),
				valuation_rate=float(line["valuation_rate"]) if line.get("valuation_rate") else None,
			)
			for line in sorted(lines, key=lambda row: int(row.get("idx") or 0))
		),
		credit_limit=credit_limit,
		outstanding=max(exposure - grand_total, 0.0) if credit_limit else 0.0,
		has_prior_invoice=Condition.NEW_CUSTOMER.value not in held,
		flagged_for_review=Condition.FLAGGED_CUSTOMER.value in held,
		order_type=order.get("order_type") or "",
		channel=order.get("channel") or "",
		payment_terms=order.get("payment_terms_template") or "",
	)


def route_of(review_route: str | None) -> tuple[str, ...]:
	return tuple(stage.strip() for stage in (review_route or "").split(",") if stage.strip())


@dataclass(frozen=True)
class ReplayCase:
	order: str
	order_date: date
	facts: OrderFacts
	actual_route: tuple[str, ...] = ()
	"""The stages the order was actually sent to (empty: it was auto-approved)."""
	must_pass: tuple[str, ...] = ()
	actual_rules: tuple[str, ...] = ()
	"""The rules that actually held it (its hold reasons)."""
	rebuilt: bool = False
	"""No facts were frozen at its review: they were rebuilt from the order record."""


@dataclass(frozen=True)
class ReplayOutcome:
	order: str
	order_date: date
	actual_route: tuple[str, ...]
	draft_route: tuple[str, ...]
	draft_rules: tuple[str, ...]
	actual_rules: tuple[str, ...] = ()
	rebuilt: bool = False

	@property
	def changed(self) -> bool:
		return bool(self.actual_route) != bool(self.draft_route)


def replay(
	cases: Iterable[ReplayCase], rules: Iterable[ReviewRule], stages: Iterable[Stage]
) -> list[ReplayOutcome]:
	rules, stages = list(rules), list(stages)
	outcomes = []
	for case in cases:
		decision = decide(case.facts, rules, stages, case.must_pass)
		outcomes.append(
			ReplayOutcome(
				case.order,
				case.order_date,
				tuple(case.actual_route),
				decision.route,
				tuple(dict.fromkeys(decision.rules)),
				tuple(dict.fromkeys(case.actual_rules)),
				case.rebuilt,
			)
		)
	return outcomes


def _weeks(outcomes: list[ReplayOutcome]) -> float:
	if not outcomes:
		return 1.0
	days = (max(o.order_date for o in outcomes) - min(o.order_date for o in outcomes)).days + 1
	return max(days / 7, 1.0)


def summary(outcomes: Iterable[ReplayOutcome], changed_limit: int | None = None) -> dict:
	"""Totals, per rule and per stage (orders actually held against held under the draft, and holds
	per week: the reviewers' workload), and the orders whose outcome changes (the first
	`changed_limit`; `changed_total` counts them all)."""
	outcomes = list(outcomes)
	weeks = _weeks(outcomes)
	actual_stage = Counter(stage for o in outcomes for stage in set(o.actual_route))
	draft_stage = Counter(stage for o in outcomes for stage in set(o.draft_route))
	actual_rule = Counter(rule for o in outcomes for rule in o.actual_rules)
	draft_rule = Counter(rule for o in outcomes for rule in o.draft_rules)
	actual_auto = sum(1 for o in outcomes if not o.actual_route)
	draft_auto = sum(1 for o in outcomes if not o.draft_route)
	changed = [o for o in outcomes if o.changed]
	return {
		"orders": len(outcomes),
		"rebuilt": sum(1 for o in outcomes if o.rebuilt),
		"weeks": round(weeks, 2),
		"actual_auto_approval_rate": rate(actual_auto, len(outcomes)),
		"draft_auto_approval_rate": rate(draft_auto, len(outcomes)),
		"actual_held": len(outcomes) - actual_auto,
		"draft_held": len(outcomes) - draft_auto,
		"rules": [
			{
				"rule": rule,
				"actual": actual_rule[rule],
				"draft": draft_rule[rule],
				"difference": draft_rule[rule] - actual_rule[rule],
				"draft_per_week": round(draft_rule[rule] / weeks, 2),
			}
			for rule in sorted(
				set(actual_rule) | set(draft_rule),
				key=lambda rule: (-draft_rule[rule], -actual_rule[rule], rule),
			)
		],
		"stages": [
			{
				"stage": stage,
				"actual": actual_stage[stage],
				"draft": draft_stage[stage],
				"difference": draft_stage[stage] - actual_stage[stage],
				"actual_per_week": round(actual_stage[stage] / weeks, 2),
				"draft_per_week": round(draft_stage[stage] / weeks, 2),
			}
			for stage in sorted(set(actual_stage) | set(draft_stage))
		],
		"changed_total": len(changed),
		"changed": [
			{
				"order": o.order,
				"order_date": o.order_date.isoformat(),
				"actual": "Held" if o.actual_route else "Auto-approved",
				"draft": "Held" if o.draft_route else "Auto-approved",
				"actual_rules": list(o.actual_rules),
				"draft_rules": list(o.draft_rules),
			}
			for o in (changed if changed_limit is None else changed[:changed_limit])
		],
	}
