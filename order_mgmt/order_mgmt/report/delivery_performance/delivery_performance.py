# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Delivery Performance: per week of the order date (or per order, or per shortage decision) the
on-time delivery rate per line and per order, partial shipments, shortages and their decisions and
the age of open backorders.

Each order's delivery figures come from the Order Analytics Facts (analytics/facts.py keeps them as
documents change, from gather_line_facts: the Sales Order lines of the order — ERPNext's truth:
promised date and ordered quantity after any cancelled or substituted line — and their non-return
Delivery Note quantities per note); a second query reads the order lines that were short at approval
with the customer's decision. The pure functions in order_mgmt/analytics/delivery.py compute the rows
(the outcomes that depend on the day, overdue or open, on the day the report runs). Read-only: may run
on a replica."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, getdate
from pypika.terms import Case, ValueWrapper

from order_mgmt.analytics import delivery
from order_mgmt.analytics.delivery import DayCounts, Delivery, LineFact, OrderDelivery, ShortageFact
from order_mgmt.analytics.report_filters import ReportFilterError, fact_conditions, require

FACT = "Order Analytics Fact"

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
		rows = delivery.summary_order_rows(
			order_deliveries(filters, settled(), pending=False) + order_deliveries(filters, ~settled()),
			today,
		)
		# a handful of outcomes over one row per order: each translated once
		outcomes = {outcome: _(outcome or "") for outcome in {row["outcome"] for row in rows}}
		data = [{**row, "outcome": outcomes[row["outcome"]]} for row in rows]
	else:
		days, shortages = day_counts(filters, today), shortage_facts(filters)
		data = [
			{**row, "week": str(row["week"])} for row in delivery.weekly_count_rows(days, shortages, today)
		]
		if data:
			data.append({"week": _("Total"), **delivery.total_count_row(days, shortages, today)})
	return columns(view), data, None, chart(view, data)


def settled():
	"""Facts of orders whose measured lines are all delivered (their figures no longer depend on the
	day)."""
	fact = frappe.qb.DocType(FACT)
	return (fact.on_time_lines + fact.late_lines) == fact.measured_lines


def order_deliveries(filters, condition=None, pending: bool = True) -> list[OrderDelivery]:
	"""The submitted orders of the filters that have Sales Order lines (and meet `condition`, on the
	facts), as the Order Analytics Facts keep their delivery figures. `pending=False` (orders with
	nothing left to deliver): their undelivered lines' promised dates are not read, so that the query
	reads the facts' index alone."""
	fact = frappe.qb.DocType(FACT)
	conditions = fact_conditions(fact, filters) & (fact.order_docstatus == 1) & (fact.so_lines > 0)
	if condition is not None:
		conditions &= condition
	rows = (
		frappe.qb.from_(fact)
		.select(
			fact.name,
			fact.order_date,
			fact.so_lines,
			fact.measured_lines,
			fact.on_time_lines,
			fact.late_lines,
			fact.pending_promised if pending else ValueWrapper(""),
			fact.promised,
			fact.completed_on,
			fact.deliveries,
		)
		.where(conditions)
		.run()
	)
	return [
		OrderDelivery(
			name,
			order_date,
			lines,
			measured,
			on_time,
			late,
			delivery.unpack_dates(pending),
			promised,
			completed,
			deliveries,
		)
		for name, order_date, lines, measured, on_time, late, pending, promised, completed, deliveries in rows
	]


def gather_line_facts(conditions) -> list[LineFact]:
	"""The Sales Order lines of the orders and their deliveries, from the documents (for the facts,
	analytics/facts.py): `conditions` on frappe.qb.DocType("Customer Order")."""
	order = frappe.qb.DocType("Customer Order")
	so_item = frappe.qb.DocType("Sales Order Item")
	dn, dn_item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
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


def _count(condition):
	return Sum(Case().when(condition, 1).else_(0))


def day_counts(filters, today) -> list[DayCounts]:
	"""The Week view's counts per order date, from the orders' delivery figures in the Order Analytics
	Facts (each Sales Order line's outcome as delivery.line_outcome defines it, each order's as
	delivery.order_outcome does). Orders whose measured lines are all delivered no longer depend on
	the day: they are counted per order date in SQL (a few hundred rows however many orders); the
	orders with lines still to deliver are read one by one and counted by
	delivery.summary_day_counts. A day may come twice (once from each); the weekly and total rows
	sum them."""
	fact = frappe.qb.DocType(FACT)
	rows = (
		frappe.qb.from_(fact)
		.select(
			fact.order_date,
			Sum(fact.on_time_lines),
			Sum(fact.late_lines),
			_count(fact.late_lines == 0),
			_count(fact.late_lines > 0),
			_count(fact.deliveries > 1),
		)
		.where(
			fact_conditions(fact, filters)
			& (fact.order_docstatus == 1)
			& (fact.measured_lines > 0)
			& settled()
		)
		.groupby(fact.order_date)
		.run()
	)
	counted = [
		DayCounts(
			getdate(day),
			on_time_lines=int(on_time or 0),
			late_lines=int(late or 0),
			on_time_orders=int(on_time_orders or 0),
			late_orders=int(late_orders or 0),
			partial_shipments=int(partial or 0),
		)
		for day, on_time, late, on_time_orders, late_orders, partial in rows
	]
	return counted + delivery.summary_day_counts(order_deliveries(filters, ~settled()), today)


def shortage_facts(filters) -> list[ShortageFact]:
	"""Lines short at approval (still short, or decided): a line is no longer open once its Sales
	Order line is delivered in full or gone (cancelled)."""
	fact = frappe.qb.DocType(FACT)
	line, so_item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Sales Order Item")
	rows = (
		frappe.qb.from_(fact)
		.join(line)
		.on(line.parent == fact.name)
		.left_join(so_item)
		.on(so_item.name == line.sales_order_item)
		.select(
			fact.name,
			fact.order_date,
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
			& (fact.order_docstatus == 1)
			& (fact.shortage_lines > 0)
			& fact_conditions(fact, filters)
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
