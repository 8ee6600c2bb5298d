"""Record-level access to Return Requests (hooks: permission_query_conditions, has_permission).

Managers see every request. Others see the requests they created and those of orders they may see
(order_mgmt.review.permissions: clerks their own orders and their customers'); reviewers see what
waits for review; warehouse staff what is approved for receipt; accountants what is received for
settlement — each also what they acted on later in its life."""

from __future__ import annotations

import frappe

from order_mgmt.review.permissions import customer_order_has_permission, customer_order_query, has_full_access

STATUSES_BY_ROLE = {
	"Sales Reviewer": ("Submitted", "Under Review", "Approved", "Rejected", "Closed"),
	"Warehouse Reviewer": ("Approved", "Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Stock User": ("Approved", "Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Accounts User": ("Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
	"Finance Reviewer": ("Goods Received", "Refunded", "Replaced", "Credited", "Closed"),
}


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
