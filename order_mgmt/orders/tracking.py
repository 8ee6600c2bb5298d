"""The Customer Order's status follows its ERPNext Sales Order (doc_events in hooks.py)."""

from __future__ import annotations

import frappe
from frappe.utils import flt

from order_mgmt.orders.status import status_from_sales_order


def sync_from_sales_order(sales_order) -> None:
	"""Mirror a Sales Order's delivery and billing progress on its Customer Order."""
	order_name = sales_order.get("customer_order")
	if not order_name or (getattr(sales_order, "flags", None) or {}).get("in_hand_off"):
		return  # the hand-off making it writes the order's status itself (erpnext_bridge.sales_order)
	order = frappe.db.get_value("Customer Order", order_name, ["docstatus", "sales_order"], as_dict=True)
	if not order or order.docstatus != 1:
		return  # a cancelled order keeps its own status
	if order.sales_order != sales_order.name:
		return  # only the Sales Order the hand-off linked (review.actions) is the order's, not any naming it
	frappe.db.set_value(
		"Customer Order",
		order_name,
		{
			"status": status_from_sales_order(
				sales_order.docstatus,
				sales_order.status,
				flt(sales_order.per_delivered),
				flt(sales_order.per_billed),
			),
			"per_delivered": flt(sales_order.per_delivered),
			"per_billed": flt(sales_order.per_billed),
		},
		update_modified=False,
	)


def on_sales_order_change(doc, method=None) -> None:
	sync_from_sales_order(doc)


def on_fulfilment_document(doc, method=None) -> None:
	"""Delivery Notes and Sales Invoices move their Sales Orders' progress: follow it."""
	sales_orders = {
		row.get("against_sales_order") or row.get("sales_order")
		for row in doc.get("items", [])
		if row.get("against_sales_order") or row.get("sales_order")
	}
	for name in sales_orders:
		values = frappe.db.get_value(
			"Sales Order",
			name,
			["name", "docstatus", "status", "per_delivered", "per_billed", "customer_order"],
			as_dict=True,
		)
		if values and values.customer_order:
			sync_from_sales_order(values)
