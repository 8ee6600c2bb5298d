"""Record-level access to Customer Orders and Order Reviews (hooks: permission_query_conditions,
has_permission). Order Clerks see their own orders and those of customers they manage
(ERPNext's Customer.account_manager); reviewers also see what waits for their stage and what
they reviewed; managers see everything."""

from __future__ import annotations

import frappe

FULL_ACCESS_ROLES = {"System Manager", "Order Manager", "Sales Manager", "Accounts Manager"}


def _stages_for(roles: set[str]) -> list[str]:
	return frappe.get_all("Order Review Stage", filters={"role": ("in", list(roles))}, pluck="name")


def _has_full_access(user: str) -> bool:
	return user == "Administrator" or bool(FULL_ACCESS_ROLES & set(frappe.get_roles(user)))


def customer_order_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if _has_full_access(user):
		return ""
	escaped = frappe.db.escape(user)
	conditions = [
		f"`tabCustomer Order`.owner = {escaped}",
		f"`tabCustomer Order`.customer in (select name from `tabCustomer` where account_manager = {escaped})",
	]
	stages = _stages_for(set(frappe.get_roles(user)))
	if stages:
		stage_list = ", ".join(frappe.db.escape(stage) for stage in stages)
		conditions.append(f"`tabCustomer Order`.current_review_stage in ({stage_list})")
		conditions.append(
			f"`tabCustomer Order`.name in (select customer_order from `tabOrder Review` where reviewer = {escaped})"
		)
	return "(" + " or ".join(conditions) + ")"


def customer_order_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if _has_full_access(user) or doc.is_new() or doc.owner == user:
		return True
	if doc.customer and frappe.db.get_value("Customer", doc.customer, "account_manager") == user:
		return True
	roles = set(frappe.get_roles(user))
	stages = _stages_for(roles)
	if stages and doc.current_review_stage in stages:
		return True
	if (
		stages
		and ptype in (None, "read", "print", "email")
		and frappe.db.exists("Order Review", {"customer_order": doc.name, "reviewer": user})
	):
		return True
	return False


def order_review_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if _has_full_access(user):
		return ""
	escaped = frappe.db.escape(user)
	conditions = [
		f"`tabOrder Review`.reviewer = {escaped}",
		f"`tabOrder Review`.customer_order in (select name from `tabCustomer Order` where owner = {escaped})",
	]
	stages = _stages_for(set(frappe.get_roles(user)))
	if stages:
		stage_list = ", ".join(frappe.db.escape(stage) for stage in stages)
		conditions.append(f"`tabOrder Review`.stage in ({stage_list})")
	return "(" + " or ".join(conditions) + ")"


def order_review_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if _has_full_access(user) or doc.reviewer == user:
		return True
	if doc.stage in _stages_for(set(frappe.get_roles(user))):
		return True
	return frappe.db.get_value("Customer Order", doc.customer_order, "owner") == user
