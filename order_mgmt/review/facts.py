"""Gathers the facts, rules and stages the review engine decides on, and stores its decision.

Facts come from ERPNext's own data (credit limit and outstanding, Bin, Sales Invoice); rules
and stages from Order Review Rule and Order Review Stage. The facts a submit was decided on are
frozen (JSON, `facts_snapshot`) on the Order Review it opens, for policy replay.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import frappe
from erpnext.selling.doctype.customer.customer import get_credit_limit, get_customer_outstanding
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import cint, flt

from order_mgmt.orders import status as order_status
from order_mgmt.review.engine import (
	Condition,
	Decision,
	LineFacts,
	OrderFacts,
	ReviewRule,
	Stage,
	credit_exposure,
	decide,
	next_stages,
)
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

MANUAL_REVIEW = "Manual Review"


def gather_facts(order: CustomerOrder) -> OrderFacts:
	credit_limit = _credit_limit(order)
	return OrderFacts(
		grand_total=flt(order.base_grand_total),
		lines=tuple(_line_facts(order)),
		credit_limit=credit_limit,
		# ERPNext's outstanding: GL balance + unbilled Sales Orders + unbilled Delivery Notes.
		outstanding=flt(get_customer_outstanding(order.customer, order.company)) if credit_limit else 0.0,
		open_orders=_open_order_value(order) if credit_limit else 0.0,
		has_prior_invoice=bool(
			frappe.db.exists("Sales Invoice", {"customer": order.customer, "docstatus": 1})
		),
		flagged_for_review=_customer_flagged(order),
		order_type=order.order_type or "",
		channel=order.channel or "",
		payment_terms=order.payment_terms_template or "",
	)


def _credit_limit(order: CustomerOrder) -> float:
	"""ERPNext's own credit limit of the customer for the company (its group's, the company's): read
	through ERPNext's API, not re-implemented — one statement more is cheaper than two definitions."""
	return flt(get_credit_limit(order.customer, order.company))


def _customer_flagged(order: CustomerOrder) -> bool:
	"""The customer's "requires order review" flag: from intake's read of the customer in this validation
	(orders.intake.validate_customer), else read here."""
	row = order.flags.get("customer_row")
	if not row or row.get("requires_order_review") is None:
		return bool(cint(frappe.db.get_value("Customer", order.customer, "requires_order_review")))
	return bool(cint(row.requires_order_review))


def _open_order_value(order: CustomerOrder) -> float:
	"""Orders of this customer accepted here but not yet Sales Orders (ERPNext cannot see them)."""
	co = frappe.qb.DocType("Customer Order")
	total = (
		frappe.qb.from_(co)
		.select(Sum(co.base_grand_total))
		.where(
			(co.customer == order.customer)
			& (co.company == order.company)
			& (co.docstatus == 1)
			& (co.status.isin(order_status.REVIEW_OPEN))
			& (co.name != (order.name or ""))
		)
	).run()
	return flt(total[0][0]) if total else 0.0


def _line_facts(order: CustomerOrder) -> list[LineFacts]:
	item_codes = list({line.item_code for line in order.items})
	items = _validated_items(order, item_codes)
	if items is None:
		items = {
			item.name: item
			for item in frappe.get_all(
				"Item",
				filters={"name": ("in", item_codes)},
				fields=["name", "is_stock_item", "valuation_rate"],
			)
		}
	warehouses = list({line.warehouse for line in order.items if line.warehouse})
	bins = {
		(b.item_code, b.warehouse): b
		for b in frappe.get_all(
			"Bin",
			filters={"item_code": ("in", item_codes), "warehouse": ("in", warehouses or [""])},
			fields=["item_code", "warehouse", "projected_qty", "valuation_rate"],
		)
	}
	facts = []
	for line in order.items:
		bin_ = bins.get((line.item_code, line.warehouse))
		item = items.get(line.item_code) or frappe._dict()
		projected = flt(bin_.projected_qty) if bin_ else 0.0
		valuation = flt(bin_.valuation_rate) if bin_ and bin_.valuation_rate else flt(item.valuation_rate)
		line.projected_qty = projected
		line.valuation_rate = valuation
		conversion = flt(line.conversion_factor) or 1.0
		facts.append(
			LineFacts(
				idx=line.idx,
				item_code=line.item_code,
				stock_qty=flt(line.stock_qty) or flt(line.qty) * conversion,
				is_stock_item=bool(item.is_stock_item),
				warehouse=line.warehouse or "",
				projected_qty=projected,
				discount_percentage=flt(line.discount_percentage),
				# Valuation is in company currency per stock UOM.
				net_rate_per_stock_uom=flt(line.rate) * (flt(order.conversion_rate) or 1.0) / conversion,
				valuation_rate=valuation or None,
			)
		)
	return facts


def _validated_items(order: CustomerOrder, item_codes: list[str]) -> dict | None:
	"""The Items intake validation read for these lines in this validation (orders.intake.item_facts),
	if it read them with the fields the facts need; None: read them here."""
	cached = order.flags.get("item_facts")
	if not cached or set(cached[0]) != {code for code in item_codes if code}:
		return None
	items = cached[1]
	if any("is_stock_item" not in item or "valuation_rate" not in item for item in items.values()):
		return None
	return items


def enabled_stages() -> list[Stage]:
	return [
		Stage(row.name, cint(row.sequence))
		for row in frappe.get_all(
			"Order Review Stage", filters={"enabled": 1}, fields=["name", "sequence"], order_by="sequence asc"
		)
	]


def enabled_rules() -> list[ReviewRule]:
	rules = []
	for row in frappe.get_all(
		"Order Review Rule",
		filters={"enabled": 1},
		fields=["name", "condition", "stage", "threshold", "match_value"],
		order_by="name asc",
	):
		try:
			condition = Condition(row.condition)
		except ValueError:
			continue  # a condition added by a newer version; ignore rather than fail intake
		rules.append(ReviewRule(row.name, condition, row.stage, flt(row.threshold), row.match_value or ""))
	return rules


def stages_approved_on_original(order: CustomerOrder) -> list[str]:
	"""An amended order goes back through every stage that approved the order it amends."""
	if not order.amended_from:
		return []
	originals, name = [], order.amended_from
	while name and len(originals) < 20:
		originals.append(name)
		name = frappe.db.get_value("Customer Order", name, "amended_from")
	return frappe.get_all(
		"Order Review",
		filters={"customer_order": ("in", originals), "decision": "Approved"},
		pluck="stage",
		distinct=True,
	)


def compute_route(order: CustomerOrder) -> Decision:
	"""Decide which stages the order needs and record it on the order (saved with it)."""
	facts = gather_facts(order)
	# Frozen with the order (saved with it: no statement of its own) and on the Order Review the submit
	# opens: policy replay decides on them, for orders held and approved at once alike.
	order.decision_facts = order.flags.decision_facts = facts_snapshot(facts)
	stages = enabled_stages()
	decision = decide(facts, enabled_rules(), stages, must_pass=stages_approved_on_original(order))
	order.set("hold_reasons", [])
	for reason in decision.reasons:
		order.append(
			"hold_reasons",
			{
				"rule": reason.rule,
				"stage": reason.stage,
				"line": reason.line_idx,
				"measured_value": str(reason.measured),
				"threshold": str(reason.threshold),
				"message": _(reason.template).format(*reason.args),
			},
		)
	route = list(decision.route)
	for stage in stages_approved_on_original(order):
		if stage in route and not any(r.stage == stage for r in decision.reasons):
			order.append(
				"hold_reasons",
				{"rule": "Amended", "stage": stage, "message": _("Amended after approval: review again")},
			)
	if not route and stages and not cint(get_settings().auto_approve):
		route = [stages[0].name]
		order.append(
			"hold_reasons",
			{
				"rule": MANUAL_REVIEW,
				"stage": stages[0].name,
				"message": _("Automatic approval is turned off in Order Management Settings"),
			},
		)
	order.review_route = ", ".join(route)
	order.current_review_stage, order.following_review_stage = next_stages(route, ())
	order.credit_limit = facts.credit_limit
	order.credit_exposure = credit_exposure(facts) if facts.credit_limit else 0
	return decision


def facts_snapshot(facts: OrderFacts) -> str:
	"""The facts as JSON, frozen on the order's Order Review (review.workflow.open_review) for policy
	replay (analytics/replay.py `facts_from_dict` reads them back). Restricted: credit figures."""
	return json.dumps(asdict(facts), separators=(",", ":"))


def route_of(order) -> list[str]:
	return [stage.strip() for stage in (order.review_route or "").split(",") if stage.strip()]


def hold_reasons_as_checks(order) -> list[dict]:
	"""What a reviewer saw, frozen into the Order Review record at decision time."""
	return [
		{
			"rule": row.rule,
			"line": row.line,
			"measured_value": row.measured_value,
			"threshold": row.threshold,
			"result": "Hold",
			"message": row.message,
		}
		for row in order.hold_reasons
	]
