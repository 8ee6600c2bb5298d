"""Payment terms hold goods back: checked when orders are picked and when a Delivery Note is
submitted (the app's pick lists and ERPNext's own forms alike), with a message saying what is
missing."""

from __future__ import annotations

import frappe
from frappe import _

from order_mgmt.accounting import payment_gate
from order_mgmt.accounting.payments import PAYMENT_HOLD_RULE, hold_requirement, missing_requirement
from order_mgmt.orders import status as order_status

HOLDING_GATES = [payment_gate.PREPAID, payment_gate.DEPOSIT]


class PaymentGateError(frappe.ValidationError):
	pass


def check_orders(order_names: list[str], stage: str) -> None:
	"""Refuse, naming the order, when its payment terms need more paid before `stage`. Orders whose
	terms hold nothing back cost one query for the whole batch."""
	if not order_names:
		return
	orders = frappe.get_all(
		"Customer Order",
		filters={"name": ("in", order_names), "payment_terms_template": ("is", "set")},
		fields=["name", "payment_terms_template"],
	)
	templates = {order.payment_terms_template for order in orders}
	holding = (
		set(
			frappe.get_all(
				"Payment Terms Template",
				filters={
					"name": ("in", list(templates) or [""]),
					"order_payment_gate": ("in", HOLDING_GATES),
				},
				pluck="name",
			)
		)
		if templates
		else set()
	)
	for row in orders:
		if row.payment_terms_template not in holding:
			continue
		order = frappe.get_doc("Customer Order", row.name)
		missing = missing_requirement(order, stage)
		if missing:
			frappe.throw(
				_("{0}: payment terms {1} need {2} paid before {3}; {4} is paid, {5} is missing").format(
					order.name, *_requirement_values(order, missing)
				),
				PaymentGateError,
				title=_("Payment Required"),
			)


def refuse_payment_holds(order_names: list[str], stage: str) -> None:
	"""An order on hold for payment (a reversed payment) is out of warehouse staff's sight, whose read
	access covers the orders to deliver: rather than Frappe's permission error, whoever may pick or
	ship is told why it is held and what is missing. Called before the order's read check."""
	if not order_names:
		return
	held = frappe.get_all(
		"Customer Order",
		filters={"name": ("in", order_names), "status": order_status.ON_HOLD, "docstatus": 1},
		pluck="name",
	)
	for name in sorted(held):
		if not frappe.db.exists(
			"Customer Order Hold Reason",
			{"parent": name, "parenttype": "Customer Order", "rule": PAYMENT_HOLD_RULE},
		):
			continue  # held by review: not this gate's to explain
		order = frappe.get_doc("Customer Order", name)
		missing = hold_requirement(order) or missing_requirement(order, stage)
		if not missing:
			continue  # paid since: whatever holds it now is not a payment
		frappe.throw(
			_(
				"{0} is on hold for payment: payment terms {1} need {2} paid before {3}; {4} is paid, {5} is missing"
			).format(name, *_requirement_values(order, missing)),
			PaymentGateError,
			title=_("Payment Required"),
		)


def _requirement_values(order, missing) -> tuple[str, ...]:
	"""Terms template, required, stage, paid, missing: as the messages show them."""
	return (
		order.payment_terms_template,
		_money(missing.required, order.currency),
		_(missing.stage),
		_money(missing.paid, order.currency),
		_money(missing.missing, order.currency),
	)


def _money(amount: float, currency: str | None) -> str:
	return frappe.format_value(amount, {"fieldtype": "Currency", "options": currency})


def orders_of_rows(rows, field: str) -> list[str]:
	sales_orders = {row.get(field) for row in rows if row.get(field)}
	if not sales_orders:
		return []
	return sorted(
		set(
			frappe.get_all(
				"Sales Order",
				filters={"name": ("in", list(sales_orders)), "customer_order": ("is", "set")},
				pluck="customer_order",
			)
		)
	)


def before_delivery_note_submit(doc, method=None) -> None:
	if doc.is_return:
		return  # goods coming back are never held for payment
	check_orders(orders_of_rows(doc.items, "against_sales_order"), payment_gate.SHIPMENT)


def before_pick_list_submit(doc, method=None) -> None:
	if doc.purpose != "Delivery" or doc.flags.payment_gate_checked:
		return  # the app's batch pick list checked its orders before releasing their stock
	check_orders(orders_of_rows(doc.locations, "sales_order"), payment_gate.PICKING)
