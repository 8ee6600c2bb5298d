"""The hand-off of approved orders to ERPNext, and API shortcuts for review decisions."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import frappe
from frappe import _

from order_mgmt.erpnext_bridge.sales_order import (
	assert_sales_order_matches,
	create_sales_order,
	record_hand_off,
)
from order_mgmt.erpnext_bridge.stock_reservation import reservation_enabled, reserve_for_sales_order
from order_mgmt.fulfilment.promising import commit_promises
from order_mgmt.fulfilment.shortage import raise_material_request, record_shortages
from order_mgmt.orders import status as order_status

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


class DatabaseBusyError(frappe.ValidationError):
	"""A deadlock or lock wait ended the work: nothing of it was kept, and it may simply be tried again."""

	http_status_code = 409


BUSY_ERRORS = (frappe.QueryDeadlockError, frappe.QueryTimeoutError)
SAVEPOINT_DOES_NOT_EXIST = 1305  # MariaDB's error once the transaction holding the savepoint is gone


@contextmanager
def atomic(name: str, busy_message: str | None = None):
	"""All or nothing inside a larger transaction: roll back to a savepoint on error, then re-raise.

	A deadlock makes the database roll back the whole transaction, savepoint included: then
	everything since the transaction began is gone, so the rest of the transaction is rolled back
	too and DatabaseBusyError says so (never the raw "SAVEPOINT … does not exist" that hid it). A
	lock wait timeout undoes only its statement: back to the savepoint, and DatabaseBusyError."""
	savepoint = f"om_{name}_{frappe.generate_hash(length=8)}"
	frappe.db.savepoint(savepoint)
	try:
		yield
	except Exception as error:
		try:
			frappe.db.rollback(save_point=savepoint)
		except Exception as rollback_error:
			if getattr(rollback_error, "args", (None,))[0] != SAVEPOINT_DOES_NOT_EXIST:
				raise
			frappe.db.rollback()  # the database ended the transaction: end it here too
			if isinstance(error, DatabaseBusyError):
				raise error from error.__cause__  # an inner atomic's, already said
			raise_busy(busy_message, error)
		if is_busy(error):
			raise_busy(busy_message, error)
		raise
	else:
		frappe.db.release_savepoint(savepoint)


def is_busy(error: Exception) -> bool:
	"""A deadlock, a lock wait timeout, or a statement cut off by the session's max_statement_time
	(which pymysql raises as a bare OperationalError)."""
	return isinstance(error, BUSY_ERRORS) or bool(error.args and frappe.db.is_statement_timeout(error))


def raise_busy(message: str | None, cause: Exception) -> None:
	frappe.clear_last_message()
	try:
		frappe.throw(
			message or _("The action could not be completed because the database was busy; try again"),
			DatabaseBusyError,
			title=_("Database Busy"),
		)
	except DatabaseBusyError as busy:
		raise busy from cause


def hand_off(order: CustomerOrder) -> str:
	"""Create and submit the order's Sales Order, link both ways and mirror its status."""
	so = create_sales_order(order, credit_approved_by=credit_approver(order))
	assert_sales_order_matches(order, so)
	record_hand_off(order, so)  # link, payment figures and status: one write, on the object too
	if reservation_enabled():
		reserved = reserve_for_sales_order(so)
		raise_material_request(so, reserved)
		record_shortages(order, so, reserved)
		commit_promises(order, so, reserved)
	return so.name


def credit_approver(order: CustomerOrder) -> str | None:
	"""Who approved the stage a credit-limit hold was routed to (their approval covers ERPNext's credit
	check on this order's Sales Order: accounting/credit.py)."""
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
	for an Order Manager to release (Release retries the hand-off). A deadlock is no refusal: the
	submit fails with "database busy" and leaves the order a draft (take_action retries it)."""
	try:
		with atomic(
			"auto_approve", _("The order could not be approved because the database was busy; try again")
		):
			hand_off(order)
	except DatabaseBusyError:
		raise  # nothing was kept: the submit fails as a whole and the order stays a draft
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
