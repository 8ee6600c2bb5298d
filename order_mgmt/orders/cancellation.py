"""Cancelling a Customer Order: a reason is required, and its Sales Order goes with it when still untouched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.utils import flt, now_datetime

from order_mgmt import server_owned
from order_mgmt.erpnext_bridge.sales_order import cancel_sales_order as cancel_erpnext_sales_order
from order_mgmt.erpnext_bridge.sales_order import sales_order_progress
from order_mgmt.orders.status import can_cancel_with_sales_order

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


REVIEW_CANCELLED = "Cancelled"
"""The Order Review decision of a review its order's cancellation closed (not a reviewer's decision)."""


class CancellationError(frappe.ValidationError):
	pass


class CancellationApprovalError(CancellationError):
	"""An approved order at or above the setting's value is cancelled only by an Order Manager."""


MANAGER_ROLES = {"Order Manager", "System Manager"}


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
	order.cancellation_category = cancellation_category(
		order.cancellation_category, order.cancellation_reason
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
	check_cancellation_authority(order)


def check_cancellation_authority(order: CustomerOrder) -> None:
	"""The seeds: important cancellations need a supervisor. An approved order whose grand total is at least
	*Cancellations needing an Order Manager from* is cancelled by an Order Manager (their cancellation is
	their approval, noted on the order); below it, whoever may cancel it."""
	if not order.sales_order:
		return
	threshold = flt(
		frappe.db.get_single_value("Order Management Settings", "cancellation_approval_threshold")
	)
	total = flt(order.base_grand_total)
	if threshold <= 0 or total < threshold:
		return
	user = frappe.session.user
	if MANAGER_ROLES & set(frappe.get_roles(user)):
		order.add_comment(
			"Info",
			_("Cancellation of {0} (grand total {1}, at least {2}) approved by {3}").format(
				order.name, total, threshold, user
			),
		)
		return
	frappe.throw(
		_(
			"Cancelling {0} (grand total {1}, at least {2}) takes an Order Manager: ask one to cancel it"
		).format(order.name, total, threshold),
		CancellationApprovalError,
		title=_("Approval Required"),
	)


OTHER_REASON = "Other"


def cancellation_category(category: str | None, reason: str | None) -> str | None:
	"""The Cancellation Reason of a cancellation: the one chosen (it must be enabled), else the one the reason's
	text names (e.g. "Duplicate Order"), else "Other" (the text says which)."""
	if category:
		if not frappe.db.get_value("Cancellation Reason", category, "enabled"):
			frappe.throw(
				_("{0} is not an enabled Cancellation Reason").format(frappe.utils.escape_html(category)),
				CancellationError,
			)
		return category
	text = (reason or "").strip()
	named = frappe.db.get_value("Cancellation Reason", {"reason_name": text, "enabled": 1}) if text else None
	return named or (OTHER_REASON if frappe.db.exists("Cancellation Reason", OTHER_REASON) else None)


def set_cancelled_workflow_state(order: CustomerOrder) -> None:
	"""Frappe moves the workflow state on cancel only through a workflow action; the API's plain
	cancel would leave the order "Approved" while it is cancelled."""
	from frappe.model.workflow import get_workflow_name, set_workflow_state_on_action

	if workflow := get_workflow_name(order.doctype):
		set_workflow_state_on_action(order, workflow, "cancel")


def close_pending_reviews(order: CustomerOrder) -> None:
	"""A cancelled order is reviewed no more, whichever path cancelled it (the API, the portal, the workflow's
	Cancel): its pending reviews are decided "Cancelled", with who cancelled it and why, and the reviewers'
	ToDos are closed."""
	from order_mgmt.review.notifications import close_stage_assignments

	pending = frappe.get_all(
		"Order Review", filters={"customer_order": order.name, "decision": "Pending"}, pluck="name"
	)
	if not pending:
		return
	user = frappe.session.user
	by_customer = frappe.db.get_value("User", user, "user_type") == "Website User"
	comment = _("Order cancelled by {0}: {1}").format(
		_("the customer") if by_customer else user, order.cancellation_reason or ""
	)
	for name in pending:
		review = frappe.get_doc("Order Review", name)
		review.update({"decision": REVIEW_CANCELLED, "decided_on": now_datetime(), "comment": comment})
		review.flags.ignore_permissions = True
		with server_owned.writing(review):
			review.save()
	close_stage_assignments(order)


def cancel_sales_order(order: CustomerOrder) -> None:
	if order.sales_order:
		cancel_erpnext_sales_order(order.sales_order)


@frappe.whitelist(methods=["POST"])
def cancel_order(name: str, reason: str, category: str | None = None) -> dict:
	"""Cancel with a reason (the API; the form's workflow Cancel action goes through take_action); `category`:
	a Cancellation Reason (default: the one the reason's text names, else "Other")."""
	order = frappe.get_doc("Customer Order", name)
	order.check_permission("cancel")
	if not (reason or "").strip():
		frappe.throw(
			_("Give a reason to cancel {0}").format(name), CancellationError, title=_("Reason Required")
		)
	with server_owned.writing(order):  # the reason is the one field this path writes
		order.cancellation_reason = reason.strip()
		order.cancellation_category = category or None
		order.cancel()
	return {"status": order.status}
