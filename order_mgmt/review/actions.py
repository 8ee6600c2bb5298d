"""The hand-off of approved orders to ERPNext, and API shortcuts for review decisions."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import frappe
from frappe import _

from order_mgmt.accounting.payments import sync_payment_status
from order_mgmt.erpnext_bridge.sales_order import assert_sales_order_matches, create_sales_order
from order_mgmt.erpnext_bridge.stock_reservation import reservation_enabled, reserve_for_sales_order
from order_mgmt.fulfilment.shortage import raise_material_request, record_shortages
from order_mgmt.orders import status as order_status
from order_mgmt.orders.tracking import sync_from_sales_order

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


@contextmanager
def atomic(name: str):
	"""All or nothing inside a larger transaction: roll back to a savepoint on error, then re-raise."""
	savepoint = f"om_{name}_{frappe.generate_hash(length=8)}"
	frappe.db.savepoint(savepoint)
	try:
		yield
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		raise
	else:
		frappe.db.release_savepoint(savepoint)


def hand_off(order: CustomerOrder) -> str:
	"""Create and submit the order's Sales Order, link both ways and mirror its status."""
	so = create_sales_order(order, submit_as=credit_approver(order))
	assert_sales_order_matches(order, so)
	order.db_set("sales_order", so.name, update_modified=False)
	sync_payment_status(order.name)
	if reservation_enabled():
		reserved = reserve_for_sales_order(so)
		raise_material_request(so, reserved)
		record_shortages(order, so, reserved)
	sync_from_sales_order(so)
	order.reload()
	return so.name


def credit_approver(order: CustomerOrder) -> str | None:
	"""Who approved the stage a credit-limit hold was routed to (ERPNext checks that user's roles)."""
	credit_stages = [r.stage for r in order.hold_reasons if r.rule and r.stage and _is_credit_rule(r.rule)]
	if not credit_stages:
		return None
	return frappe.db.get_value(
		"Order Review",
		{"customer_order": order.name, "stage": ("in", credit_stages), "decision": "Approved"},
		"reviewer",
	)


def _is_credit_rule(rule: str) -> bool:
	return frappe.db.get_value("Order Review Rule", rule, "condition") == "Credit Over Limit"


def auto_approve_on_submit(order: CustomerOrder) -> None:
	"""Hand an auto-approved order to ERPNext; if ERPNext refuses, put it On Hold with ERPNext's reason
	for an Order Manager to release (Release retries the hand-off)."""
	try:
		with atomic("auto_approve"):
			hand_off(order)
	except frappe.ValidationError as error:
		frappe.clear_last_message()
		message = _("The Sales Order could not be created: {0}").format(frappe.utils.strip_html(str(error)))
		order.append("hold_reasons", {"rule": "Sales Order", "message": message})
		order.hold_reasons[-1].db_insert()
		order.db_set(
			{
				"status": order_status.ON_HOLD,
				"workflow_state": "On Hold",
				"review_decision": "Held for Review",
				"reviewed_on": None,
			}
		)


def _current_state(name: str) -> str:
	state = frappe.db.get_value("Customer Order", name, "workflow_state")
	if state is None:
		frappe.throw(_("Customer Order {0} does not exist").format(name), frappe.DoesNotExistError)
	return state


@frappe.whitelist(methods=["POST"])
def approve_order(name: str, comment: str | None = None) -> dict:
	"""Approve the stage the order waits for (or release an order on hold)."""
	from order_mgmt.review.workflow import ON_HOLD, take_action

	state = _current_state(name)
	return take_action(name, "Release" if state == ON_HOLD else "Approve", comment, expected_state=state)


@frappe.whitelist(methods=["POST"])
def reject_order(name: str, reason: str) -> dict:
	from order_mgmt.review.workflow import take_action

	return take_action(name, "Reject", reason, expected_state=_current_state(name))
