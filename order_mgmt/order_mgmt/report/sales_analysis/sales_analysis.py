# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Sales Analysis: revenue, cost, margin, orders, average order value and bookings per customer,
item, item group, territory or month, with the revenue of each month of the period and its trend.

ERPNext's submitted Sales Invoices are the truth (credit notes included, by posting date); the cost
of a line is its stock quantity at the valuation rate of its Delivery Note line (or the invoice
line's own, when the invoice moved the stock). Bookings are the submitted Sales Orders of the period
(by transaction date). Their lines are kept in the Sales Analytics Facts (analytics/facts.py, one
narrow row per line, rewritten as invoices and orders are submitted or cancelled); four grouped
queries sum them in SQL and the pure functions in order_mgmt/analytics/sales.py compute the rows.
Read-only: may run on a replica."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Extract, Sum
from frappe.query_builder.terms import NamedParameterWrapper
from frappe.utils import flt, getdate

from order_mgmt.analytics import sales
from order_mgmt.analytics.report_filters import ReportFilterError, require, with_descendants
from order_mgmt.analytics.sales import Figures

GROUPS = ("Customer", "Item", "Item Group", "Territory", "Month")
FACT = "Sales Analytics Fact"
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


def fact_query(filters, voucher_type: str, group_by: str | None = None):
	"""The Sales Analytics Facts (analytics/facts.py) of the submitted Sales Invoices (or Sales Orders)
	of the company and period and the filters, read through the index of the group (it holds all the
	query reads, in the group's order; MariaDB would otherwise take the first of the alike and read
	the rows), or by date for the total and the Month view."""
	fact = frappe.qb.DocType(FACT)
	index = (
		f"sales_analytics_per_{GROUP_FIELDS[group_by]}"
		if group_by in GROUP_FIELDS
		else "sales_analytics_by_date"
	)
	query = (
		frappe.qb.from_(fact)
		.force_index(index)
		.where(
			(fact.voucher_type == voucher_type)
			& (fact.company == filters.company)
			& (fact.posting_date >= getdate(filters.from_date))
			& (fact.posting_date <= getdate(filters.to_date))
		)
	)
	if filters.get("customer"):
		query = query.where(fact.customer == filters.customer)
	if filters.get("customer_group"):
		query = query.where(
			fact.customer_group.isin(with_descendants("Customer Group", filters.customer_group))
		)
	if filters.get("territory"):
		query = query.where(fact.territory.isin(with_descendants("Territory", filters.territory)))
	if filters.get("item_group"):
		query = query.where(fact.item_group.isin(with_descendants("Item Group", filters.item_group)))
	orders = customer_orders(filters)
	if orders is not None:
		query = query.where(fact.sales_order.isin(orders))
	return query, fact


def invoice_query(filters, group_by: str | None = None):
	query, fact = fact_query(filters, "Sales Invoice", group_by)
	return query, fact, Sum(fact.revenue), Sum(fact.cost), Count(fact.order_key).distinct()


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


GROUP_FIELDS = {
	"Customer": "customer",
	"Item": "item_code",
	"Item Group": "item_group",
	"Territory": "territory",
}


def group_column(group_by: str, fact):
	return fact[GROUP_FIELDS[group_by]]


def invoiced(filters, group_by: str | None) -> dict:
	"""Revenue, cost and distinct orders per group (per month for Month; one entry keyed None for
	everything)."""
	query, fact, revenue, cost, orders_count = invoice_query(filters, group_by)
	if group_by is None:
		((rev, cst, count),) = query.select(revenue, cost, orders_count).run()
		return {None: Figures(flt(rev), flt(cst), count or 0)}
	if group_by == MONTH:
		year, month = _month(fact.posting_date)
		rows = run_sorted(query.select(year, month, revenue, cost, orders_count).groupby(year, month))
		return {date(int(y), int(m), 1): Figures(flt(rev), flt(cst), count) for y, m, rev, cst, count in rows}
	key = group_column(group_by, fact)
	rows = query.select(key, revenue, cost, orders_count).groupby(key).run()
	return {k: Figures(flt(rev), flt(cst), count) for k, rev, cst, count in rows}


def run_sorted(query):
	"""Run a query MariaDB answers by sorting its rows (a COUNT(DISTINCT) per month) with the rows'
	columns carried in the sort: their declared widths (varchar 140) exceed the default
	max_length_for_sort_data of 1024 bytes, and the sort would otherwise re-read every row from the
	table (0.6 s instead of 0.17 s at 100k orders). The setting holds for this statement only."""
	params = NamedParameterWrapper()
	sql = query.get_sql(param_wrapper=params)
	return frappe.db.sql(f"SET STATEMENT max_length_for_sort_data = 4096 FOR {sql}", params.get_parameters())


def monthly_revenue(filters, group_by: str) -> dict[tuple[str, date], float]:
	query, fact, revenue, _cost, _orders = invoice_query(filters, group_by)
	key = group_column(group_by, fact)
	year, month = _month(fact.posting_date)
	rows = query.select(key, year, month, revenue).groupby(key, year, month).run()
	return {(k, date(int(y), int(m), 1)): flt(rev) for k, y, m, rev in rows}


def bookings(filters, group_by: str) -> dict:
	"""The net amount of the Sales Orders booked in the period, per group (or month)."""
	query, fact = fact_query(filters, "Sales Order", group_by)
	amount = Sum(fact.revenue)
	if group_by == MONTH:
		year, month = _month(fact.posting_date)
		return {
			date(int(y), int(m), 1): flt(total)
			for y, m, total in query.select(year, month, amount).groupby(year, month).run()
		}
	key = group_column(group_by, fact)
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
