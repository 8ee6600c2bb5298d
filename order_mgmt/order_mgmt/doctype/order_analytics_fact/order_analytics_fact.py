# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

# Every figure the reports count per order date, after the company and order date they narrow by: the
# grouped report queries read this index alone (no lookups into the table's rows).
FIGURES = (
	"company",
	"order_date",
	"order_docstatus",
	"auto_approved",
	"manual_intervention",
	"held",
	"rejected",
	"returned_for_changes",
	"submitted_on",
	"approved_on",
	"delivered_on",
	"invoiced_on",
	"paid_on",
	"so_lines",
	"measured_lines",
	"on_time_lines",
	"late_lines",
	"deliveries",
	"promised",
	"completed_on",
	"shortage_lines",
	"superseded",
	"amends_approved",
	"applied_changes",
	"wrong_item",
	"not_as_described",
)


class OrderAnalyticsFact(Document):
	"""An order's figures for the analytics reports, written only by order_mgmt/analytics/facts.py."""

	pass


def on_doctype_update():
	"""The reports narrow by company and period of order dates (report_filters.fact_conditions): the
	figures index starts with them. The
	upkeep of one order's facts finds its amendments (is it superseded?) by amended_from, which
	Customer Order does not index otherwise: without it every upkeep read all orders."""
	frappe.db.add_index("Order Analytics Fact", list(FIGURES), index_name="order_analytics_figures")
	frappe.db.add_index("Customer Order", ["amended_from"])
