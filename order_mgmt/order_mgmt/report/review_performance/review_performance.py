# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Review Performance: per week (or per stage, reviewer or hold rule) the orders submitted, their
auto-approval and manual intervention rates, holds, rejections and returns for changes, decisions,
SLA breaches and median review times.

The Week and Hold Rule views count in SQL per order date over the Order Analytics Facts (each order's
flags as review_kpis.order_flags gives them, analytics/facts.py) and the orders' Order Reviews and
hold rule names; the Stage and Reviewer views read the reviews of the orders of the period (by order
date). The pure functions in order_mgmt/analytics/review_kpis.py compute the rows. Only rule names are read from the hold reasons: no measured values, thresholds or
credit figures."""

from __future__ import annotations

from collections import Counter, defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import getdate, now_datetime
from pypika.terms import Case, CustomFunction, LiteralValue

from order_mgmt.analytics import report_filters, review_kpis
from order_mgmt.analytics.review_kpis import OrderFact, ReviewFact

VIEWS = ("Week", "Stage", "Reviewer", "Hold Rule")
FACT = "Order Analytics Fact"
TIMESTAMPDIFF = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])


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
		data = review_kpis.hold_rule_count_rows(held_per_rule(filters), sum(orders_per_day(filters).values()))
	elif view == "Stage":
		data = review_kpis.stage_rows(review_facts(filters), now)
	elif view == "Reviewer":
		data = review_kpis.reviewer_rows(review_facts(filters), now)
	else:
		days, hours = day_counts(filters, now), review_hours(filters)
		data = [{**row, "week": str(row["week"])} for row in review_kpis.weekly_count_rows(days, hours)]
		if data:
			data.append({"week": _("Total"), **review_kpis.total_count_row(days, hours)})
	return columns(view), data, None, chart(view, data)


def order_conditions(order, filters):
	return report_filters.order_conditions(order, filters)


def _count(condition):
	return Sum(Case().when(condition, 1).else_(0))


def orders_per_day(filters) -> dict:
	fact = frappe.qb.DocType(FACT)
	return dict(
		frappe.qb.from_(fact)
		.select(fact.order_date, Count("*"))
		.where(report_filters.fact_conditions(fact, filters))
		.groupby(fact.order_date)
		.run()
	)


def _decided(review):
	return Coalesce(review.decision, "").notin((review_kpis.PENDING, review_kpis.CANCELLED)) & (
		review.decided_on.isnotnull()
	)


def day_counts(filters, now) -> list[review_kpis.DayReviews]:
	"""The Week view's counts per order date, in SQL: the orders' flags as the Order Analytics Facts
	keep them (review_kpis.order_flags) and their reviews' decisions, SLA breaches (as
	review_kpis.is_breach decides them at `now`) and escalations. A day comes twice (orders,
	reviews); the weekly and total rows add them up."""
	fact, review = frappe.qb.DocType(FACT), frappe.qb.DocType("Order Review")
	conditions = report_filters.fact_conditions(fact, filters)
	orders = (
		frappe.qb.from_(fact)
		.select(
			fact.order_date,
			Count("*"),
			Sum(fact.auto_approved),
			Sum(fact.manual_intervention),
			Sum(fact.held),
			Sum(fact.rejected),
			Sum(fact.returned_for_changes),
		)
		.where(conditions)
		.groupby(fact.order_date)
		.run()
	)
	closed = _decided(review) | (Coalesce(review.decision, "") == review_kpis.CANCELLED)
	breach = (review.is_overdue == 1) | (
		review.sla_due.isnotnull()
		& (
			(closed & review.decided_on.isnotnull() & (review.decided_on > review.sla_due))
			| (~closed & (review.sla_due < now))
		)
	)
	reviews = (
		frappe.qb.from_(review)
		.join(fact)
		.on(fact.name == review.customer_order)
		.select(fact.order_date, _count(_decided(review)), _count(breach), _count(review.escalated == 1))
		.where(conditions)
		.groupby(fact.order_date)
		.run()
	)
	result = [review_kpis.DayReviews(day, *(int(value or 0) for value in values)) for day, *values in orders]
	result += [
		review_kpis.DayReviews(
			day, decisions=int(decisions or 0), sla_breaches=int(breaches or 0), escalated=int(escalated or 0)
		)
		for day, decisions, breaches, escalated in reviews
	]
	return result


def review_hours(filters) -> dict:
	"""The decided reviews' times counted per order date (review_kpis.review_hours_between of the
	microseconds between request and decision)."""
	fact, review = frappe.qb.DocType(FACT), frappe.qb.DocType("Order Review")
	duration = TIMESTAMPDIFF(LiteralValue("MICROSECOND"), review.requested_on, review.decided_on)
	hours: dict = defaultdict(Counter)
	for day, value, count in (
		frappe.qb.from_(review)
		.join(fact)
		.on(fact.name == review.customer_order)
		.select(fact.order_date, duration, Count("*"))
		.where(
			report_filters.fact_conditions(fact, filters) & _decided(review) & review.requested_on.isnotnull()
		)
		.groupby(fact.order_date, duration)
		.run()
	):
		hours[day][review_kpis.review_hours_between(value)] += count
	return hours


def held_per_rule(filters) -> dict[str, int]:
	"""The orders held per hold rule name (an order once per rule)."""
	fact, hold = frappe.qb.DocType(FACT), frappe.qb.DocType("Customer Order Hold Reason")
	return dict(
		frappe.qb.from_(hold)
		.join(fact)
		.on(fact.name == hold.parent)
		.select(hold.rule, Count(hold.parent).distinct())
		.where(
			(hold.parenttype == "Customer Order")
			& (hold.parentfield == "hold_reasons")
			& report_filters.fact_conditions(fact, filters)
		)
		.groupby(hold.rule)
		.run()
	)


def gather_order_facts(conditions) -> list[OrderFact]:
	"""The orders with their review decision and hold rule names (`conditions` on
	frappe.qb.DocType("Customer Order"))."""
	order = frappe.qb.DocType("Customer Order")
	hold = frappe.qb.DocType("Customer Order Hold Reason")
	rules: dict[str, list[str]] = {}
	for parent, rule in (
		frappe.qb.from_(hold)
		.join(order)
		.on(order.name == hold.parent)
		.select(hold.parent, hold.rule)
		.where((hold.parenttype == "Customer Order") & (hold.parentfield == "hold_reasons"))
		.where(conditions)
		.run()
	):
		rules.setdefault(parent, []).append(rule)
	return [
		OrderFact(name, getdate(order_date), decision, tuple(rules.get(name, ())))
		for name, order_date, decision in frappe.qb.from_(order)
		.select(order.name, order.order_date, order.review_decision)
		.where(conditions)
		.run()
	]


def review_facts(filters) -> list[ReviewFact]:
	order = frappe.qb.DocType("Customer Order")
	return gather_review_facts(order_conditions(order, filters))


def gather_review_facts(conditions) -> list[ReviewFact]:
	"""The Order Reviews of the orders (`conditions` on frappe.qb.DocType("Customer Order"))."""
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
		.where(conditions)
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
