# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

GROUPS = ("customer", "item_code", "item_group", "territory")
# what the report's queries read after the narrowing columns
FIGURES = ("order_key", "revenue", "cost")
# the first indexes (posting date before the group): a grouped query sorted its rows by the group, and
# MariaDB re-read each row from the table after the sort (its columns too wide to carry along)
REPLACED = tuple(f"sales_analytics_by_{group}" for group in GROUPS)


class SalesAnalyticsFact(Document):
	"""A Sales Invoice or Sales Order line's figures for Sales Analysis, written only by
	order_mgmt/analytics/facts.py."""

	pass


def on_doctype_update():
	"""Sales Analysis narrows by kind and company, groups by one of GROUPS and narrows by period: one
	index per group, the group before the posting date, holds all a grouped query reads and hands
	the rows over in the group's order (no sort; no lookups into the table's rows). The total and the
	Month view read the period's rows by posting date. Upkeep finds a voucher's lines by voucher."""
	table = "tabSales Analytics Fact"
	for name in REPLACED:
		if frappe.db.has_index(table, name):
			frappe.db.sql_ddl(f"alter table `{table}` drop index `{name}`")
	frappe.db.add_index(
		"Sales Analytics Fact",
		["voucher_type", "company", "posting_date", *FIGURES],
		index_name="sales_analytics_by_date",
	)
	for group in GROUPS:
		frappe.db.add_index(
			"Sales Analytics Fact",
			["voucher_type", "company", group, "posting_date", *FIGURES],
			index_name=f"sales_analytics_per_{group}",
		)
	frappe.db.add_index("Sales Analytics Fact", ["voucher"])
