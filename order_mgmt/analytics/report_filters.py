"""The filters the Order Management reports share, as frappe.qb conditions (Frappe side).

`order_conditions` narrows Customer Orders (submitted or cancelled) to a company and period of order
dates and, when given, a customer, customer group, territory (each with the groups below it), item
group (orders with at least one line of an item in it or below it), channel and order type. Groups
become sub-queries, so a report stays one query per measure, never one per row. `fact_conditions`
narrows the Order Analytics Facts (analytics/facts.py) the same way."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate
from frappe.utils.nestedset import get_descendants_of


class ReportFilterError(frappe.ValidationError):
	pass


def require(filters, *fields: str) -> None:
	"""Refuse a report run without company and period (or the fields named)."""
	if not all(filters.get(field) for field in fields or ("company", "from_date", "to_date")):
		frappe.throw(_("Company, From Date and To Date are required"), ReportFilterError)


def with_descendants(doctype: str, name: str) -> list[str]:
	"""The group and every group below it (nested set, one query)."""
	return [name, *get_descendants_of(doctype, name, ignore_permissions=True)]


def customers_in(field: str, doctype: str, group: str):
	customer = frappe.qb.DocType("Customer")
	return (
		frappe.qb.from_(customer)
		.select(customer.name)
		.where(customer[field].isin(with_descendants(doctype, group)))
	)


def orders_with_item_group(group: str):
	line, item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Item")
	return (
		frappe.qb.from_(line)
		.join(item)
		.on(item.name == line.item_code)
		.select(line.parent)
		.where(
			(line.parenttype == "Customer Order")
			& item.item_group.isin(with_descendants("Item Group", group))
		)
	)


def order_conditions(order, filters):
	return _conditions(order, order.docstatus, filters)


def fact_conditions(fact, filters):
	"""The same narrowing over Order Analytics Facts (one row per order, named like it, with the
	order's docstatus as order_docstatus)."""
	return _conditions(fact, fact.order_docstatus, filters)


def _conditions(order, docstatus, filters):
	condition = (
		(docstatus >= 1)
		& (order.company == filters.company)
		& (order.order_date >= getdate(filters.from_date))
		& (order.order_date <= getdate(filters.to_date))
	)
	for field in ("customer", "channel", "order_type"):
		if filters.get(field):
			condition &= order[field] == filters[field]
	if filters.get("customer_group"):
		condition &= order.customer.isin(
			customers_in("customer_group", "Customer Group", filters.customer_group)
		)
	if filters.get("territory"):
		condition &= order.customer.isin(customers_in("territory", "Territory", filters.territory))
	if filters.get("item_group"):
		condition &= order.name.isin(orders_with_item_group(filters.item_group))
	return condition
