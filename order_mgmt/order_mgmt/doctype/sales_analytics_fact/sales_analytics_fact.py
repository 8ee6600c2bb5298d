# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

GROUPS = ("customer", "item_code", "item_group", "territory")


class SalesAnalyticsFact(Document):
	"""A Sales Invoice or Sales Order line's figures for Sales Analysis, written only by
	order_mgmt/analytics/facts.py."""

	pass


def on_doctype_update():
	"""Sales Analysis narrows by kind, company and period (posting date) and groups by one of GROUPS:
	one index per group holds all a grouped query reads (no lookups into the table's rows). Upkeep finds
	a voucher's lines by voucher."""
	for group in GROUPS:
		frappe.db.add_index(
			"Sales Analytics Fact",
			["voucher_type", "company", "posting_date", group, "order_key", "revenue", "cost"],
			index_name=f"sales_analytics_by_{group}",
		)
	frappe.db.add_index("Sales Analytics Fact", ["voucher"])
