"""The review decision, as plain Python: facts, rules and stages in; hold reasons and route out.

Nothing here touches the database, so every rule is unit-tested without a site
(tests/test_review_engine.py). The Frappe side (review/facts.py) gathers the facts from
ERPNext and the rules and stages from Order Review Rule / Order Review Stage, and stores
the decision on the Customer Order.

Each enabled rule is a condition on the order's facts and the review stage it sends the
order to. The route is every stage some rule triggered (plus stages an amended order must
pass again), in stage sequence; an order with an empty route is auto-approved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum


def _(message: str) -> str:
	"""Marks a message for translation extraction; the Frappe side translates it when shown."""
	return message


class Condition(str, Enum):
	"""Order Review Rule conditions (the values of its Select field)."""

	GRAND_TOTAL_AT_LEAST = "Grand Total At Least"
	DISCOUNT_AT_LEAST = "Discount At Least"
	CREDIT_OVER_LIMIT = "Credit Over Limit"
	STOCK_SHORT = "Stock Short"
	BELOW_COST = "Below Cost"
	NEW_CUSTOMER = "New Customer"
	FLAGGED_CUSTOMER = "Flagged Customer"
	ORDER_TYPE_IS = "Order Type Is"
	CHANNEL_IS = "Channel Is"
	PAYMENT_TERMS_IS = "Payment Terms Is"


@dataclass(frozen=True)
class LineFacts:
	idx: int
	item_code: str
	stock_qty: float
	"""Ordered quantity in the stock UOM."""
	is_stock_item: bool = True
	warehouse: str = ""
	projected_qty: float = 0.0
	"""ERPNext's projected quantity (Bin) in the line's warehouse, before this order."""
	discount_percentage: float = 0.0
	net_rate_per_stock_uom: float = 0.0
	valuation_rate: float | None = None
	"""Cost per stock UOM when known; None skips the margin check."""


@dataclass(frozen=True)
class OrderFacts:
	grand_total: float
	"""In company currency, so thresholds (also company currency) compare like with like."""
	lines: tuple[LineFacts, ...]
	credit_limit: float = 0.0
	"""0 means no limit set in ERPNext."""
	outstanding: float = 0.0
	"""ERPNext's customer outstanding: invoices, unbilled Sales Orders and Delivery Notes."""
	open_orders: float = 0.0
	"""Other orders of this customer submitted here but not yet a Sales Order."""
	has_prior_invoice: bool = True
	flagged_for_review: bool = False
	order_type: str = "Standard"
	channel: str = "Desk"
	payment_terms: str = ""


@dataclass(frozen=True)
class ReviewRule:
	name: str
	condition: Condition
	stage: str
	threshold: float = 0.0
	match_value: str = ""


@dataclass(frozen=True)
class Stage:
	name: str
	sequence: int = 0


@dataclass(frozen=True)
class HoldReason:
	rule: str
	"""The rule's name (Order Review Rule), or the condition when evaluated without one."""
	condition: Condition
	stage: str | None
	measured: float | str
	threshold: float | str
	template: str
	"""Message with {0}-style placeholders, translated by the Frappe side before formatting."""
	args: tuple = ()
	line_idx: int | None = None

	@property
	def message(self) -> str:
		return self.template.format(*self.args)


@dataclass(frozen=True)
class Decision:
	reasons: tuple[HoldReason, ...] = field(default_factory=tuple)
	route: tuple[str, ...] = ()
	"""The stages to pass, in sequence; empty means auto-approve."""

	@property
	def auto_approve(self) -> bool:
		return not self.route

	@property
	def rules(self) -> list[str]:
		return [reason.rule for reason in self.reasons]


def decide(
	facts: OrderFacts,
	rules: Iterable[ReviewRule],
	stages: Iterable[Stage],
	must_pass: Iterable[str] = (),
) -> Decision:
	"""Every reason to review the order and the stages that follows from them.

	`rules` are the enabled rules; `stages` the enabled stages (a rule pointing at a stage not
	among them is ignored); `must_pass` are stages required whatever the rules say (an amended
	order goes back through the stages that approved its original).
	"""
	stage_order = {stage.name: (stage.sequence, index) for index, stage in enumerate(stages)}
	reasons = tuple(reason for rule in rules if rule.stage in stage_order for reason in evaluate(rule, facts))
	wanted = {reason.stage for reason in reasons} | {name for name in must_pass if name in stage_order}
	return Decision(reasons, tuple(sorted(wanted, key=stage_order.__getitem__)))


def evaluate(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	return CHECKS[rule.condition](rule, facts)


def next_stages(route: Iterable[str], decided: Iterable[str]) -> tuple[str | None, str | None]:
	"""The stage awaiting a decision and the one after it, given the stages already approved."""
	decided = set(decided)
	pending = [stage for stage in route if stage not in decided]
	return (pending[0] if pending else None, pending[1] if len(pending) > 1 else None)


def credit_exposure(facts: OrderFacts) -> float:
	return facts.outstanding + facts.open_orders + facts.grand_total


def _reason(
	rule: ReviewRule, measured, threshold, template: str, args: tuple = (), line_idx=None
) -> HoldReason:
	return HoldReason(rule.name, rule.condition, rule.stage, measured, threshold, template, args, line_idx)


def check_credit(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	if facts.credit_limit <= 0:
		return []
	exposure = credit_exposure(facts)
	if exposure <= facts.credit_limit:
		return []
	return [
		_reason(
			rule,
			round(exposure, 2),
			round(facts.credit_limit, 2),
			_(
				"Credit exposure {0} (outstanding {1} + open orders {2} + this order {3}) exceeds the credit limit {4}"
			),
			(
				round(exposure, 2),
				round(facts.outstanding, 2),
				round(facts.open_orders, 2),
				round(facts.grand_total, 2),
				round(facts.credit_limit, 2),
			),
		)
	]


def check_stock(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	reasons = []
	# projected_qty is per item and warehouse: lines drawing on the same Bin are summed.
	demanded: dict[tuple[str, str], float] = {}
	for line in facts.lines:
		if not line.is_stock_item:
			continue
		key = (line.item_code, line.warehouse)
		demanded[key] = demanded.get(key, 0.0) + line.stock_qty
		if demanded[key] > line.projected_qty:
			reasons.append(
				_reason(
					rule,
					round(line.projected_qty, 3),
					round(demanded[key], 3),
					_("Row {0}: projected quantity {1} of {2} is below the {3} ordered"),
					(line.idx, round(line.projected_qty, 3), line.item_code, round(demanded[key], 3)),
					line.idx,
				)
			)
	return reasons


def check_discount(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	if rule.threshold <= 0:
		return []
	return [
		_reason(
			rule,
			round(line.discount_percentage, 2),
			rule.threshold,
			_("Row {0}: discount {1}% on {2} is at least the {3}% that needs review"),
			(line.idx, round(line.discount_percentage, 2), line.item_code, rule.threshold),
			line.idx,
		)
		for line in facts.lines
		if line.discount_percentage >= rule.threshold
	]


def check_margin(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	return [
		_reason(
			rule,
			round(line.net_rate_per_stock_uom, 4),
			round(line.valuation_rate, 4),
			_("Row {0}: net rate {1} of {2} is below its valuation rate {3}"),
			(line.idx, round(line.net_rate_per_stock_uom, 4), line.item_code, round(line.valuation_rate, 4)),
			line.idx,
		)
		for line in facts.lines
		if line.valuation_rate and line.net_rate_per_stock_uom < line.valuation_rate
	]


def check_order_value(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	if rule.threshold <= 0 or facts.grand_total < rule.threshold:
		return []
	return [
		_reason(
			rule,
			round(facts.grand_total, 2),
			rule.threshold,
			_("Grand total {0} is at least {1}, which needs review"),
			(round(facts.grand_total, 2), rule.threshold),
		)
	]


def check_new_customer(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	if facts.has_prior_invoice:
		return []
	return [_reason(rule, 0, 1, _("New customer: no submitted Sales Invoice yet"))]


def check_flagged_customer(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
	if not facts.flagged_for_review:
		return []
	return [_reason(rule, 1, 0, _("The customer is flagged for review of every order"))]


def _check_equals(attribute: str, template: str) -> Callable[[ReviewRule, OrderFacts], list[HoldReason]]:
	def check(rule: ReviewRule, facts: OrderFacts) -> list[HoldReason]:
		value = getattr(facts, attribute) or ""
		if not rule.match_value or value != rule.match_value:
			return []
		return [_reason(rule, value, rule.match_value, template, (value,))]

	return check


CHECKS: dict[Condition, Callable[[ReviewRule, OrderFacts], list[HoldReason]]] = {
	Condition.GRAND_TOTAL_AT_LEAST: check_order_value,
	Condition.DISCOUNT_AT_LEAST: check_discount,
	Condition.CREDIT_OVER_LIMIT: check_credit,
	Condition.STOCK_SHORT: check_stock,
	Condition.BELOW_COST: check_margin,
	Condition.NEW_CUSTOMER: check_new_customer,
	Condition.FLAGGED_CUSTOMER: check_flagged_customer,
	Condition.ORDER_TYPE_IS: _check_equals("order_type", _("Order type is {0}")),
	Condition.CHANNEL_IS: _check_equals("channel", _("Order came through channel {0}")),
	Condition.PAYMENT_TERMS_IS: _check_equals("payment_terms", _("Payment terms are {0}")),
}
