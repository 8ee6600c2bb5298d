# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Order Accuracy: per week of the order date (or per cancellation reason) the orders changed after
approval, returned for changes, cancelled, and returned as wrong item or not as described — each as
a share of the orders — and the orders with none of these.

Two grouped queries count the orders per day and measure (and per cancellation reason) over the Order
Analytics Facts (analytics/facts.py keeps
them as documents change, from gather_accuracy_facts: a few queries, never one per order, gather the
orders with their amendment links, the orders returned for changes by a reviewer, the reasons of
their Return Requests and their applied Order Change Requests when that DocType is installed); the
pure functions in order_mgmt/analytics/accuracy.py compute the rows. Read-only: may run on a
replica."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum
from frappe.utils import getdate
from pypika.terms import Case

from order_mgmt.analytics import accuracy
from order_mgmt.analytics.accuracy import AccuracyFact, DayAccuracy
from order_mgmt.analytics.report_filters import ReportFilterError, fact_conditions, require

FACT = "Order Analytics Fact"

VIEWS = ("Week", "Cancellation Reason")
CHANGE_REQUEST = "Order Change Request"
RETURN_CLOSED = ("Draft", "Rejected", "Cancelled")


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	view = filters.get("view") or "Week"
	if view not in VIEWS:
		frappe.throw(_("View must be Week or Cancellation Reason"), ReportFilterError)
	require(filters)
	days = day_counts(filters)
	if view == "Cancellation Reason":
		data = [
			{**row, "reason": _(row["reason"]) if row["reason"] == accuracy.NO_REASON else row["reason"]}
			for row in accuracy.cancellation_count_rows(
				cancellation_reasons(filters), sum(day.orders for day in days)
			)
		]
	else:
		data = [{**row, "week": str(row["week"])} for row in accuracy.weekly_count_rows(days)]
		if data:
			data.append({"week": _("Total"), **accuracy.total_count_row(days)})
	return columns(view), data, None, chart(view, data)


def _count(condition):
	return Sum(Case().when(condition, 1).else_(0))


def day_counts(filters) -> list[DayAccuracy]:
	"""The counted orders (not replaced by an amendment) per order date and measure, summed in SQL over
	the Order Analytics Facts as accuracy.day_counts defines them."""
	fact = frappe.qb.DocType(FACT)
	changed = (fact.applied_changes > 0) | (fact.amends_approved == 1)
	returned = fact.returned_for_changes == 1
	cancelled = fact.order_docstatus == 2
	wrong, not_as_described = fact.wrong_item == 1, fact.not_as_described == 1
	rows = (
		frappe.qb.from_(fact)
		.select(
			fact.order_date,
			Count("*"),
			_count(changed),
			_count(returned),
			_count(cancelled),
			_count(wrong),
			_count(not_as_described),
			_count(~(changed | returned | cancelled | wrong | not_as_described)),
		)
		.where(fact_conditions(fact, filters) & (fact.superseded == 0))
		.groupby(fact.order_date)
		.run()
	)
	return [DayAccuracy(getdate(day), *(int(value or 0) for value in values)) for day, *values in rows]


def cancellation_reasons(filters) -> dict[str | None, int]:
	"""The counted cancelled orders per cancellation reason as written."""
	fact = frappe.qb.DocType(FACT)
	return dict(
		frappe.qb.from_(fact)
		.select(fact.cancellation_reason, Count("*"))
		.where(fact_conditions(fact, filters) & (fact.superseded == 0) & (fact.order_docstatus == 2))
		.groupby(fact.cancellation_reason)
		.run()
	)


def gather_accuracy_facts(conditions) -> list[AccuracyFact]:
	"""The orders' accuracy facts from the documents (for the facts, analytics/facts.py): `conditions`
	on frappe.qb.DocType("Customer Order")."""
	order = frappe.qb.DocType("Customer Order")
	original = frappe.qb.DocType("Customer Order").as_("original")
	amendment = frappe.qb.DocType("Customer Order").as_("amendment")
	orders = (
		frappe.qb.from_(order)
		.left_join(original)
		.on(original.name == order.amended_from)
		.select(
			order.name, order.order_date, order.docstatus, order.cancellation_reason, original.sales_order
		)
		.where(conditions)
		.run()
	)
	superseded = {
		name
		for (name,) in frappe.qb.from_(amendment)
		.join(order)
		.on(order.name == amendment.amended_from)
		.select(order.name)
		.where((amendment.docstatus >= 1) & conditions)
		.distinct()
		.run()
	}
	review = frappe.qb.DocType("Order Review")
	returned = {
		name
		for (name,) in frappe.qb.from_(review)
		.join(order)
		.on(order.name == review.customer_order)
		.select(review.customer_order)
		.where((review.decision == "Returned for Changes") & conditions)
		.distinct()
		.run()
	}
	request, request_item = frappe.qb.DocType("Return Request"), frappe.qb.DocType("Return Request Item")
	reasons: dict[str, set[str]] = defaultdict(set)
	for name, reason in (
		frappe.qb.from_(request_item)
		.join(request)
		.on(request.name == request_item.parent)
		.join(order)
		.on(order.name == request.customer_order)
		.select(request.customer_order, request_item.reason)
		.where(
			(request.docstatus == 1)
			& request.status.notin(RETURN_CLOSED)
			& request_item.reason.isin((accuracy.WRONG_ITEM, accuracy.NOT_AS_DESCRIBED))
			& conditions
		)
		.distinct()
		.run()
	):
		reasons[name].add(reason)
	changes = applied_change_requests(order, conditions)
	return [
		AccuracyFact(
			name,
			getdate(order_date),
			cancelled=docstatus == 2,
			cancellation_reason=reason,
			superseded=name in superseded,
			amends_approved=bool(original_sales_order),
			applied_changes=changes.get(name, 0),
			returned_for_changes=name in returned,
			return_reasons=tuple(sorted(reasons.get(name, ()))),
		)
		for name, order_date, docstatus, reason, original_sales_order in orders
	]


def applied_change_requests(order, conditions) -> dict[str, int]:
	"""Applied Order Change Requests per order; none while that DocType is not installed."""
	if not frappe.db.table_exists(CHANGE_REQUEST):
		return {}
	change = frappe.qb.DocType(CHANGE_REQUEST)
	return dict(
		frappe.qb.from_(change)
		.join(order)
		.on(order.name == change.customer_order)
		.select(change.customer_order, Count(change.name))
		.where((change.docstatus == 1) & (change.status == "Applied") & conditions)
		.groupby(change.customer_order)
		.run()
	)


def columns(view: str) -> list[dict]:
	def col(fieldname, label, fieldtype="Int", width=110, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	if view == "Cancellation Reason":
		return [
			col("reason", _("Cancellation Reason"), "Data", 300),
			col("orders", _("Orders")),
			col("share", _("Share of Orders"), "Percent", 130),
		]
	result = [col("week", _("Week"), "Data"), col("orders", _("Orders"), width=80)]
	for key, label in measures():
		result.append(col(key, label, width=130))
		result.append(col(f"{key}_rate", _("{0} %").format(label), "Percent", 130))
	return result


def measures() -> list[tuple[str, str]]:
	return [
		("changed", _("Changed after Approval")),
		("returned_for_changes", _("Returned for Changes")),
		("cancelled", _("Cancelled")),
		("wrong_item", _("Wrong Item")),
		("not_as_described", _("Not as Described")),
		("accurate", _("Accurate Orders")),
	]


def chart(view: str, data: list[dict]) -> dict | None:
	if not data:
		return None
	if view == "Cancellation Reason":
		return {
			"data": {
				"labels": [row["reason"] for row in data],
				"datasets": [{"name": _("Orders"), "values": [row["orders"] for row in data]}],
			},
			"type": "bar",
		}
	weeks = data[:-1]
	return {
		"data": {
			"labels": [row["week"] for row in weeks],
			"datasets": [
				{"name": label, "values": [row[f"{key}_rate"] for row in weeks]}
				for key, label in measures()
				if key != "accurate"
			],
		},
		"type": "line",
	}
