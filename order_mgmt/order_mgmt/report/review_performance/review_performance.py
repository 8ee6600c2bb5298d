# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Review Performance: per week (or per stage, reviewer or hold rule) the orders submitted, their
auto-approval and manual intervention rates, holds, rejections and returns for changes, decisions,
SLA breaches and median review times.

Three queries gather the submitted orders of the period (by order date), the rule names of their
hold reasons and their Order Reviews; the pure functions in order_mgmt/analytics/review_kpis.py
compute the rows. Only rule names are read from the hold reasons: no measured values, thresholds or
credit figures."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime

from order_mgmt.analytics import report_filters, review_kpis
from order_mgmt.analytics.review_kpis import OrderFact, ReviewFact

VIEWS = ("Week", "Stage", "Reviewer", "Hold Rule")


class ReviewPerformanceFilterError(frappe.ValidationError):
	pass


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	view = filters.get("view") or "Week"
	if view not in VIEWS:
		frappe.throw(_("View must be Week, Stage, Reviewer or Hold Rule"), ReviewPerformanceFilterError)
	if not filters.get("company") or not filters.get("from_date") or not filters.get("to_date"):
		frappe.throw(_("Company, From Date and To Date are required"), ReviewPerformanceFilterError)
	now = now_datetime()
	if view == "Hold Rule":
		data = review_kpis.hold_rule_rows(order_facts(filters))
	elif view == "Stage":
		data = review_kpis.stage_rows(review_facts(filters), now)
	elif view == "Reviewer":
		data = review_kpis.reviewer_rows(review_facts(filters), now)
	else:
		orders, reviews = order_facts(filters), review_facts(filters)
		data = [{**row, "week": str(row["week"])} for row in review_kpis.weekly_rows(orders, reviews, now)]
		if data:
			data.append({"week": _("Total"), **review_kpis.total_row(orders, reviews, now)})
	return columns(view), data, None, chart(view, data)


def order_conditions(order, filters):
	return report_filters.order_conditions(order, filters)


def order_facts(filters) -> list[OrderFact]:
	order = frappe.qb.DocType("Customer Order")
	hold = frappe.qb.DocType("Customer Order Hold Reason")
	rules: dict[str, list[str]] = {}
	for parent, rule in (
		frappe.qb.from_(hold)
		.join(order)
		.on(order.name == hold.parent)
		.select(hold.parent, hold.rule)
		.where((hold.parenttype == "Customer Order") & (hold.parentfield == "hold_reasons"))
		.where(order_conditions(order, filters))
		.run()
	):
		rules.setdefault(parent, []).append(rule)
	return [
		OrderFact(name, getdate(order_date), decision, tuple(rules.get(name, ())))
		for name, order_date, decision in frappe.qb.from_(order)
		.select(order.name, order.order_date, order.review_decision)
		.where(order_conditions(order, filters))
		.run()
	]


def review_facts(filters) -> list[ReviewFact]:
	order = frappe.qb.DocType("Customer Order")
	review = frappe.qb.DocType("Order Review")
	rows = (
		frappe.qb.from_(review)
		.join(order)
		.on(order.name == review.customer_order)
		.select(
			review.customer_order,
			review.stage,
			review.decision,
			review.reviewer,
			review.requested_on,
			review.decided_on,
			review.sla_due,
			review.is_overdue,
			review.escalated,
		)
		.where(order_conditions(order, filters))
		.run()
	)
	return [
		ReviewFact(name, stage, decision, reviewer, requested, decided, due, bool(overdue), bool(escalated))
		for name, stage, decision, reviewer, requested, decided, due, overdue, escalated in rows
	]


def columns(view: str) -> list[dict]:
	def col(fieldname, label, fieldtype="Int", width=110, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	median = col("median_review_hours", _("Median Review Time (h)"), "Float", 170)
	breaches = col("sla_breaches", _("SLA Breaches"))
	if view == "Hold Rule":
		return [
			col("rule", _("Hold Rule"), "Data", 220),
			col("orders", _("Orders Held")),
			col("share", _("Share of Orders (%)"), "Percent", 150),
		]
	if view == "Week":
		return [
			col("week", _("Week"), "Data", 110),
			col("orders", _("Orders Submitted"), width=130),
			col("auto_approved", _("Auto-approved"), width=120),
			col("auto_approval_rate", _("Auto-approval Rate (%)"), "Percent", 170),
			col("manual", _("Manual Intervention"), width=150),
			col("manual_rate", _("Manual Intervention Rate (%)"), "Percent", 200),
			col("held", _("Held")),
			col("rejected", _("Rejected")),
			col("returned", _("Returned for Changes"), width=160),
			col("decisions", _("Decisions")),
			breaches,
			col("escalated", _("Escalated")),
			median,
		]
	key = (
		col("stage", _("Stage"), "Link", 150, options="Order Review Stage")
		if view == "Stage"
		else col("reviewer", _("Reviewer"), "Link", 220, options="User")
	)
	return [
		key,
		col("reviews", _("Reviews")),
		col("decisions", _("Decisions")),
		col("approved", _("Approved")),
		col("rejected", _("Rejected")),
		col("returned", _("Returned for Changes"), width=160),
		col("pending", _("Pending")),
		breaches,
		median,
	]


def chart(view: str, data: list[dict]) -> dict | None:
	if not data:
		return None
	if view == "Week":
		weeks = data[:-1]  # without the total row
		labels = [row["week"] for row in weeks]
		datasets = [
			{"name": _("Auto-approval Rate (%)"), "values": [row["auto_approval_rate"] for row in weeks]},
			{"name": _("Manual Intervention Rate (%)"), "values": [row["manual_rate"] for row in weeks]},
		]
		return {"data": {"labels": labels, "datasets": datasets}, "type": "line"}
	key, value, name = {
		"Stage": ("stage", "median_review_hours", _("Median Review Time (h)")),
		"Reviewer": ("reviewer", "decisions", _("Decisions")),
		"Hold Rule": ("rule", "orders", _("Orders Held")),
	}[view]
	top = data[:10]
	return {
		"data": {
			"labels": [row[key] for row in top],
			"datasets": [{"name": name, "values": [row[value] or 0 for row in top]}],
		},
		"type": "bar",
	}
