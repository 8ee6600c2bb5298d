"""Which customer(s) a portal user acts for.

A portal user is a user with the role "Customer" who is linked to an ERPNext Customer in either of
ERPNext's two ways: a Contact whose `user` is the portal user and whose links name the Customer,
or a row of the Customer's Portal Users table (what ERPNext's own get_customers_suppliers reads;
its other branch, "every customer the user may read", is a desk rule and is not used here).
"""

from __future__ import annotations

import frappe
from frappe.query_builder import DocType
from frappe.utils import cint, flt, fmt_money

PORTAL_ROLE = "Customer"


def customers_of_user(user: str | None = None) -> list[str]:
	"""The customers the user acts for on the portal, sorted; none for guests and non-customers."""
	user = user or frappe.session.user
	if not user or user == "Guest" or PORTAL_ROLE not in frappe.get_roles(user):
		return []
	return sorted(set(_customers_via_contacts(user)) | set(_customers_via_portal_users(user)))


def _customers_via_contacts(user: str) -> list[str]:
	contact, link = DocType("Contact"), DocType("Dynamic Link")
	return (
		frappe.qb.from_(link)
		.join(contact)
		.on(contact.name == link.parent)
		.select(link.link_name)
		.distinct()
		.where(
			(contact.user == user)
			& (link.parenttype == "Contact")
			& (link.parentfield == "links")
			& (link.link_doctype == "Customer")
		)
		.run(pluck=True)
	)


def _customers_via_portal_users(user: str) -> list[str]:
	return frappe.get_all(
		"Portal User", filters={"user": user, "parenttype": "Customer"}, pluck="parent", distinct=True
	)


PAGE_LENGTH = 20
VISIBLE_DOCSTATUS = (1, 2)
"""Customers see submitted and cancelled documents, never drafts."""


def customer_page(
	doctype: str, fields: list[str], order_by: str, page, user: str | None, to_row
) -> frappe._dict:
	"""One page of the documents of the user's customers, mapped by `to_row`; `linked` is False
	when the user is linked to no customer."""
	customers = customers_of_user(user)
	page = max(cint(page), 1)
	if not customers:
		return frappe._dict(linked=False, rows=[], page=1, has_next=False)
	rows = frappe.get_all(
		doctype,
		filters={"customer": ("in", customers), "docstatus": ("in", VISIBLE_DOCSTATUS)},
		fields=fields,
		order_by=order_by,
		limit_start=(page - 1) * PAGE_LENGTH,
		limit_page_length=PAGE_LENGTH + 1,
	)
	return frappe._dict(
		linked=True,
		rows=[to_row(row) for row in rows[:PAGE_LENGTH]],
		page=page,
		has_next=len(rows) > PAGE_LENGTH,
	)


def money(value, currency: str | None) -> str:
	return fmt_money(flt(value), currency=currency)
