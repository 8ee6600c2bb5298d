"""Which tier a change to an approved order falls in, as plain Python: the change's facts in; problems,
reasons, tier and review route out.

The seeds' change notice knows three tiers:

- *minor* — a new shipping address or notes, a delivery date the stock still meets, a quantity change
  that stays within reserved/available stock at an unchanged price: applied at once;
- *affects delivery* — more than the stock can cover now, a date the stock cannot meet: the
  Warehouse stage reviews it;
- *affects price, credit or structure* — a new item, a rate or discount change (Sales), new payment
  terms (Finance), the total going up by at least the threshold (Sales), and whatever the Order Review
  Rules that apply to changes say of the change: their own stages review it.

Which Order Review Rules judge changes is the admin's choice (the rule's *Applies to Changes* box; the
shipped discount, below-cost, order-value and credit-limit rules have it): the Frappe side passes only
those. Each judges what the change changes, never again what was approved already: discount and
below-cost the changed and added lines as they would be; order value the new total, only when the change
crosses the threshold; credit the increase on top of ERPNext's outstanding; stock shortage the extra
quantity against the stock free to reserve; payment terms the new terms, only when they change. The
rules on the customer, order type and channel judge the order (the channel: the change request's own)
as it stands, so a box ticked on them sends every change of such orders to the rule's stage.

Problems stop a change before it is saved: a quantity below what is already delivered, or below
what is picked (un-pick first), or a request that changes nothing. Nothing here touches the database
(tests/test_change_tiers.py); the Frappe side (orders/change_request.py) measures the facts from ERPNext
and the Customer Order, turns problems into translated errors naming the row, and stores the tier,
reasons and route on the Order Change Request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from order_mgmt.review.engine import Condition, LineFacts, OrderFacts, ReviewRule, Stage, evaluate

EPSILON = 1e-9


def _(message: str) -> str:
	"""Marks a message for translation extraction; the Frappe side translates it when shown."""
	return message


def num(value: float, digits: int = 3) -> float | int:
	"""A measured value as shown in a message: rounded, without a trailing .0."""
	value = round(float(value or 0), digits)
	return int(value) if value == int(value) else value


class Tier(str, Enum):
	MINOR = "Minor"
	DELIVERY = "Affects Delivery"
	COMMERCIAL = "Affects Price or Credit"


class Action(str, Enum):
	ADD = "Add"
	CHANGE = "Change"
	REMOVE = "Remove"
	KEEP = "Keep"


TIER_RANK = {Tier.MINOR: 0, Tier.DELIVERY: 1, Tier.COMMERCIAL: 2}

RULE_TIERS = {Condition.STOCK_SHORT: Tier.DELIVERY}
"""The tier a rule's reason puts a change in: a stock rule affects delivery, every other rule price or
credit."""


@dataclass(frozen=True)
class LineChange:
	idx: int
	item_code: str
	action: Action
	qty_before: float = 0.0
	qty_after: float = 0.0
	rate_before: float = 0.0
	rate_after: float = 0.0
	discount_before: float = 0.0
	discount_after: float = 0.0
	conversion_factor: float = 1.0
	delivered_qty: float = 0.0
	"""In the line's UOM, as ERPNext's Sales Order Item counts it."""
	picked_qty: float = 0.0
	is_stock_item: bool = True
	free_stock_qty: float = 0.0
	"""Stock quantity in the line's warehouse that may be reserved now (actual less open reservations)."""
	net_rate_per_stock_uom: float = 0.0
	"""The new rate, net of discount, per stock UOM in company currency."""
	valuation_rate: float | None = None

	@property
	def extra_stock_qty(self) -> float:
		return max(self.qty_after - self.qty_before, 0.0) * (self.conversion_factor or 1.0)

	@property
	def new_shortage(self) -> float:
		if not self.is_stock_item:
			return 0.0
		return max(self.extra_stock_qty - max(self.free_stock_qty, 0.0), 0.0)

	@property
	def price_changed(self) -> bool:
		"""The rate moves (a discount asked for moves the rate with it; a discount merely re-measured against
		a price list that changed since does not)."""
		return self.action == Action.CHANGE and abs(self.rate_after - self.rate_before) > 0.005


@dataclass(frozen=True)
class ChangeFacts:
	lines: tuple[LineChange, ...]
	total_before: float = 0.0
	total_after: float = 0.0
	"""Grand totals in company currency."""
	increase_threshold: float = 0.0
	"""A total going up by at least this much needs Sales review; 0: only the other reasons count."""
	delivery_date_changed: bool = False
	delivery_date_met: bool = True
	"""The new delivery date is on or after the day every line's stock is (expected to be) there."""
	address_changed: bool = False
	notes_changed: bool = False
	payment_terms_changed: bool = False
	payment_terms_before: str = ""
	payment_terms_after: str = ""
	"""The order's Payment Terms Template before and after the change ("" when none)."""
	credit_limit: float = 0.0
	"""0: no limit set in ERPNext."""
	outstanding: float = 0.0
	"""ERPNext's customer outstanding, this order's unbilled Sales Order included."""
	has_prior_invoice: bool = True
	flagged_for_review: bool = False
	order_type: str = "Standard"
	channel: str = "Desk"
	"""The channel the change was asked through (Desk, Portal, Phone, Email)."""


@dataclass(frozen=True)
class ChangeStages:
	"""The Order Review Stages each tier goes to (names, as in Order Review Stage)."""

	commercial: str = "Sales"
	delivery: str = "Warehouse"
	finance: str = "Finance"
	"""Reviews new payment terms."""


@dataclass(frozen=True)
class ChangeReason:
	tier: Tier
	stage: str | None
	code: str
	template: str
	args: tuple = ()
	line_idx: int | None = None
	rule: str | None = None

	@property
	def message(self) -> str:
		return self.template.format(*self.args)


@dataclass(frozen=True)
class Problem:
	code: str
	template: str
	args: tuple = ()
	line_idx: int | None = None

	@property
	def message(self) -> str:
		return self.template.format(*self.args)


@dataclass(frozen=True)
class ChangeDecision:
	tier: Tier
	route: tuple[str, ...] = ()
	reasons: tuple[ChangeReason, ...] = field(default_factory=tuple)
	problems: tuple[Problem, ...] = field(default_factory=tuple)

	@property
	def apply_at_once(self) -> bool:
		return not self.problems and not self.route


def problems_of(facts: ChangeFacts) -> list[Problem]:
	problems = []
	for line in facts.lines:
		if line.qty_after < 0:
			problems.append(
				Problem(
					"negative_qty",
					_("Row {0}: quantity {1} of {2} cannot be negative"),
					(line.idx, num(line.qty_after), line.item_code),
					line.idx,
				)
			)
		elif line.qty_after + EPSILON < line.delivered_qty:
			problems.append(
				Problem(
					"below_delivered",
					_("Row {0}: quantity {1} of {2} is below the {3} already delivered"),
					(line.idx, num(line.qty_after), line.item_code, num(line.delivered_qty)),
					line.idx,
				)
			)
		elif line.qty_after + EPSILON < line.picked_qty:
			problems.append(
				Problem(
					"below_picked",
					_("Row {0}: quantity {1} of {2} is below the {3} already picked: un-pick it first"),
					(line.idx, num(line.qty_after), line.item_code, num(line.picked_qty)),
					line.idx,
				)
			)
		elif line.action == Action.ADD and line.qty_after <= EPSILON:
			problems.append(
				Problem(
					"added_without_qty",
					_("Row {0}: give a quantity for the new item {1}"),
					(line.idx, line.item_code),
					line.idx,
				)
			)
	changes_lines = any(line.action != Action.KEEP for line in facts.lines)
	if not (
		changes_lines
		or facts.delivery_date_changed
		or facts.address_changed
		or facts.notes_changed
		or facts.payment_terms_changed
	):
		problems.append(Problem("nothing_to_change", _("The request changes nothing on the order")))
	if facts.lines and all(line.qty_after <= EPSILON for line in facts.lines):
		problems.append(
			Problem("no_lines_left", _("The change leaves the order without lines: cancel the order instead"))
		)
	return problems


def commercial_reasons(
	facts: ChangeFacts, stage: str, finance_stage: str | None = None
) -> list[ChangeReason]:
	reasons = []
	for line in facts.lines:
		if line.action == Action.ADD:
			reasons.append(
				ChangeReason(
					Tier.COMMERCIAL,
					stage,
					"new_item",
					_("Row {0}: new item {1} added"),
					(line.idx, line.item_code),
					line.idx,
				)
			)
		elif line.price_changed:
			reasons.append(
				ChangeReason(
					Tier.COMMERCIAL,
					stage,
					"price_changed",
					_("Row {0}: price of {1} changes from {2} ({3}% off) to {4} ({5}% off)"),
					(
						line.idx,
						line.item_code,
						num(line.rate_before, 2),
						num(line.discount_before, 2),
						num(line.rate_after, 2),
						num(line.discount_after, 2),
					),
					line.idx,
				)
			)
	if facts.payment_terms_changed:
		reasons.append(
			ChangeReason(
				Tier.COMMERCIAL,
				finance_stage or stage,
				"payment_terms",
				_("The payment terms change from {0} to {1}"),
				(facts.payment_terms_before or "-", facts.payment_terms_after or "-"),
			)
		)
	increase = facts.total_after - facts.total_before
	if facts.increase_threshold > 0 and increase + EPSILON >= facts.increase_threshold:
		reasons.append(
			ChangeReason(
				Tier.COMMERCIAL,
				stage,
				"total_up",
				_("The grand total goes up by {0} (from {1} to {2}), at least the {3} that needs review"),
				(
					num(increase, 2),
					num(facts.total_before, 2),
					num(facts.total_after, 2),
					facts.increase_threshold,
				),
			)
		)
	return reasons


def delivery_reasons(facts: ChangeFacts, stage: str) -> list[ChangeReason]:
	reasons = []
	for line in facts.lines:
		if line.action in (Action.ADD, Action.CHANGE) and line.new_shortage > EPSILON:
			reasons.append(
				ChangeReason(
					Tier.DELIVERY,
					stage,
					"stock_short",
					_("Row {0}: {1} more of {2} is needed and only {3} can be reserved now"),
					(
						line.idx,
						num(line.extra_stock_qty, 3),
						line.item_code,
						num(max(line.free_stock_qty, 0.0), 3),
					),
					line.idx,
				)
			)
	if facts.delivery_date_changed and not facts.delivery_date_met:
		reasons.append(
			ChangeReason(
				Tier.DELIVERY,
				stage,
				"date_not_met",
				_("The new delivery date cannot be met from the stock reserved or expected"),
			)
		)
	return reasons


def rule_reasons(facts: ChangeFacts, rules: Iterable[ReviewRule]) -> list[ChangeReason]:
	"""The Order Review Rules that apply to changes (the caller passes only those), run by the review
	engine over what the change changes (module docstring)."""
	reasons = []
	for rule in rules:
		order = change_order_facts(facts, rule)
		if order is None:
			continue
		for reason in evaluate(rule, order):
			reasons.append(
				ChangeReason(
					RULE_TIERS.get(rule.condition, Tier.COMMERCIAL),
					rule.stage,
					rule.condition.value,
					reason.template,
					reason.args,
					reason.line_idx,
					rule.name,
				)
			)
	return reasons


def change_order_facts(facts: ChangeFacts, rule: ReviewRule) -> OrderFacts | None:
	"""The review engine's facts the rule judges for the change; None: nothing for it to judge."""
	condition = rule.condition
	increase = max(facts.total_after - facts.total_before, 0.0)
	whole_order = {
		"has_prior_invoice": facts.has_prior_invoice,
		"flagged_for_review": facts.flagged_for_review,
		"order_type": facts.order_type,
		"channel": facts.channel,
		"payment_terms": facts.payment_terms_after,
	}
	if condition == Condition.GRAND_TOTAL_AT_LEAST:
		if facts.total_before >= rule.threshold:
			return None  # the order was approved at that size already
		return OrderFacts(grand_total=facts.total_after, lines=())
	if condition == Condition.CREDIT_OVER_LIMIT:
		if increase <= EPSILON:
			return None
		return OrderFacts(
			grand_total=increase, lines=(), credit_limit=facts.credit_limit, outstanding=facts.outstanding
		)
	if condition == Condition.STOCK_SHORT:
		lines = tuple(
			LineFacts(
				idx=line.idx,
				item_code=line.item_code,
				stock_qty=line.extra_stock_qty,
				is_stock_item=line.is_stock_item,
				projected_qty=max(line.free_stock_qty, 0.0),
			)
			for line in facts.lines
			if line.action in (Action.ADD, Action.CHANGE) and line.extra_stock_qty > EPSILON
		)
		return OrderFacts(grand_total=facts.total_after, lines=lines) if lines else None
	if condition == Condition.PAYMENT_TERMS_IS:
		if not facts.payment_terms_changed:
			return None
		return OrderFacts(grand_total=facts.total_after, lines=(), **whole_order)
	if condition in (Condition.DISCOUNT_AT_LEAST, Condition.BELOW_COST):
		touched = tuple(
			LineFacts(
				idx=line.idx,
				item_code=line.item_code,
				stock_qty=line.qty_after * (line.conversion_factor or 1.0),
				is_stock_item=line.is_stock_item,
				discount_percentage=line.discount_after,
				net_rate_per_stock_uom=line.net_rate_per_stock_uom,
				valuation_rate=line.valuation_rate,
			)
			for line in facts.lines
			if line.action == Action.ADD or line.price_changed
		)
		return OrderFacts(grand_total=facts.total_after, lines=touched) if touched else None
	return OrderFacts(grand_total=facts.total_after, lines=(), **whole_order)


def decide_change(
	facts: ChangeFacts,
	rules: Iterable[ReviewRule] = (),
	stages: Iterable[Stage] = (Stage("Sales", 10), Stage("Finance", 20), Stage("Warehouse", 30)),
	change_stages: ChangeStages = ChangeStages(),
) -> ChangeDecision:
	"""The tier of the change, the stages that review it (in stage sequence; empty: apply at once),
	every reason with its measured values, and the problems that refuse it."""
	problems = tuple(problems_of(facts))
	stage_order = {stage.name: (stage.sequence, index) for index, stage in enumerate(stages)}
	# New payment terms go to Sales when there is no Finance stage: never applied unreviewed.
	finance = change_stages.finance if change_stages.finance in stage_order else change_stages.commercial
	reasons = tuple(
		reason
		for reason in (
			commercial_reasons(facts, change_stages.commercial, finance)
			+ rule_reasons(facts, rules)
			+ delivery_reasons(facts, change_stages.delivery)
		)
		if reason.stage in stage_order
	)
	tier = max((reason.tier for reason in reasons), key=TIER_RANK.__getitem__, default=Tier.MINOR)
	route = tuple(sorted({reason.stage for reason in reasons}, key=stage_order.__getitem__))
	return ChangeDecision(tier, route, reasons, problems)


def next_stage(route: Iterable[str], decided: Iterable[str]) -> str | None:
	decided = set(decided)
	return next((stage for stage in route if stage not in decided), None)
