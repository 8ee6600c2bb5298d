"""Number cards of the Order Management workspace that need more than a count (Frappe side)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, get_first_day, get_last_day, getdate, now_datetime, nowdate

from order_mgmt.analytics import review_kpis


@frappe.whitelist()
@frappe.read_only()
def auto_approval_rate(filters=None) -> dict:
	"""This month's auto-approval rate in the user's default company, for whoever may run the Review
	Performance report (the same measure as its total row); read-only, so it may run on a replica."""
	from order_mgmt.order_mgmt.report.review_performance.review_performance import day_counts, review_hours

	if not frappe.get_cached_doc("Report", "Review Performance").is_permitted():
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	company = _company()
	if not company:
		return {"value": 0, "fieldtype": "Percent"}
	period = frappe._dict(
		company=company, from_date=get_first_day(nowdate()), to_date=get_last_day(nowdate())
	)
	total = review_kpis.total_count_row(day_counts(period, now_datetime()), review_hours(period))
	return {"value": total["auto_approval_rate"], "fieldtype": "Percent"}


def _company() -> str | None:
	return frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)


def _last_90_days(report: str) -> frappe._dict | None:
	"""The last 90 days in the user's default company, for whoever may run `report`."""
	if not frappe.get_cached_doc("Report", report).is_permitted():
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	company = _company()
	if not company:
		return None
	return frappe._dict(company=company, from_date=add_days(nowdate(), -90), to_date=nowdate())


@frappe.whitelist()
@frappe.read_only()
def on_time_delivery_rate(filters=None) -> dict:
	"""The share of orders of the last 90 days delivered on time (the Delivery Performance report's
	order on-time rate over that period)."""
	from order_mgmt.analytics import delivery
	from order_mgmt.order_mgmt.report.delivery_performance.delivery_performance import day_counts

	period = _last_90_days("Delivery Performance")
	if not period:
		return {"value": 0, "fieldtype": "Percent"}
	total = delivery.total_count_row(day_counts(period, getdate()), [], getdate())
	return {"value": total["order_on_time_rate"], "fieldtype": "Percent"}


@frappe.whitelist()
@frappe.read_only()
def return_rate(filters=None) -> dict:
	"""Quantity returned against quantity delivered over the last 90 days (the Return Rate report's
	measure, over all items)."""
	from order_mgmt.order_mgmt.report.return_rate.return_rate import quantities
	from order_mgmt.returns import rates

	period = _last_90_days("Return Rate")
	if not period:
		return {"value": 0, "fieldtype": "Percent"}
	delivered, returned = quantities(period, "Item")
	return {
		"value": rates.return_rate(sum(delivered.values()), sum(returned.values())),
		"fieldtype": "Percent",
	}
