"""The automatic review decision, as plain Python: facts and thresholds in, decision out.

Nothing here touches the database, so every rule is unit-tested without a site
(tests/test_review_engine.py). The Frappe side (review/facts.py) gathers the facts
from ERPNext and stores the decision on the Customer Order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def _(message: str) -> str:
	"""Marks a message for translation extraction; the Frappe side translates it when shown."""
	return message


class Rule(str, Enum):
	"""Rule codes, stored on the order's hold reasons (kept stable: reports filter on them)."""

	CREDIT_LIMIT = "Credit Limit"
	STOCK_SHORTAGE = "Stock Shortage"
	DISCOUNT = "Discount"
	BELOW_COST = "Below Cost"
	ORDER_VALUE = "Order Value"
	NEW_CUSTOMER = "New Customer"
	FLAGGED_CUSTOMER = "Flagged Customer"


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


@dataclass(frozen=True)
class Thresholds:
	check_credit: bool = True
	check_stock: bool = True
	check_margin: bool = True
	check_new_customer: bool = True
	max_discount_without_review: float = 10.0
	"""Percent; a line discounted beyond it is held. 0 disables the check."""
	max_order_value_without_review: float = 0.0
	"""Company currency; 0 disables the check."""


@dataclass(frozen=True)
class HoldReason:
	rule: Rule
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

	@property
	def auto_approve(self) -> bool:
		return not self.reasons

	@property
	def rules(self) -> list[Rule]:
		return [reason.rule for reason in self.reasons]


def decide(facts: OrderFacts, thresholds: Thresholds) -> Decision:
	"""Every reason to hold the order, in a stable order; none means auto-approve."""
	reasons: list[HoldReason] = []
	reasons += check_credit(facts, thresholds)
	reasons += check_stock(facts, thresholds)
	reasons += check_discount(facts, thresholds)
	reasons += check_margin(facts, thresholds)
	reasons += check_order_value(facts, thresholds)
	reasons += check_customer_risk(facts, thresholds)
	return Decision(tuple(reasons))


def credit_exposure(facts: OrderFacts) -> float:
	return facts.outstanding + facts.open_orders + facts.grand_total


def check_credit(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	if not thresholds.check_credit or facts.credit_limit <= 0:
		return []
	exposure = credit_exposure(facts)
	if exposure <= facts.credit_limit:
		return []
	return [
		HoldReason(
			Rule.CREDIT_LIMIT,
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


def check_stock(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	if not thresholds.check_stock:
		return []
	reasons = []
	# Several lines may draw on the same item and warehouse: count them together.
	demanded: dict[tuple[str, str], float] = {}
	for line in facts.lines:
		if not line.is_stock_item:
			continue
		key = (line.item_code, line.warehouse)
		demanded[key] = demanded.get(key, 0.0) + line.stock_qty
		if demanded[key] > line.projected_qty:
			reasons.append(
				HoldReason(
					Rule.STOCK_SHORTAGE,
					round(line.projected_qty, 3),
					round(demanded[key], 3),
					_("Row {0}: projected quantity {1} of {2} is below the {3} ordered"),
					(line.idx, round(line.projected_qty, 3), line.item_code, round(demanded[key], 3)),
					line.idx,
				)
			)
	return reasons


def check_discount(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	limit = thresholds.max_discount_without_review
	if limit <= 0:
		return []
	return [
		HoldReason(
			Rule.DISCOUNT,
			round(line.discount_percentage, 2),
			limit,
			_("Row {0}: discount {1}% on {2} is above the {3}% allowed without review"),
			(line.idx, round(line.discount_percentage, 2), line.item_code, limit),
			line.idx,
		)
		for line in facts.lines
		if line.discount_percentage > limit
	]


def check_margin(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	if not thresholds.check_margin:
		return []
	return [
		HoldReason(
			Rule.BELOW_COST,
			round(line.net_rate_per_stock_uom, 4),
			round(line.valuation_rate, 4),
			_("Row {0}: net rate {1} of {2} is below its valuation rate {3}"),
			(line.idx, round(line.net_rate_per_stock_uom, 4), line.item_code, round(line.valuation_rate, 4)),
			line.idx,
		)
		for line in facts.lines
		if line.valuation_rate and line.net_rate_per_stock_uom < line.valuation_rate
	]


def check_order_value(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	limit = thresholds.max_order_value_without_review
	if limit <= 0 or facts.grand_total <= limit:
		return []
	return [
		HoldReason(
			Rule.ORDER_VALUE,
			round(facts.grand_total, 2),
			limit,
			_("Grand total {0} is above {1}, the most approved without review"),
			(round(facts.grand_total, 2), limit),
		)
	]


def check_customer_risk(facts: OrderFacts, thresholds: Thresholds) -> list[HoldReason]:
	reasons = []
	if thresholds.check_new_customer and not facts.has_prior_invoice:
		reasons.append(HoldReason(Rule.NEW_CUSTOMER, 0, 1, _("New customer: no submitted Sales Invoice yet")))
	if facts.flagged_for_review:
		reasons.append(
			HoldReason(Rule.FLAGGED_CUSTOMER, 1, 0, _("The customer is flagged for review of every order"))
		)
	return reasons
