"""Stock check on the Customer Order form: per line, what the warehouse has, what this order holds
and what is expected, read from ERPNext's Bins and Stock Reservation Entries."""

from __future__ import annotations

import frappe
from frappe.utils import flt

from order_mgmt.erpnext_bridge.stock_reservation import reserved_qty_by_line, stock_item_codes


@frappe.whitelist()
def stock_check(order: str) -> list[dict]:
	frappe.has_permission("Customer Order", "read", order, throw=True)
	doc = frappe.get_doc("Customer Order", order)
	stock_items = stock_item_codes([row.item_code for row in doc.items if row.item_code])
	pairs = {
		(row.item_code, row.warehouse) for row in doc.items if row.item_code in stock_items and row.warehouse
	}
	bins = {}
	if pairs:
		bin_ = frappe.qb.DocType("Bin")
		rows = (
			frappe.qb.from_(bin_)
			.select(bin_.item_code, bin_.warehouse, bin_.actual_qty, bin_.reserved_stock, bin_.projected_qty)
			.where(bin_.item_code.isin([p[0] for p in pairs]) & bin_.warehouse.isin([p[1] for p in pairs]))
		).run(as_dict=True)
		bins = {(row.item_code, row.warehouse): row for row in rows}
	reserved = reserved_qty_by_line(doc.sales_order) if doc.sales_order else {}

	lines = []
	for row in doc.items:
		if row.item_code not in stock_items:
			continue
		stock = bins.get((row.item_code, row.warehouse)) or frappe._dict()
		lines.append(
			{
				"name": row.name,
				"idx": row.idx,
				"item_code": row.item_code,
				"warehouse": row.warehouse,
				"stock_qty": flt(row.stock_qty),
				"stock_uom": row.stock_uom,
				"actual_qty": flt(stock.actual_qty),
				"available_qty": flt(stock.actual_qty) - flt(stock.reserved_stock),
				"reserved_for_order": flt(reserved.get(row.sales_order_item)) if row.sales_order_item else 0,
				"projected_qty": flt(stock.projected_qty),
				"shortage_qty": flt(row.shortage_qty),
				"shortage_action": row.shortage_action,
				"expected_date": row.expected_date,
				"substitute_item": row.substitute_item,
				"material_request": row.material_request,
			}
		)
	return lines
