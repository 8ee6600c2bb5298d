"""Gathers the facts the review engine decides on, from ERPNext's own data, and stores its decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from erpnext.selling.doctype.customer.customer import get_credit_limit, get_customer_outstanding
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import cint, flt

from order_mgmt.orders import status as order_status
from order_mgmt.review.engine import Decision, LineFacts, OrderFacts, decide
from order_mgmt.settings import get_settings, review_thresholds

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


def gather_facts(order: CustomerOrder) -> OrderFacts:
	credit_limit = flt(get_credit_limit(order.customer, order.company))
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
		flagged_for_review=bool(
			cint(frappe.db.get_value("Customer", order.customer, "requires_order_review"))
		),
	)


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
			& (co.name != order.name)
		)
	).run()
	return flt(total[0][0]) if total else 0.0


def _line_facts(order: CustomerOrder) -> list[LineFacts]:
	item_codes = list({line.item_code for line in order.items})
	stock_items = set(
		frappe.get_all("Item", filters={"name": ("in", item_codes), "is_stock_item": 1}, pluck="name")
	)
	item_valuation = dict(
		frappe.get_all(
			"Item", filters={"name": ("in", item_codes)}, fields=["name", "valuation_rate"], as_list=True
		)
	)
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
		projected = flt(bin_.projected_qty) if bin_ else 0.0
		valuation = (
			flt(bin_.valuation_rate)
			if bin_ and bin_.valuation_rate
			else flt(item_valuation.get(line.item_code))
		)
		line.projected_qty = projected
		conversion = flt(line.conversion_factor) or 1.0
		facts.append(
			LineFacts(
				idx=line.idx,
				item_code=line.item_code,
				stock_qty=flt(line.stock_qty) or flt(line.qty) * conversion,
				is_stock_item=line.item_code in stock_items,
				warehouse=line.warehouse or "",
				projected_qty=projected,
				discount_percentage=flt(line.discount_percentage),
				# Valuation is in company currency per stock UOM.
				net_rate_per_stock_uom=flt(line.rate) * (flt(order.conversion_rate) or 1.0) / conversion,
				valuation_rate=valuation or None,
			)
		)
	return facts


def run_automatic_review(order: CustomerOrder) -> Decision:
	"""Decide and record the decision on the order (called before submit, so it is saved with it)."""
	decision = decide(gather_facts(order), review_thresholds())
	order.set("hold_reasons", [])
	for reason in decision.reasons:
		order.append(
			"hold_reasons",
			{
				"rule": reason.rule.value,
				"line": reason.line_idx,
				"measured_value": str(reason.measured),
				"threshold": str(reason.threshold),
				"message": _(reason.template).format(*reason.args),
			},
		)
	if decision.auto_approve and not cint(get_settings().auto_approve):
		order.append(
			"hold_reasons",
			{
				"rule": "Manual Review",
				"message": _("Automatic approval is turned off in Order Management Settings"),
			},
		)
	if order.hold_reasons:
		order.review_decision = "Held for Review"
		order.status = order_status.PENDING_REVIEW
	else:
		order.review_decision = "Auto-approved"
		order.status = order_status.APPROVED
		order.reviewed_on = frappe.utils.now_datetime()
	return decision
