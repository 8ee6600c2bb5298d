"""Record-level access to Return Requests (hooks: permission_query_conditions, has_permission).

Managers see every request. Others see the requests they created and those of orders they may see
(order_mgmt.review.permissions: clerks their own orders and their customers'); reviewers see what
waits for review; warehouse staff what is approved for receipt; accountants what is received for
settlement — each also what they acted on later in its life.

Filing one (or moving one to another order) needs read access to the order: validate_order_access,
run on every save; the portal checks the customer itself and inserts with ignore_permissions."""

from __future__ import annotations

import frappe
from frappe import _

from order_mgmt.review.permissions import (
	child_table_query,
	customer_order_has_permission,
	customer_order_query,
	has_full_access,
)

RETURN_REQUEST_CHILD_DOCTYPES = ("Return Request Item", "Return Request Review")

STATUSES_BY_ROLE = {
	"Sales Reviewer": ("Submitted", "Under Review", "Approved", "Rejected", "Closed"),
	"Warehouse Reviewer": ("Approved", "Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Stock User": ("Approved", "Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Accounts User": ("Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Finance Reviewer": ("Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
}


class OrderNotReadableError(frappe.PermissionError):
	"""A Return Request names a Customer Order its user may not read."""


def visible_statuses(roles: set[str]) -> set[str]:
	return {status for role in roles & set(STATUSES_BY_ROLE) for status in STATUSES_BY_ROLE[role]}


def return_request_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if has_full_access(user):
		return ""
	user_sql = frappe.db.escape(user)
	conditions = [f"`tabReturn Request`.owner = {user_sql}"]
	orders = customer_order_query(user)
	conditions.append(
		"`tabReturn Request`.customer_order in (select name from `tabCustomer Order`"
		+ (f" where {orders})" if orders else ")")
	)
	statuses = visible_statuses(set(frappe.get_roles(user)))
	if statuses:
		listed = ", ".join(frappe.db.escape(status) for status in sorted(statuses))
		conditions.append(f"`tabReturn Request`.status in ({listed})")
	return "(" + " or ".join(conditions) + ")"


def return_request_child_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Return Request Item, Return Request Review: those of the requests the user may see."""
	child = doctype if doctype in RETURN_REQUEST_CHILD_DOCTYPES else RETURN_REQUEST_CHILD_DOCTYPES[0]
	return child_table_query(child, "Return Request", return_request_query(user))


def return_request_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if has_full_access(user) or doc.is_new() or doc.owner == user:
		return True
	if doc.status in visible_statuses(set(frappe.get_roles(user))):
		return True
	if doc.customer_order and frappe.db.exists("Customer Order", doc.customer_order):
		order = frappe.get_doc("Customer Order", doc.customer_order)
		return customer_order_has_permission(order, "read", user)
	return False


def validate_order_access(request) -> None:
	"""A user may file a return only for an order they may read (which then shows them its lines,
	rates and invoice). Checked when the request is new or names another order; not for the portal
	(which inserts with ignore_permissions once the order is the user's customer's) or the app's own
	follow-ups."""
	if request.flags.ignore_permissions or not request.customer_order:
		return
	before = request.get_doc_before_save()
	if before and before.customer_order == request.customer_order:
		return
	if not frappe.db.exists("Customer Order", request.customer_order):
		return  # validation says it does not exist
	order = frappe.get_doc("Customer Order", request.customer_order)
	if not frappe.has_permission("Customer Order", "read", doc=order):
		frappe.throw(
			_("Customer Order: you may not read {0}, so you cannot request a return for it").format(
				frappe.bold(request.customer_order)
			),
			OrderNotReadableError,
			title=_("Not Permitted"),
		)
