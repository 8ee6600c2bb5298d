"""Number cards of the Order Management workspace that need more than a count (Frappe side)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_first_day, get_last_day, now_datetime, nowdate

from order_mgmt.analytics import review_kpis


@frappe.whitelist()
@frappe.read_only()
def auto_approval_rate(filters=None) -> dict:
	"""This month's auto-approval rate in the user's default company, for whoever may run the Review
	Performance report (the same measure as its total row); read-only, so it may run on a replica."""
	from order_mgmt.order_mgmt.report.review_performance.review_performance import (
		order_facts,
		review_facts,
	)

	if not frappe.get_cached_doc("Report", "Review Performance").is_permitted():
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)
	if not company:
		return {"value": 0, "fieldtype": "Percent"}
	period = frappe._dict(
		company=company, from_date=get_first_day(nowdate()), to_date=get_last_day(nowdate())
	)
	total = review_kpis.total_row(order_facts(period), review_facts(period), now_datetime())
	return {"value": total["auto_approval_rate"], "fieldtype": "Percent"}
