"""Cancelling a Customer Order: a reason is required, and its Sales Order goes with it when still untouched.

- Below *Order Management Settings › Cancellations needing an Order Manager from* (or before approval),
  whoever may cancel the order cancels it at once (`cancel_order`, the workflow's Cancel).
- An approved order at or above it is cancelled by an Order Manager: directly (their cancellation is their
  approval, noted on the order), or on request. Anyone else who may cancel it *requests* the cancellation
  (`request_cancellation`: a Cancellation Reason, a comment, and for a paid advance: refund or keep as
  credit); the order shows "Cancellation Requested", the Order Managers get a ToDo; one of them, never the
  requester (four-eyes), approves (`approve_cancellation`: the cancellation runs as a direct one would) or
  rejects it with a comment (`reject_cancellation`: the order stays as it was). Each request and its decision
  is a row of the order's *Cancellation Requests* (server-owned) and an entry in its timeline.
- A paid advance (a Payment Entry against the Sales Order) is released from the Sales Order and refunded or
  kept as the customer's credit, as chosen (accounting/advances.py); without a choice it is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.utils import flt, get_datetime, now_datetime

from order_mgmt import server_owned
from order_mgmt.accounting import advances
from order_mgmt.accounting.payments import refundable
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


class CancellationRequestError(CancellationError):
	"""No request to decide (already decided), one already waiting, or none needed."""


class CancellationFourEyesError(CancellationError):
	"""The requester of a cancellation does not decide it."""


class NotACancellationApproverError(frappe.PermissionError):
	"""Only an Order Manager decides a cancellation request."""


MANAGER_ROLES = {"Order Manager", "System Manager"}
REFUND, KEEP_AS_CREDIT = "Refund", "Keep as Credit"
ADVANCE_SETTLEMENTS = (REFUND, KEEP_AS_CREDIT)
PENDING, APPROVED, REJECTED = "Pending", "Approved", "Rejected"
DECISIONS_TABLE = "cancellation_decisions"


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
	check_sales_order_progress(order)
	check_cancellation_authority(order)
	set_advance_settlement(order)
	close_pending_request(order)


def check_sales_order_progress(order: CustomerOrder) -> None:
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


def approval_threshold() -> float:
	return flt(frappe.db.get_single_value("Order Management Settings", "cancellation_approval_threshold"))


def needs_approval(order: CustomerOrder) -> bool:
	"""An approved order (it has its Sales Order) whose grand total is at least the setting's value."""
	threshold = approval_threshold()
	return bool(order.sales_order) and threshold > 0 and flt(order.base_grand_total) >= threshold


def is_manager(user: str | None = None) -> bool:
	return bool(MANAGER_ROLES & set(frappe.get_roles(user or frappe.session.user)))


def check_cancellation_authority(order: CustomerOrder) -> None:
	"""The seeds: important cancellations need a supervisor. An approved order whose grand total is at least
	*Cancellations needing an Order Manager from* is cancelled by an Order Manager (their cancellation, or
	their approval of a request, is noted on the order); below it, whoever may cancel it."""
	if not needs_approval(order):
		return
	total, threshold = flt(order.base_grand_total), approval_threshold()
	user = frappe.session.user
	if is_manager(user):
		if not order.flags.get("approving_cancellation_request"):  # a request's approval is recorded there
			order.add_comment(
				"Info",
				_("Cancellation of {0} (grand total {1}, at least {2}) approved by {3}").format(
					order.name, total, threshold, user
				),
			)
		return
	frappe.throw(
		_(
			"Cancelling {0} (grand total {1}, at least {2}) takes an Order Manager's approval: "
			"request the cancellation and an Order Manager decides"
		).format(order.name, total, threshold),
		CancellationApprovalError,
		title=_("Approval Required"),
	)


def paid_advance(order: CustomerOrder) -> float:
	"""What was received towards the order's Sales Order and may still be paid back."""
	return refundable(order.sales_order) if order.sales_order else 0.0


def advance_choice(choice: str | None, advance: float) -> str | None:
	"""The settlement of a paid advance: the one chosen, else keep as credit (nothing is paid out unasked)."""
	if choice and choice not in ADVANCE_SETTLEMENTS:
		frappe.throw(
			_("Paid Advance: choose {0} or {1}, not {2}").format(
				_(REFUND), _(KEEP_AS_CREDIT), frappe.utils.escape_html(choice)
			),
			CancellationError,
		)
	if advance <= advances.TOLERANCE:
		return None
	return choice or KEEP_AS_CREDIT


def set_advance_settlement(order: CustomerOrder) -> None:
	advance = paid_advance(order)
	order.advance_at_cancellation = advance if advance > advances.TOLERANCE else 0
	order.advance_settlement = advance_choice(order.advance_settlement, advance)


def settle_advance(order: CustomerOrder, payments: list[str]) -> None:
	"""After the Sales Order's cancellation: refund the released advance, or say it stays as credit."""
	advance = flt(order.advance_at_cancellation)
	if advance <= advances.TOLERANCE or not payments:
		return
	amount = frappe.format_value(advance, {"fieldtype": "Currency", "options": order.currency})
	if order.advance_settlement == REFUND:
		entry = advances.refund(order.company, order.customer, payments, advance, order.name)
		if entry:
			order.db_set("refund_payment_entry", entry, update_modified=False)
			paid = frappe.db.get_value("Payment Entry", entry, "paid_amount")
			order.add_comment(
				"Info",
				_("Advance refunded to {0}: {1} paid back with Payment Entry {2}").format(
					order.customer_name or order.customer,
					frappe.format_value(paid, {"fieldtype": "Currency", "options": order.currency}),
					entry,
				),
			)
			return
	order.add_comment(
		"Info",
		_(
			"Advance of {0} kept as credit for {1}: it stays unallocated on Payment Entry {2} for the "
			"customer's next invoices"
		).format(amount, order.customer_name or order.customer, ", ".join(payments)),
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

	closed = order.flags.pop("cancellation_request_closed", None)
	row = next((row for row in order.get(DECISIONS_TABLE) or [] if row.name == closed), None)
	if row:  # an Order Manager cancelled directly while a request waited: it is decided with that
		after_decision(order, row)
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
	"""The Sales Order goes with the order; its advance is released first (ERPNext would refuse) and then
	refunded or kept as credit."""
	if not order.sales_order:
		return
	payments = advances.release(order.sales_order)
	cancel_erpnext_sales_order(order.sales_order)
	settle_advance(order, payments)


@frappe.whitelist(methods=["POST"])
def cancel_order(
	name: str, reason: str, category: str | None = None, advance_settlement: str | None = None
) -> dict:
	"""Cancel with a reason (the API and the form's Cancel dialog); `category`: a Cancellation Reason
	(default: the one the reason's text names, else "Other"); `advance_settlement`: Refund or Keep as Credit
	for a paid advance (default: keep as credit)."""
	order = frappe.get_doc("Customer Order", name)
	order.check_permission("cancel")
	if not (reason or "").strip():
		frappe.throw(
			_("Give a reason to cancel {0}").format(name), CancellationError, title=_("Reason Required")
		)
	with server_owned.writing(order):  # the fields this path writes: the reason and the advance's choice
		order.cancellation_reason = reason.strip()
		order.cancellation_category = category or None
		order.advance_settlement = advance_settlement or None
		order.cancel()
	return {"status": order.status, "refund_payment_entry": order.get("refund_payment_entry")}


# --- requests and decisions above the threshold ---------------------------------------------------


def pending_request(order: CustomerOrder):
	"""The order's cancellation request still waiting for an Order Manager, if any."""
	return next((row for row in order.get(DECISIONS_TABLE) or [] if row.decision == PENDING), None)


def request_text(row) -> str:
	"""What the order's cancellation reason becomes when a request is approved: the comment, else the
	Cancellation Reason's name."""
	return (row.request_comment or "").strip() or row.cancellation_reason


@frappe.whitelist(methods=["POST"])
def request_cancellation(
	name: str, cancellation_reason: str, comment: str | None = None, advance_settlement: str | None = None
) -> dict:
	"""Ask an Order Manager to cancel an approved order at or above the threshold (whoever may cancel it)."""
	frappe.get_doc("Customer Order", name).check_permission("cancel")
	if not (cancellation_reason or "").strip():
		frappe.throw(
			_("Choose a Cancellation Reason to request the cancellation of {0}").format(name),
			CancellationError,
			title=_("Reason Required"),
		)
	locked = lock_order(name)  # one request at a time
	if locked.cancellation_requested:
		raise_already_requested(name)
	order, _locked = locked_order(name, locked)
	if order.docstatus != 1:
		frappe.throw(
			_("{0} is not submitted: there is nothing to cancel").format(name), CancellationRequestError
		)
	category = cancellation_category(cancellation_reason.strip(), None)
	if not needs_approval(order):
		frappe.throw(
			_("{0} needs no approval to be cancelled: cancel it").format(name),
			CancellationRequestError,
			title=_("No Approval Needed"),
		)
	if pending_request(order):
		raise_already_requested(name)
	check_sales_order_progress(order)
	comment = frappe.utils.strip_html((comment or "").strip()) or None
	row = order.append(
		DECISIONS_TABLE,
		{
			"requested_by": frappe.session.user,
			"requested_on": now_datetime(),
			"cancellation_reason": category,
			"request_comment": comment,
			"advance_settlement": advance_choice(advance_settlement, paid_advance(order)),
			"decision": PENDING,
		},
	)
	row.db_insert()
	order.db_set("cancellation_requested", 1, notify=True)
	text = _("Cancellation requested by {0}: {1}").format(
		frappe.utils.get_fullname(frappe.session.user), frappe.bold(_(category))
	)
	if comment:
		text += f" — {frappe.utils.escape_html(comment)}"
	order.add_comment("Info", text)
	assign_managers(order, row)
	return {"cancellation_requested": 1, "request": row.name}


def lock_order(name: str) -> frappe._dict:
	"""The customer's lock first, then the order's row: the order the controller's save takes them in
	(CustomerOrder.check_if_latest), so a decision and a concurrent save of the order cannot deadlock.
	Returns the order's state as locked: the transaction's plain reads may still show it as it was before
	a concurrent request or decision committed (MariaDB's snapshot), a locking read does not."""
	from order_mgmt.orders.intake import lock_customer

	customer = frappe.db.get_value("Customer Order", name, "customer")
	if customer:
		lock_customer(customer)
	return (
		frappe.db.get_value(
			"Customer Order",
			name,
			["docstatus", "cancellation_requested", "modified"],
			as_dict=True,
			for_update=True,
		)
		or frappe._dict()
	)


def locked_order(name: str, locked: frappe._dict | None = None) -> tuple[CustomerOrder, frappe._dict]:
	"""The order, locked, as it is now; refused when this transaction can only see an older version."""
	locked = locked or lock_order(name)
	order = frappe.get_doc("Customer Order", name)
	if locked.modified and get_datetime(order.modified) != get_datetime(locked.modified):
		frappe.throw(
			_("{0} was changed by someone else meanwhile: reload it and try again").format(name),
			CancellationRequestError,
			title=_("Changed Meanwhile"),
		)
	return order, locked


def raise_already_decided(name: str) -> None:
	frappe.throw(
		_("No cancellation request of {0} is waiting: it was decided already. Reload it to see.").format(
			name
		),
		CancellationRequestError,
		title=_("Already Decided"),
	)


def raise_already_requested(name: str) -> None:
	# a locking read: the waiting request as committed, whatever this transaction's snapshot shows
	waiting = (
		frappe.db.get_value(
			"Customer Order Cancellation Decision",
			{"parent": name, "parenttype": "Customer Order", "decision": PENDING},
			["requested_by", "requested_on"],
			as_dict=True,
			for_update=True,
		)
		or frappe._dict()
	)
	frappe.throw(
		_("{0}'s cancellation was already requested by {1} on {2}: an Order Manager decides it").format(
			name,
			frappe.utils.get_fullname(waiting.requested_by) if waiting.requested_by else "",
			frappe.utils.format_datetime(waiting.requested_on) if waiting.requested_on else "",
		),
		CancellationRequestError,
		title=_("Already Requested"),
	)


def decidable_request(name: str, ptype: str):
	"""The order (locked) and its waiting request, for an Order Manager who did not request it."""
	if not frappe.has_permission("Customer Order", ptype, name):
		frappe.throw(
			_("Not permitted to decide the cancellation of {0}").format(name), frappe.PermissionError
		)
	if not is_manager():
		frappe.throw(
			_("Only an Order Manager approves or rejects the cancellation of {0}").format(name),
			NotACancellationApproverError,
			title=_("Not Permitted"),
		)
	locked = lock_order(name)  # concurrent deciders queue here; the later one finds the request decided
	if locked.docstatus != 1 or not locked.cancellation_requested:
		raise_already_decided(name)
	order, _locked = locked_order(name, locked)
	row = pending_request(order)
	if not row:
		raise_already_decided(name)
	if row.requested_by == frappe.session.user:
		frappe.throw(
			_(
				"You requested the cancellation of {0}, so another Order Manager must decide it (four-eyes principle)"
			).format(name),
			CancellationFourEyesError,
			title=_("Four-Eyes Principle"),
		)
	return order, row


@frappe.whitelist(methods=["POST"])
def approve_cancellation(name: str, comment: str | None = None) -> dict:
	"""An Order Manager approves a request: the order is cancelled with the request's reason and choice."""
	order, row = decidable_request(name, "cancel")
	comment = frappe.utils.strip_html((comment or "").strip()) or None
	row.update(
		{
			"decision": APPROVED,
			"decided_by": frappe.session.user,
			"decided_on": now_datetime(),
			"decision_comment": comment,
		}
	)
	with server_owned.writing(order):
		order.cancellation_reason = request_text(row)
		order.cancellation_category = row.cancellation_reason
		order.advance_settlement = row.advance_settlement
		order.flags.approving_cancellation_request = row.name
		order.cancel()  # the row's decision is saved with the order
	after_decision(order, row)
	return {"status": order.status, "refund_payment_entry": order.get("refund_payment_entry")}


@frappe.whitelist(methods=["POST"])
def reject_cancellation(name: str, comment: str) -> dict:
	"""An Order Manager rejects a request (with a comment): the order stays as it was."""
	comment = frappe.utils.strip_html((comment or "").strip())
	if not comment:
		frappe.throw(
			_("Give a comment to say why the cancellation of {0} is rejected").format(name),
			CancellationError,
			title=_("Comment Required"),
		)
	order, row = decidable_request(name, "read")
	row.update(
		{
			"decision": REJECTED,
			"decided_by": frappe.session.user,
			"decided_on": now_datetime(),
			"decision_comment": comment,
		}
	)
	row.db_update()
	order.db_set("cancellation_requested", 0, notify=True)
	after_decision(order, row)
	return {"status": order.status, "cancellation_requested": 0}


def close_pending_request(order: CustomerOrder) -> None:
	"""Whichever path cancels the order, a request still waiting is decided by it: approved by whoever
	cancels (an Order Manager cancelling directly, or approving it)."""
	order.cancellation_requested = 0
	row = pending_request(order)
	if not row:
		return
	row.update({"decision": APPROVED, "decided_by": frappe.session.user, "decided_on": now_datetime()})
	if not order.flags.get("approving_cancellation_request"):
		row.decision_comment = _("Cancelled directly")
		order.flags.cancellation_request_closed = row.name


def after_decision(order: CustomerOrder, row) -> None:
	"""The decision in the order's timeline (as a review decision), the managers' ToDos closed, the
	requester told."""
	from order_mgmt.review import notifications
	from order_mgmt.review.workflow import add_decision_to_timeline

	add_decision_to_timeline(order, "Cancellation", row.decision, row.decision_comment)
	close_manager_assignments(order, row)
	if row.requested_by not in ("Administrator", frappe.session.user):
		with notifications.in_language(notifications.user_language(row.requested_by)):
			subject = _("{0}: the cancellation you requested was {1}").format(
				order.name, _(row.decision).lower()
			)
		if row.decision_comment:
			subject += f" — {frappe.utils.escape_html(row.decision_comment)}"
		notifications.notify([row.requested_by], subject, order)


def assign_managers(order: CustomerOrder, row) -> list[str]:
	"""A ToDo (and Frappe's notification of it) for each Order Manager but the requester, in their language."""
	from order_mgmt.review import notifications

	managers = [
		user
		for user in notifications.users_with_role(notifications.ORDER_MANAGER)
		if user != row.requested_by
	]
	notifications.assign_in_their_language(
		order,
		managers,
		lambda: _("Approve or reject the cancellation of {0} ({1}), requested by {2}: {3}").format(
			order.name,
			order.customer_name or order.customer,
			frappe.utils.get_fullname(row.requested_by),
			_(row.cancellation_reason),
		),
	)
	return managers


def close_manager_assignments(order: CustomerOrder, row) -> None:
	"""Close the ToDos the request gave the Order Managers (and only those: not the order's others)."""
	todos = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Customer Order",
			"reference_name": order.name,
			"status": "Open",
			"assigned_by": row.requested_by,
			"creation": (">=", row.requested_on),
		},
		pluck="name",
	)
	for todo in todos:
		doc = frappe.get_doc("ToDo", todo)
		doc.status = "Closed"
		doc.save(ignore_permissions=True)


def form_info(order: CustomerOrder) -> dict | None:
	"""For the form's Cancel dialog and decision buttons (onload)."""
	if order.docstatus != 1:
		return None
	user = frappe.session.user
	waiting = pending_request(order)
	manager = is_manager(user)
	return {
		"threshold": approval_threshold(),
		"needs_approval": needs_approval(order),
		"is_manager": manager,
		"can_cancel": bool(frappe.has_permission("Customer Order", "cancel", order)),
		"advance": paid_advance(order),
		"pending": waiting.as_dict() if waiting else None,
		"can_decide": bool(waiting and manager and waiting.requested_by != user),
	}
