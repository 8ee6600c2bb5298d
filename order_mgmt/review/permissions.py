"""Record-level access to Customer Orders and Order Reviews (hooks: permission_query_conditions,
has_permission). Order Clerks see their own orders and those of customers they manage
(ERPNext's Customer.account_manager); reviewers also see what waits for their stage and what
they reviewed; managers see everything."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils.caching import request_cache

FULL_ACCESS_ROLES = {"System Manager", "Order Manager", "Sales Manager", "Accounts Manager"}
WAREHOUSE_ROLES = {"Stock User", "Stock Manager"}
"""Warehouse staff see the orders approved for delivery (to pick and ship them)."""
FULFILMENT_STATUSES = ("To Deliver", "Partly Delivered", "Delivered", "Completed")
ACCOUNTS_ROLES = {"Accounts User"}
"""Accountants see approved orders, and those on hold (payment holds), to invoice and collect."""
BILLING_STATUSES = (*FULFILMENT_STATUSES, "On Hold")
CUSTOMER_ORDER_CHILD_DOCTYPES = (
	"Customer Order Item",
	"Customer Order Hold Reason",
	"Customer Order Cancellation Decision",
)
READ_ALL_ROLES = {"Customer Service"}
"""Customer service answers customers about any order: reads every order (its DocPerm: read only)."""
READ_PTYPES = (None, "read", "print", "email", "report")


def _visible_statuses(roles: set[str]) -> tuple[str, ...]:
	if ACCOUNTS_ROLES & roles:
		return BILLING_STATUSES
	if WAREHOUSE_ROLES & roles:
		return FULFILMENT_STATUSES
	return ()


def _stages_for(roles: set[str]) -> list[str]:
	return list(_stages_of_roles(tuple(sorted(roles))))


@request_cache
def _stages_of_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
	"""Once per request: has_permission runs for every document of a list or report."""
	return tuple(frappe.get_all("Order Review Stage", filters={"role": ("in", list(roles))}, pluck="name"))


@frappe.whitelist()
def get_my_review_stages() -> list[str]:
	"""Names of the review stages the session user's roles review (the list view's "Waiting for Me"
	filter). Desk users only; returns stage names, nothing else."""
	user = frappe.session.user
	if user == "Guest" or frappe.get_cached_value("User", user, "user_type") != "System User":
		frappe.throw(_("Only desk users review orders"), frappe.PermissionError)
	return sorted(_stages_for(set(frappe.get_roles())))


def has_full_access(user: str) -> bool:
	return user == "Administrator" or bool(FULL_ACCESS_ROLES & set(frappe.get_roles(user)))


def _query(user: str | None, conditions_for) -> str:
	"""SQL for permission_query_conditions: '' for full access, else the OR of what the user may see.
	Every value is escaped with frappe.db.escape (Frappe's hook takes SQL text)."""
	user = user or frappe.session.user
	if has_full_access(user):
		return ""
	stages = _stages_for(set(frappe.get_roles(user)))
	stage_list = ", ".join(frappe.db.escape(stage) for stage in stages)
	return "(" + " or ".join(conditions_for(frappe.db.escape(user), stage_list)) + ")"


def customer_order_query(user: str | None = None, doctype: str | None = None) -> str:
	if READ_ALL_ROLES & set(frappe.get_roles(user or frappe.session.user)):
		return ""

	def conditions(user_sql: str, stage_list: str) -> list[str]:
		found = [
			f"`tabCustomer Order`.owner = {user_sql}",
			f"`tabCustomer Order`.customer in (select name from `tabCustomer` where account_manager = {user_sql})",
		]
		visible = _visible_statuses(set(frappe.get_roles(frappe.session.user if user is None else user)))
		if visible:
			statuses = ", ".join(frappe.db.escape(status) for status in visible)
			found.append(f"`tabCustomer Order`.status in ({statuses})")
		if stage_list:
			found.append(f"`tabCustomer Order`.current_review_stage in ({stage_list})")
			found.append(
				f"`tabCustomer Order`.name in (select customer_order from `tabOrder Review` where reviewer = {user_sql})"
			)
		return found

	return _query(user, conditions)


def child_table_query(child: str, parent: str, parent_conditions: str) -> str:
	"""Rows of a child table only of the parents the user may see (parent_conditions: the parent's
	permission_query_conditions). Frappe's list APIs on a child DocType (frappe.client.get_list,
	frappe.desk.reportview with a parent DocType) check the parent's role permission only."""
	if not parent_conditions:
		return ""
	return (
		f"(`tab{child}`.parenttype = {frappe.db.escape(parent)} and `tab{child}`.parent in "
		f"(select name from `tab{parent}` where {parent_conditions}))"
	)


def customer_order_child_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Customer Order Item, Customer Order Hold Reason: those of the orders the user may see."""
	child = doctype if doctype in CUSTOMER_ORDER_CHILD_DOCTYPES else CUSTOMER_ORDER_CHILD_DOCTYPES[0]
	return child_table_query(child, "Customer Order", customer_order_query(user))


def order_review_child_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Order Review Check: those of the reviews the user may see."""
	return child_table_query("Order Review Check", "Order Review", order_review_query(user))


def customer_order_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if has_full_access(user) or doc.is_new() or doc.owner == user:
		return True
	if doc.customer and frappe.db.get_value("Customer", doc.customer, "account_manager") == user:
		return True
	roles = set(frappe.get_roles(user))
	if READ_ALL_ROLES & roles and ptype in READ_PTYPES:
		return True
	stages = _stages_for(roles)
	if stages and doc.current_review_stage in stages:
		return True
	if doc.status in _visible_statuses(roles) and ptype in (None, "read", "print"):
		return True
	if (
		stages
		and ptype in (None, "read", "print", "email")
		and frappe.db.exists("Order Review", {"customer_order": doc.name, "reviewer": user})
	):
		return True
	return False


def order_review_query(user: str | None = None, doctype: str | None = None) -> str:
	def conditions(user_sql: str, stage_list: str) -> list[str]:
		found = [
			f"`tabOrder Review`.reviewer = {user_sql}",
			f"`tabOrder Review`.customer_order in (select name from `tabCustomer Order` where owner = {user_sql})",
		]
		if stage_list:
			found.append(f"`tabOrder Review`.stage in ({stage_list})")
		return found

	return _query(user, conditions)


def order_review_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if has_full_access(user) or doc.reviewer == user:
		return True
	if doc.stage in _stages_for(set(frappe.get_roles(user))):
		return True
	return frappe.db.get_value("Customer Order", doc.customer_order, "owner") == user
