"""Cancelling a Customer Order: a reason is required, and its Sales Order goes with it when still untouched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _

from order_mgmt import server_owned
from order_mgmt.erpnext_bridge.sales_order import cancel_sales_order as cancel_erpnext_sales_order
from order_mgmt.erpnext_bridge.sales_order import sales_order_progress
from order_mgmt.orders.status import can_cancel_with_sales_order

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


class CancellationError(frappe.ValidationError):
	pass


def validate_cancellation(order: CustomerOrder) -> None:
	# A workflow "Cancel" carries its comment as the reason; a returned order, the reviewer's comment.
	order.cancellation_reason = (
		order.cancellation_reason
		or frappe.flags.get("order_review_comment")
		or (order.review_comment if order.status == "Returned for Changes" else None)
	)
	if not (order.cancellation_reason or "").strip():
		frappe.throw(
			_("Give a reason to cancel {0}: the Cancel action asks for it").format(order.name),
			CancellationError,
			title=_("Reason Required"),
		)
	if not order.sales_order:
		return
	progress = sales_order_progress(order.sales_order)
	if (
		progress
		and progress.docstatus == 1
		and not can_cancel_with_sales_order(progress.per_delivered, progress.per_billed)
	):
		frappe.throw(
			_(
				"Cannot cancel {0}: its Sales Order {1} is already {2}% delivered and {3}% billed. "
				"Return or credit those documents first."
			).format(order.name, order.sales_order, progress.per_delivered, progress.per_billed),
			CancellationError,
			title=_("Cannot Cancel"),
		)


def set_cancelled_workflow_state(order: CustomerOrder) -> None:
	"""Frappe moves the workflow state on cancel only through a workflow action; the API's plain
	cancel would leave the order "Approved" while it is cancelled."""
	from frappe.model.workflow import get_workflow_name, set_workflow_state_on_action

	if workflow := get_workflow_name(order.doctype):
		set_workflow_state_on_action(order, workflow, "cancel")


def cancel_sales_order(order: CustomerOrder) -> None:
	if order.sales_order:
		cancel_erpnext_sales_order(order.sales_order)


@frappe.whitelist(methods=["POST"])
def cancel_order(name: str, reason: str) -> dict:
	"""Cancel with a reason (the API; the form's workflow Cancel action goes through take_action)."""
	order = frappe.get_doc("Customer Order", name)
	order.check_permission("cancel")
	if not (reason or "").strip():
		frappe.throw(
			_("Give a reason to cancel {0}").format(name), CancellationError, title=_("Reason Required")
		)
	with server_owned.writing(order):  # the reason is the one field this path writes
		order.cancellation_reason = reason.strip()
		order.cancel()
	return {"status": order.status}
