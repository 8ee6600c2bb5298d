# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Delivery Performance: per week of the order date (or per order, or per shortage decision) the
on-time delivery rate per line and per order, partial shipments, shortages and their decisions and
the age of open backorders.

Three queries gather the Sales Order lines of the orders (ERPNext's truth: promised date and ordered
quantity after any cancelled or substituted line), their non-return Delivery Note quantities per
note, and the order lines that were short at approval with the customer's decision; the pure
functions in order_mgmt/analytics/delivery.py compute the rows. Read-only: may run on a replica."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count, Max, Sum
from frappe.utils import flt, getdate
from pypika.terms import Case

from order_mgmt.analytics import delivery
from order_mgmt.analytics.delivery import DayCounts, Delivery, LineFact, ShortageFact
from order_mgmt.analytics.report_filters import ReportFilterError, order_conditions, require

VIEWS = ("Week", "Order", "Shortage")


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	view = filters.get("view") or "Week"
	if view not in VIEWS:
		frappe.throw(_("View must be Week, Order or Shortage"), ReportFilterError)
	require(filters)
	today = getdate()
	if view == "Shortage":
		data = [
			{**row, "decision": _(row["decision"])}
			for row in delivery.shortage_rows(shortage_facts(filters), today)
		]
		if data:
			data.append(
				{
					"decision": _("Total"),
					"lines": sum(r["lines"] for r in data),
					"shortage_qty": round(sum(r["shortage_qty"] for r in data), 3),
					"open_lines": sum(r["open_lines"] for r in data),
				}
			)
	elif view == "Order":
		data = [
			{**row, "outcome": _(row["outcome"] or "")}
			for row in delivery.order_rows(line_facts(filters), today)
		]
	else:
		days, shortages = day_counts(filters, today), shortage_facts(filters)
		data = [
			{**row, "week": str(row["week"])} for row in delivery.weekly_count_rows(days, shortages, today)
		]
		if data:
			data.append({"week": _("Total"), **delivery.total_count_row(days, shortages, today)})
	return columns(view), data, None, chart(view, data)


def line_facts(filters) -> list[LineFact]:
	order = frappe.qb.DocType("Customer Order")
	so_item = frappe.qb.DocType("Sales Order Item")
	dn, dn_item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	conditions = order_conditions(order, filters) & (order.docstatus == 1)
	deliveries: dict[str, list[Delivery]] = defaultdict(list)
	for so_detail, note, posting_date, qty in (
		frappe.qb.from_(dn_item)
		.join(dn)
		.on(dn.name == dn_item.parent)
		.join(order)
		.on(order.sales_order == dn_item.against_sales_order)
		.select(dn_item.so_detail, dn.name, dn.posting_date, Sum(dn_item.qty))
		.where((dn.docstatus == 1) & (dn.is_return == 0) & conditions)
		.groupby(dn_item.so_detail, dn.name, dn.posting_date)
		.run()
	):
		deliveries[so_detail].append(Delivery(note, getdate(posting_date), flt(qty)))
	return [
		LineFact(
			name,
			getdate(order_date),
			line,
			flt(qty),
			getdate(promised) if promised else None,
			tuple(deliveries.get(line, ())),
		)
		for name, order_date, line, qty, promised in frappe.qb.from_(so_item)
		.join(order)
		.on(order.sales_order == so_item.parent)
		.select(order.name, order.order_date, so_item.name, so_item.qty, so_item.delivery_date)
		.where((so_item.docstatus == 1) & conditions)
		.run()
	]


def _flag(condition):
	return Sum(Case().when(condition, 1).else_(0))


def day_counts(filters, today) -> list[DayCounts]:
	"""The Week view's counts per order date, summed in SQL (a few hundred rows however many orders):
	each Sales Order line's outcome as delivery.line_outcome defines it (delivered once its non-return
	Delivery Note quantity reaches the ordered quantity, on the date of its last such note), then each
	order's outcome as delivery.order_outcome does, then per order date."""
	order = frappe.qb.DocType("Customer Order")
	so_item = frappe.qb.DocType("Sales Order Item")
	dn, dn_item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	conditions = order_conditions(order, filters) & (order.docstatus == 1)
	# one row per Sales Order line, its Delivery Note lines found through their so_detail index
	valid = dn.docstatus.isnotnull()
	shipped_qty = Coalesce(Sum(Case().when(valid, dn_item.qty).else_(0)), 0)
	last = Max(Case().when(valid, dn.posting_date))
	delivered = shipped_qty >= so_item.qty
	outcome = (
		Case()
		.when(delivered & (so_item.delivery_date.isnull() | (last <= so_item.delivery_date)), 1)
		.when(delivered, 2)
		.when(so_item.delivery_date < today, 3)
		.else_(4)
	)
	lines = (
		frappe.qb.from_(so_item)
		.join(order)
		.on(order.sales_order == so_item.parent)
		.left_join(dn_item)
		.on(dn_item.so_detail == so_item.name)
		.left_join(dn)
		.on((dn.name == dn_item.parent) & (dn.docstatus == 1) & (dn.is_return == 0))
		.select(order.name.as_("order_name"), order.order_date.as_("order_date"), outcome.as_("outcome"))
		.where((so_item.docstatus == 1) & (so_item.qty > 0) & conditions)
		.groupby(so_item.name, order.name, order.order_date, so_item.qty, so_item.delivery_date)
	).as_("lines")
	per_order = (
		frappe.qb.from_(lines)
		.select(
			lines.order_name,
			lines.order_date,
			_flag(lines.outcome == 1).as_("on_time"),
			_flag(lines.outcome == 2).as_("late"),
			_flag(lines.outcome == 3).as_("overdue"),
			_flag(lines.outcome == 4).as_("open"),
		)
		.groupby(lines.order_name, lines.order_date)
	).as_("per_order")
	late_order = (per_order.late + per_order.overdue) > 0
	rows = (
		frappe.qb.from_(per_order)
		.select(
			per_order.order_date,
			Sum(per_order.on_time),
			Sum(per_order.late),
			Sum(per_order.overdue),
			Sum(per_order.open),
			_flag(~late_order & (per_order.open == 0)),
			_flag(late_order),
			_flag(~late_order & (per_order.open > 0)),
		)
		.groupby(per_order.order_date)
		.run()
	)
	notes = (
		frappe.qb.from_(dn_item)
		.join(dn)
		.on(dn.name == dn_item.parent)
		.join(order)
		.on(order.sales_order == dn_item.against_sales_order)
		.select(order.order_date.as_("order_date"))
		.where((dn.docstatus == 1) & (dn.is_return == 0) & conditions)
		.groupby(order.name, order.order_date)
		.having(Count(dn.name).distinct() > 1)
	).as_("notes")
	partial = dict(
		frappe.qb.from_(notes).select(notes.order_date, Count("*")).groupby(notes.order_date).run()
	)
	return [
		DayCounts(getdate(day), *(int(value or 0) for value in values), partial_shipments=partial.get(day, 0))
		for day, *values in rows
	]


def shortage_facts(filters) -> list[ShortageFact]:
	"""Lines short at approval (still short, or decided): a line is no longer open once its Sales
	Order line is delivered in full or gone (cancelled)."""
	order = frappe.qb.DocType("Customer Order")
	line, so_item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Sales Order Item")
	rows = (
		frappe.qb.from_(line)
		.join(order)
		.on(order.name == line.parent)
		.left_join(so_item)
		.on(so_item.name == line.sales_order_item)
		.select(
			order.name,
			order.order_date,
			line.name,
			line.item_code,
			line.shortage_qty,
			line.shortage_action,
			so_item.qty,
			so_item.delivered_qty,
		)
		.where(
			(line.parenttype == "Customer Order")
			& ((line.shortage_qty > 0) | (line.shortage_action.isnotnull() & (line.shortage_action != "")))
			& (order.docstatus == 1)
			& order_conditions(order, filters)
		)
		.run()
	)
	return [
		ShortageFact(
			name,
			getdate(order_date),
			row,
			item_code,
			flt(short),
			action or None,
			delivered=so_qty is None or flt(delivered) >= flt(so_qty),
		)
		for name, order_date, row, item_code, short, action, so_qty, delivered in rows
	]


def columns(view: str) -> list[dict]:
	def col(fieldname, label, fieldtype="Int", width=110, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	if view == "Shortage":
		return [
			col("decision", _("Shortage Decision"), "Data", 160),
			col("lines", _("Lines")),
			col("shortage_qty", _("Short Qty"), "Float"),
			col("open_lines", _("Open Lines")),
			col("backorder_age_median", _("Backorder Age Median (d)"), "Float", 170),
			col("backorder_age_max", _("Oldest Backorder (d)"), "Float", 150),
		]
	if view == "Order":
		return [
			col("order", _("Customer Order"), "Link", 160, options="Customer Order"),
			col("order_date", _("Order Date"), "Date"),
			col("promised", _("Promised Date"), "Date"),
			col("delivered", _("Delivered"), "Date"),
			col("lines", _("Lines"), width=80),
			col("on_time_lines", _("On Time Lines")),
			col("late_lines", _("Late Lines")),
			col("deliveries", _("Deliveries"), width=90),
			col("outcome", _("Outcome"), "Data", 100),
		]
	return [
		col("week", _("Week"), "Data"),
		col("orders", _("Orders"), width=80),
		col("lines", _("Lines"), width=80),
		col("on_time_lines", _("On Time Lines")),
		col("late_lines", _("Late Lines")),
		col("overdue_lines", _("Overdue Lines")),
		col("open_lines", _("Open Lines")),
		col("line_on_time_rate", _("On-Time Rate (Lines)"), "Percent", 150),
		col("on_time_orders", _("On Time Orders")),
		col("late_orders", _("Late Orders")),
		col("order_on_time_rate", _("On-Time Rate (Orders)"), "Percent", 150),
		col("partial_shipments", _("Partial Shipments"), width=130),
		col("shortage_lines", _("Shortage Lines")),
		col("open_backorders", _("Open Backorders"), width=130),
		col("backorder_age_median", _("Backorder Age Median (d)"), "Float", 170),
		col("backorder_age_max", _("Oldest Backorder (d)"), "Float", 150),
	]


def chart(view: str, data: list[dict]) -> dict | None:
	if not data:
		return None
	if view == "Shortage":
		rows = data[:-1]
		return {
			"data": {
				"labels": [row["decision"] for row in rows],
				"datasets": [{"name": _("Lines"), "values": [row["lines"] for row in rows]}],
			},
			"type": "bar",
		}
	if view == "Week":
		weeks = data[:-1]
		return {
			"data": {
				"labels": [row["week"] for row in weeks],
				"datasets": [
					{
						"name": _("On-Time Rate (Lines)"),
						"values": [row["line_on_time_rate"] for row in weeks],
					},
					{
						"name": _("On-Time Rate (Orders)"),
						"values": [row["order_on_time_rate"] for row in weeks],
					},
				],
			},
			"type": "line",
		}
	outcomes: dict[str, int] = defaultdict(int)
	for row in data:
		outcomes[row["outcome"]] += 1
	return {
		"data": {
			"labels": list(outcomes),
			"datasets": [{"name": _("Orders"), "values": list(outcomes.values())}],
		},
		"type": "pie",
	}
