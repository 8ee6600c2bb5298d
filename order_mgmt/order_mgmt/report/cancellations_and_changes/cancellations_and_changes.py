# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Cancellations and Changes: per month, customer, item group, cancellation reason or stage, the orders
cancelled and the orders changed after approval (applied Order Change Requests), with their rates.

Three queries gather the orders, their item groups and their applied change requests; the pure function
order_mgmt/orders/change_stats.py computes the rows. Read-only: may run on a replica."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Count

from order_mgmt.analytics.report_filters import ReportFilterError, order_conditions, require
from order_mgmt.orders import change_stats
from order_mgmt.orders.change_stats import OrderFact


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Month"
	if group_by not in change_stats.GROUPINGS:
		frappe.throw(
			_("Group By must be Month, Customer, Item Group, Cancellation Reason or Stage"), ReportFilterError
		)
	require(filters)
	data = change_stats.rows(order_facts(filters), group_by)
	for row in data:
		if group_by in ("Stage", "Cancellation Reason") or row["group"] == change_stats.NONE:
			row["group"] = _(row["group"])
	return columns(group_by), data, None, chart(data)


def order_facts(filters) -> list[OrderFact]:
	order = frappe.qb.DocType("Customer Order")
	conditions = order_conditions(order, filters)
	orders = (
		frappe.qb.from_(order)
		.select(
			order.name,
			order.order_date,
			order.customer,
			order.docstatus,
			order.cancellation_category,
			order.sales_order,
		)
		.where(conditions)
		.run(as_dict=True)
	)
	line, item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Item")
	groups: dict[str, set[str]] = {}
	for parent, item_group in (
		frappe.qb.from_(line)
		.join(order)
		.on(order.name == line.parent)
		.join(item)
		.on(item.name == line.item_code)
		.select(line.parent, item.item_group)
		.where((line.parenttype == "Customer Order") & conditions)
		.distinct()
		.run()
	):
		groups.setdefault(parent, set()).add(item_group)
	change = frappe.qb.DocType("Order Change Request")
	applied = dict(
		frappe.qb.from_(change)
		.join(order)
		.on(order.name == change.customer_order)
		.select(change.customer_order, Count(change.name))
		.where((change.docstatus == 1) & (change.status == "Applied") & conditions)
		.groupby(change.customer_order)
		.run()
	)
	return [
		OrderFact(
			name=row.name,
			order_date=row.order_date,
			customer=row.customer,
			item_groups=tuple(sorted(groups.get(row.name, ()))),
			cancelled=row.docstatus == 2,
			category=row.cancellation_category or "",
			stage=(change_stats.APPROVED if row.sales_order else change_stats.IN_REVIEW)
			if row.docstatus == 2
			else "",
			applied_changes=int(applied.get(row.name) or 0),
		)
		for row in orders
	]


def columns(group_by: str) -> list[dict]:
	def col(fieldname, label, fieldtype="Int", width=120):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width}

	first = {
		"Month": _("Month"),
		"Customer": _("Customer"),
		"Item Group": _("Item Group"),
		"Cancellation Reason": _("Cancellation Reason"),
		"Stage": _("Stage"),
	}[group_by]
	return [
		col("group", first, "Data", 200),
		col("orders", _("Orders")),
		col("cancelled", _("Cancelled")),
		col("cancel_rate", _("Cancel Rate %"), "Percent"),
		col("share_of_cancellations", _("Share of Cancellations %"), "Percent"),
		col("changed", _("Changed after Approval")),
		col("change_rate", _("Change Rate %"), "Percent"),
		col("change_requests", _("Change Requests Applied")),
	]


def chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	return {
		"data": {
			"labels": [row["group"] for row in data],
			"datasets": [
				{"name": _("Cancel Rate %"), "values": [row["cancel_rate"] for row in data]},
				{"name": _("Change Rate %"), "values": [row["change_rate"] for row in data]},
			],
		},
		"type": "bar",
	}
