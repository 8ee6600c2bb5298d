"""Decisions on held orders (approve, reject) and the hand-off of approved orders to ERPNext."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.utils import now_datetime

from order_mgmt.erpnext_bridge.sales_order import assert_sales_order_matches, create_sales_order
from order_mgmt.orders import status as order_status
from order_mgmt.orders.tracking import sync_from_sales_order

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

APPROVER_ROLES = ("Order Manager", "System Manager")


class ReviewError(frappe.ValidationError):
	pass


class AlreadyDecidedError(ReviewError):
	"""Someone else decided (or the order moved on) first."""


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


def lock_order(name: str) -> CustomerOrder:
	"""Load the order with its row locked, so concurrent decisions queue up and see each other's result."""
	if not frappe.db.get_value("Customer Order", name, "name", for_update=True):
		frappe.throw(_("Customer Order {0} does not exist").format(name), frappe.DoesNotExistError)
	return frappe.get_doc("Customer Order", name)


def check_can_decide(order: CustomerOrder) -> None:
	if not set(APPROVER_ROLES) & set(frappe.get_roles()):
		frappe.throw(
			_("Only an Order Manager can approve or reject orders held for review"), frappe.PermissionError
		)
	if not frappe.has_permission("Customer Order", "write", order.name):
		frappe.throw(_("Not permitted to change {0}").format(order.name), frappe.PermissionError)
	if order.docstatus != 1 or order.status not in order_status.REVIEW_OPEN:
		frappe.throw(
			_("Customer Order {0} was already decided: it is {1}").format(order.name, _(order.status)),
			AlreadyDecidedError,
			title=_("Already Decided"),
		)


def hand_off(order: CustomerOrder) -> str:
	"""Create and submit the order's Sales Order, link both ways and mirror its status."""
	so = create_sales_order(order)
	assert_sales_order_matches(order, so)
	order.db_set("sales_order", so.name, update_modified=False)
	sync_from_sales_order(so)
	order.reload()
	return so.name


@frappe.whitelist(methods=["POST"])
def approve_order(name: str, comment: str | None = None) -> dict:
	with atomic("approve"):
		order = lock_order(name)
		check_can_decide(order)
		order.db_set(
			{
				"status": order_status.APPROVED,
				"review_decision": "Approved",
				"reviewed_by": frappe.session.user,
				"reviewed_on": now_datetime(),
				"review_comment": comment,
			}
		)
		sales_order = hand_off(order)
		order.add_comment("Comment", _("Approved: {0}").format(comment) if comment else _("Approved"))
	return {"status": order.status, "sales_order": sales_order}


@frappe.whitelist(methods=["POST"])
def reject_order(name: str, reason: str) -> dict:
	if not (reason or "").strip():
		frappe.throw(_("Give a reason for the rejection"), ReviewError, title=_("Reason Required"))
	with atomic("reject"):
		order = lock_order(name)
		check_can_decide(order)
		order.db_set(
			{
				"status": order_status.REJECTED,
				"review_decision": "Rejected",
				"reviewed_by": frappe.session.user,
				"reviewed_on": now_datetime(),
				"review_comment": reason,
			}
		)
		order.add_comment("Comment", _("Rejected: {0}").format(reason))
	return {"status": order.status}


def auto_approve_on_submit(order: CustomerOrder) -> None:
	"""Hand an auto-approved order to ERPNext; if ERPNext refuses, hold it with ERPNext's reason."""
	try:
		with atomic("auto_approve"):
			hand_off(order)
	except frappe.ValidationError as error:
		frappe.clear_last_message()
		message = _("The Sales Order could not be created: {0}").format(frappe.utils.strip_html(str(error)))
		order.append("hold_reasons", {"rule": "Sales Order", "message": message})
		order.hold_reasons[-1].db_insert()
		order.db_set(
			{"status": order_status.PENDING_REVIEW, "review_decision": "Held for Review", "reviewed_on": None}
		)
