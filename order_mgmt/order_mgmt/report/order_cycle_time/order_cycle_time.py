# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Order Cycle Time: per week (or per order, or per step) how long orders took from submission to
approval (review, hours), to their first delivery, to their first invoice and to being paid (days),
with the median and 90th percentile of each step.

Each order's milestones — its first review request (or the moment it was auto-approved), its Sales
Order's creation (the hand-off), its first Delivery Note and Sales Invoice, its last Payment Entry once
paid — are kept in the Order Analytics Facts (analytics/facts.py, gathered by gather_milestones as
documents change). The Week and Step views count each step's durations per order date in SQL (a
few thousand rows however many orders), the Order view reads the milestones; the pure functions in
order_mgmt/analytics/cycle_time.py compute the rows."""

from __future__ import annotations

from collections import Counter, defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Max, Min
from frappe.utils import get_datetime, getdate
from pypika.terms import CustomFunction, LiteralValue

from order_mgmt.analytics import cycle_time
from order_mgmt.analytics.cycle_time import OrderMilestones
from order_mgmt.analytics.report_filters import fact_conditions

FACT = "Order Analytics Fact"
TIMESTAMPDIFF = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])
DATEDIFF = CustomFunction("DATEDIFF", ["end", "start"])
DATE = CustomFunction("DATE", ["value"])

VIEWS = ("Week", "Order", "Step")


class OrderCycleTimeFilterError(frappe.ValidationError):
	pass


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	view = filters.get("view") or "Week"
	if view not in VIEWS:
		frappe.throw(_("View must be Week, Order or Step"), OrderCycleTimeFilterError)
	if not filters.get("company") or not filters.get("from_date") or not filters.get("to_date"):
		frappe.throw(_("Company, From Date and To Date are required"), OrderCycleTimeFilterError)
	if view == "Order":
		data = cycle_time.order_rows(milestones(filters))
	elif view == "Step":
		labels = step_labels()
		data = [
			{**row, "step": labels[row["step"]], "unit": _(row["unit"])}
			for row in cycle_time.step_count_rows(step_counts(filters))
		]
	else:
		orders, steps = orders_per_day(filters), step_counts(filters)
		data = [{**row, "week": str(row["week"])} for row in cycle_time.weekly_count_rows(orders, steps)]
		if data:
			data.append({"week": _("Total"), **cycle_time.total_count_row(orders, steps)})
	return columns(view), data, None, chart(view, data)


def step_labels() -> dict[str, str]:
	return {
		"review": _("Review"),
		"delivery": _("To Delivery"),
		"invoicing": _("To Invoice"),
		"payment": _("To Payment"),
		"total": _("Submitted to Paid"),
	}


def _per_order(query) -> dict[str, object]:
	return {name: value for name, value in query.run() if value is not None}


def orders_per_day(filters) -> dict:
	fact = frappe.qb.DocType(FACT)
	return dict(
		frappe.qb.from_(fact)
		.select(fact.order_date, Count("*"))
		.where(fact_conditions(fact, filters))
		.groupby(fact.order_date)
		.run()
	)


def step_counts(filters) -> dict[str, cycle_time.StepCounts]:
	"""Each step's durations counted per order date, in SQL over the Order Analytics Facts: the
	microseconds between the review's milestones (turned into hours by cycle_time.hours_between),
	the days between the others' (negative ones count 0, as cycle_time.step_duration does)."""
	fact = frappe.qb.DocType(FACT)
	milestone = {
		"submitted": fact.submitted_on,
		"approved": fact.approved_on,
		"delivered": fact.delivered_on,
		"invoiced": fact.invoiced_on,
		"paid": fact.paid_on,
	}
	result: dict[str, cycle_time.StepCounts] = {}
	for step, (start_field, end_field, unit) in cycle_time.STEPS.items():
		start, end = milestone[start_field], milestone[end_field]
		if unit == "hours":
			duration = TIMESTAMPDIFF(LiteralValue("MICROSECOND"), start, end)
		else:
			duration = DATEDIFF(DATE(end), DATE(start))
		per_day: cycle_time.StepCounts = defaultdict(Counter)
		for day, value, count in (
			frappe.qb.from_(fact)
			.select(fact.order_date, duration, Count("*"))
			.where(fact_conditions(fact, filters) & start.isnotnull() & end.isnotnull())
			.groupby(fact.order_date, duration)
			.run()
		):
			value = cycle_time.hours_between(value) if unit == "hours" else float(max(0, value))
			per_day[day][value] += count
		result[step] = per_day
	return result


def milestones(filters) -> list[OrderMilestones]:
	"""The milestones of the orders of the filters, as the Order Analytics Facts keep them."""
	fact = frappe.qb.DocType(FACT)
	return [
		OrderMilestones(
			name,
			order_date,
			submitted=submitted,
			approved=approved,
			delivered=delivered,
			invoiced=invoiced,
			paid=paid,
		)
		for name, order_date, submitted, approved, delivered, invoiced, paid in frappe.qb.from_(fact)
		.select(
			fact.name,
			fact.order_date,
			fact.submitted_on,
			fact.approved_on,
			fact.delivered_on,
			fact.invoiced_on,
			fact.paid_on,
		)
		.where(fact_conditions(fact, filters))
		.run()
	]


def gather_milestones(conditions) -> list[OrderMilestones]:
	"""Each order's milestones from the documents (for the facts, analytics/facts.py): `conditions` on
	frappe.qb.DocType("Customer Order")."""
	order = frappe.qb.DocType("Customer Order")
	so = frappe.qb.DocType("Sales Order")
	rows = (
		frappe.qb.from_(order)
		.left_join(so)
		.on(so.name == order.sales_order)
		.select(
			order.name,
			order.order_date,
			order.reviewed_on,
			order.review_decision,
			order.payment_status,
			so.creation,
		)
		.where(conditions)
		.run()
	)
	review = frappe.qb.DocType("Order Review")
	first_request = _per_order(
		frappe.qb.from_(review)
		.join(order)
		.on(order.name == review.customer_order)
		.select(review.customer_order, Min(review.requested_on))
		.where(conditions)
		.groupby(review.customer_order)
	)
	dn, dn_item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	delivered = _per_order(
		frappe.qb.from_(dn_item)
		.join(dn)
		.on(dn.name == dn_item.parent)
		.join(order)
		.on(order.sales_order == dn_item.against_sales_order)
		.select(order.name, Min(dn.posting_date))
		.where((dn.docstatus == 1) & (dn.is_return == 0) & conditions)
		.groupby(order.name)
	)
	si, si_item = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Sales Invoice Item")
	invoiced = _per_order(
		frappe.qb.from_(si_item)
		.join(si)
		.on(si.name == si_item.parent)
		.join(order)
		.on(order.sales_order == si_item.sales_order)
		.select(order.name, Min(si.posting_date))
		.where((si.docstatus == 1) & (si.is_return == 0) & conditions)
		.groupby(order.name)
	)
	paid = last_payments(conditions)
	result = []
	for name, order_date, reviewed_on, decision, payment_status, handed_off in rows:
		submitted = first_request.get(name) or (reviewed_on if decision == "Auto-approved" else None)
		result.append(
			OrderMilestones(
				name,
				getdate(order_date),
				submitted=get_datetime(submitted) if submitted else None,
				approved=get_datetime(handed_off) if handed_off else None,
				delivered=getdate(delivered[name]) if name in delivered else None,
				invoiced=getdate(invoiced[name]) if name in invoiced else None,
				paid=getdate(paid[name]) if payment_status == "Paid" and name in paid else None,
			)
		)
	return result


def last_payments(conditions) -> dict[str, object]:
	"""The latest posting date of the submitted Payment Entries against each order's Sales Order or
	its Sales Invoices (orders paid in full; `conditions` on frappe.qb.DocType("Customer Order"))."""
	order = frappe.qb.DocType("Customer Order")
	entry, reference = frappe.qb.DocType("Payment Entry"), frappe.qb.DocType("Payment Entry Reference")
	si_item = frappe.qb.DocType("Sales Invoice Item")
	conditions = conditions & (order.payment_status == "Paid") & (entry.docstatus == 1)
	against_order = (
		frappe.qb.from_(reference)
		.join(entry)
		.on(entry.name == reference.parent)
		.join(order)
		.on(order.sales_order == reference.reference_name)
		.select(order.name, Max(entry.posting_date))
		.where((reference.reference_doctype == "Sales Order") & conditions)
		.groupby(order.name)
	)
	against_invoices = (
		frappe.qb.from_(reference)
		.join(entry)
		.on(entry.name == reference.parent)
		.join(si_item)
		.on(si_item.parent == reference.reference_name)
		.join(order)
		.on(order.sales_order == si_item.sales_order)
		.select(order.name, Max(entry.posting_date))
		.where((reference.reference_doctype == "Sales Invoice") & conditions)
		.groupby(order.name)
	)
	result: dict[str, object] = {}
	for query in (against_order, against_invoices):
		for name, day in _per_order(query).items():
			result[name] = max(getdate(day), getdate(result[name])) if name in result else day
	return result


def columns(view: str) -> list[dict]:
	def col(fieldname, label, fieldtype="Float", width=120, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	if view == "Step":
		return [
			col("step", _("Step"), "Data", 180),
			col("unit", _("Unit"), "Data", 80),
			col("orders", _("Orders"), "Int"),
			col("median", _("Median"), width=100),
			col("p90", _("P90"), width=100),
			col("slowest", _("Slowest"), "Check", 90),
		]
	steps = [
		("review", _("Review (h)")),
		("delivery", _("To Delivery (d)")),
		("invoicing", _("To Invoice (d)")),
		("payment", _("To Payment (d)")),
		("total", _("Submitted to Paid (d)")),
	]
	if view == "Order":
		return [
			col("order", _("Customer Order"), "Link", 160, options="Customer Order"),
			col("order_date", _("Order Date"), "Date", 110),
			col("submitted", _("Submitted"), "Datetime", 160),
			col("approved", _("Approved"), "Datetime", 160),
			col("delivered", _("Delivered"), "Date", 110),
			col("invoiced", _("Invoiced"), "Date", 110),
			col("paid", _("Paid"), "Date", 110),
			*(col(step, label) for step, label in steps),
		]
	result = [col("week", _("Week"), "Data", 110), col("orders", _("Orders"), "Int", 90)]
	for step, label in steps:
		result.append(col(f"{step}_median", _("{0} Median").format(label), width=150))
		result.append(col(f"{step}_p90", _("{0} P90").format(label), width=150))
	return result


def chart(view: str, data: list[dict]) -> dict | None:
	if not data:
		return None
	if view == "Step":
		labels = [row["step"] for row in data]
		datasets = [
			{"name": _("Median"), "values": [row["median"] or 0 for row in data]},
			{"name": _("P90"), "values": [row["p90"] or 0 for row in data]},
		]
		return {"data": {"labels": labels, "datasets": datasets}, "type": "bar"}
	if view == "Week":
		weeks = data[:-1]  # without the total row
		datasets = [
			{"name": _("To Delivery (d)"), "values": [row["delivery_median"] or 0 for row in weeks]},
			{"name": _("Submitted to Paid (d)"), "values": [row["total_median"] or 0 for row in weeks]},
		]
		return {"data": {"labels": [row["week"] for row in weeks], "datasets": datasets}, "type": "line"}
	return None
