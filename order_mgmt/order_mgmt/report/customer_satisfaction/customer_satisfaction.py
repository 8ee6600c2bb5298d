# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Customer Satisfaction: the ratings customers gave their delivered orders in the portal
(portal/feedback.py), by month of the feedback and item group of the order's lines. One query
gathers (month, item group, order, rating); order_mgmt/analytics/satisfaction.py aggregates."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import DateFormat
from frappe.utils import add_days, getdate

from order_mgmt.analytics.satisfaction import Rating, satisfaction


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	rows = satisfaction(ratings(filters))
	data = [
		{
			"month": row.month,
			"item_group": row.item_group or _("All Item Groups"),
			"is_total": row.item_group is None,
			"responses": row.responses,
			"average": row.average,
			"satisfied": row.satisfied,
			"dissatisfied": row.dissatisfied,
			"satisfied_pct": row.satisfied_pct,
			**{f"stars_{star}": count for star, count in zip((1, 2, 3, 4, 5), row.stars, strict=True)},
		}
		for row in rows
	]
	return columns(), data, None, chart(rows)


def ratings(filters) -> list[Rating]:
	order, line, item = DocType("Customer Order"), DocType("Customer Order Item"), DocType("Item")
	query = (
		frappe.qb.from_(order)
		.join(line)
		.on((line.parent == order.name) & (line.parenttype == "Customer Order"))
		.left_join(item)
		.on(item.name == line.item_code)
		.select(
			DateFormat(order.feedback_on, "%Y-%m").as_("month"),
			item.item_group,
			order.name,
			order.feedback_rating,
		)
		.distinct()
		.where((order.docstatus == 1) & (order.feedback_rating >= 1) & order.feedback_on.isnotnull())
	)
	if filters.get("company"):
		query = query.where(order.company == filters.company)
	if filters.get("from_date"):
		query = query.where(order.feedback_on >= getdate(filters.from_date))
	if filters.get("to_date"):
		query = query.where(order.feedback_on < add_days(getdate(filters.to_date), 1))
	return [
		Rating(month=month, item_group=group or _("Not Set"), order=name, rating=int(rating))
		for month, group, name, rating in query.run()
	]


def columns() -> list[dict]:
	result = [
		{"fieldname": "month", "label": _("Month"), "fieldtype": "Data", "width": 100},
		{
			"fieldname": "item_group",
			"label": _("Item Group"),
			"fieldtype": "Link",
			"options": "Item Group",
			"width": 180,
		},
		{"fieldname": "responses", "label": _("Responses"), "fieldtype": "Int", "width": 100},
		{
			"fieldname": "average",
			"label": _("Average Rating"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 120,
		},
		{"fieldname": "satisfied_pct", "label": _("Satisfied (%)"), "fieldtype": "Percent", "width": 120},
		{"fieldname": "satisfied", "label": _("Satisfied (4–5)"), "fieldtype": "Int", "width": 110},
		{"fieldname": "dissatisfied", "label": _("Dissatisfied (1–2)"), "fieldtype": "Int", "width": 120},
	]
	for star in (1, 2, 3, 4, 5):
		result.append(
			{
				"fieldname": f"stars_{star}",
				"label": _("{0} Stars").format(star),
				"fieldtype": "Int",
				"width": 80,
			}
		)
	return result


def chart(rows) -> dict | None:
	totals = [row for row in rows if row.item_group is None]
	if not totals:
		return None
	return {
		"data": {
			"labels": [row.month for row in totals],
			"datasets": [{"name": _("Average Rating"), "values": [row.average for row in totals]}],
		},
		"type": "line",
	}
