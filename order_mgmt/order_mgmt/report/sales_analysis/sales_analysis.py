# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Sales Analysis: revenue, cost, margin, orders, average order value and bookings per customer,
item, item group, territory or month, with the revenue of each month of the period and its trend.

ERPNext's submitted Sales Invoices are the truth (credit notes included, by posting date); the cost
of a line is its stock quantity at the valuation rate of its Delivery Note line (or the invoice
line's own, when the invoice moved the stock). Bookings are the submitted Sales Orders of the period
(by transaction date). Four grouped queries, summed in SQL; the pure functions in
order_mgmt/analytics/sales.py compute the rows. Read-only: may run on a replica."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count, Extract, Sum
from frappe.utils import flt, getdate
from pypika.terms import Case

from order_mgmt.analytics import sales
from order_mgmt.analytics.report_filters import ReportFilterError, require, with_descendants
from order_mgmt.analytics.sales import Figures

GROUPS = ("Customer", "Item", "Item Group", "Territory", "Month")
MONTH = "Month"


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Customer"
	if group_by not in GROUPS:
		frappe.throw(_("Group By must be Customer, Item, Item Group, Territory or Month"), ReportFilterError)
	require(filters)
	months = sales.months_between(getdate(filters.from_date), getdate(filters.to_date))
	overall = invoiced(filters, None)[None]
	if group_by == MONTH:
		totals = invoiced(filters, MONTH)
		booked = bookings(filters, MONTH)
		figures = {
			month: Figures(f.revenue, f.cost, f.orders, booked.get(month, 0.0)) for month, f in totals.items()
		}
		for month, amount in booked.items():
			figures.setdefault(month, Figures(ordered=amount))
		data = [{**row, "month": row["month"].strftime("%Y-%m")} for row in sales.month_rows(figures, months)]
	else:
		totals = invoiced(filters, group_by)
		booked = bookings(filters, group_by)
		figures = {
			key: Figures(f.revenue, f.cost, f.orders, booked.get(key, 0.0)) for key, f in totals.items()
		}
		for key, amount in booked.items():
			figures.setdefault(key, Figures(ordered=amount))
		data = sales.group_rows(figures, monthly_revenue(filters, group_by), months)
	if data:
		overall = Figures(overall.revenue, overall.cost, overall.orders, sum(booked.values()))
		total = sales.total_row(overall, data if group_by != MONTH else [], months)
		data.append({("month" if group_by == MONTH else "key"): _("Total"), **total})
	return columns(group_by, months), data, None, chart(group_by, data, months)


def _month(column):
	return Extract("year", column), Extract("month", column)


def invoice_query(filters):
	si, si_item = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Sales Invoice Item")
	dn_item = frappe.qb.DocType("Delivery Note Item")
	query = (
		frappe.qb.from_(si_item)
		.join(si)
		.on(si.name == si_item.parent)
		.left_join(dn_item)
		.on(dn_item.name == si_item.dn_detail)
		.where(
			(si.docstatus == 1)
			& (si.company == filters.company)
			& (si.posting_date >= getdate(filters.from_date))
			& (si.posting_date <= getdate(filters.to_date))
		)
	)
	if filters.get("customer"):
		query = query.where(si.customer == filters.customer)
	if filters.get("customer_group"):
		query = query.where(
			si.customer_group.isin(with_descendants("Customer Group", filters.customer_group))
		)
	if filters.get("territory"):
		query = query.where(si.territory.isin(with_descendants("Territory", filters.territory)))
	if filters.get("item_group"):
		query = query.where(si_item.item_group.isin(with_descendants("Item Group", filters.item_group)))
	orders = customer_orders(filters)
	if orders is not None:
		query = query.where(si_item.sales_order.isin(orders))
	cost = Sum(
		si_item.stock_qty
		* Case().when(dn_item.name.isnotnull(), dn_item.incoming_rate).else_(si_item.incoming_rate)
	)
	revenue = Sum(si_item.base_net_amount)
	orders_count = Count(Coalesce(si_item.sales_order, si.name)).distinct()
	return query, si, si_item, revenue, cost, orders_count


def customer_orders(filters):
	"""The Sales Orders of Customer Orders of the channel / order type asked for; None without those
	filters (every invoice counts, with or without a Customer Order)."""
	if not (filters.get("channel") or filters.get("order_type")):
		return None
	order = frappe.qb.DocType("Customer Order")
	query = (
		frappe.qb.from_(order)
		.select(order.sales_order)
		.where((order.docstatus == 1) & order.sales_order.isnotnull())
	)
	for field in ("channel", "order_type"):
		if filters.get(field):
			query = query.where(order[field] == filters[field])
	return query


def group_column(group_by: str, si, si_item):
	return {
		"Customer": si.customer,
		"Item": si_item.item_code,
		"Item Group": si_item.item_group,
		"Territory": si.territory,
	}[group_by]


def invoiced(filters, group_by: str | None) -> dict:
	"""Revenue, cost and distinct orders per group (per month for Month; one entry keyed None for
	everything)."""
	query, si, si_item, revenue, cost, orders_count = invoice_query(filters)
	if group_by is None:
		((rev, cst, count),) = query.select(revenue, cost, orders_count).run()
		return {None: Figures(flt(rev), flt(cst), count or 0)}
	if group_by == MONTH:
		year, month = _month(si.posting_date)
		rows = query.select(year, month, revenue, cost, orders_count).groupby(year, month).run()
		return {date(int(y), int(m), 1): Figures(flt(rev), flt(cst), count) for y, m, rev, cst, count in rows}
	key = group_column(group_by, si, si_item)
	rows = query.select(key, revenue, cost, orders_count).groupby(key).run()
	return {k: Figures(flt(rev), flt(cst), count) for k, rev, cst, count in rows}


def monthly_revenue(filters, group_by: str) -> dict[tuple[str, date], float]:
	query, si, si_item, revenue, _cost, _orders = invoice_query(filters)
	key = group_column(group_by, si, si_item)
	year, month = _month(si.posting_date)
	rows = query.select(key, year, month, revenue).groupby(key, year, month).run()
	return {(k, date(int(y), int(m), 1)): flt(rev) for k, y, m, rev in rows}


def bookings(filters, group_by: str) -> dict:
	"""The net amount of the Sales Orders booked in the period, per group (or month)."""
	so, so_item = frappe.qb.DocType("Sales Order"), frappe.qb.DocType("Sales Order Item")
	query = (
		frappe.qb.from_(so_item)
		.join(so)
		.on(so.name == so_item.parent)
		.where(
			(so.docstatus == 1)
			& (so.company == filters.company)
			& (so.transaction_date >= getdate(filters.from_date))
			& (so.transaction_date <= getdate(filters.to_date))
		)
	)
	if filters.get("customer"):
		query = query.where(so.customer == filters.customer)
	if filters.get("customer_group"):
		query = query.where(
			so.customer_group.isin(with_descendants("Customer Group", filters.customer_group))
		)
	if filters.get("territory"):
		query = query.where(so.territory.isin(with_descendants("Territory", filters.territory)))
	if filters.get("item_group"):
		query = query.where(so_item.item_group.isin(with_descendants("Item Group", filters.item_group)))
	orders = customer_orders(filters)
	if orders is not None:
		query = query.where(so.name.isin(orders))
	amount = Sum(so_item.base_net_amount)
	if group_by == MONTH:
		year, month = _month(so.transaction_date)
		return {
			date(int(y), int(m), 1): flt(total)
			for y, m, total in query.select(year, month, amount).groupby(year, month).run()
		}
	key = {
		"Customer": so.customer,
		"Item": so_item.item_code,
		"Item Group": so_item.item_group,
		"Territory": so.territory,
	}[group_by]
	return {k: flt(total) for k, total in query.select(key, amount).groupby(key).run()}


def columns(group_by: str, months: list[date]) -> list[dict]:
	def col(fieldname, label, fieldtype="Currency", width=120, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	if group_by == MONTH:
		first = [col("month", _("Month"), "Data", 100)]
	else:
		options = {
			"Customer": "Customer",
			"Item": "Item",
			"Item Group": "Item Group",
			"Territory": "Territory",
		}
		first = [col("key", _(group_by), "Link", 180, options=options[group_by])]
	result = [
		*first,
		col("revenue", _("Revenue")),
		col("cost", _("Cost")),
		col("margin", _("Margin")),
		col("margin_rate", _("Margin %"), "Percent", 100),
		col("orders", _("Orders"), "Int", 80),
		col("average_order_value", _("Average Order Value"), width=150),
		col("ordered", _("Ordered"), width=130),
		col("trend", _("Trend %"), "Percent", 100),
	]
	if group_by != MONTH:
		result += [col(sales.month_key(m), m.strftime("%Y-%m"), width=110) for m in months]
	return result


def chart(group_by: str, data: list[dict], months: list[date]) -> dict | None:
	rows = data[:-1]
	if not rows:
		return None
	if group_by == MONTH:
		return {
			"data": {
				"labels": [row["month"] for row in rows],
				"datasets": [
					{"name": _("Revenue"), "values": [row["revenue"] for row in rows]},
					{"name": _("Margin"), "values": [row["margin"] for row in rows]},
				],
			},
			"type": "line",
		}
	return {
		"data": {
			"labels": [m.strftime("%Y-%m") for m in months],
			"datasets": [
				{"name": str(row["key"]), "values": [row[sales.month_key(m)] for m in months]}
				for row in rows[:5]
			],
		},
		"type": "line",
	}
