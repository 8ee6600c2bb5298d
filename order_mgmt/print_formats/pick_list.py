"""What the "Order Pick List" print format shows: the orders behind a Pick List and its lines grouped
by warehouse in walking order (warehouse, then item)."""

from __future__ import annotations

from itertools import groupby

import frappe
from frappe.utils import flt

from order_mgmt.fulfilment.priority import pick_sequence


def pick_list_context(doc) -> dict:
	if not frappe.has_permission("Pick List", "read", doc.name):
		frappe.throw(frappe._("Not permitted to read {0}").format(doc.name), frappe.PermissionError)
	sales_orders = list(dict.fromkeys(row.sales_order for row in doc.locations if row.sales_order))
	orders = pick_sequence(
		frappe.get_all(
			"Customer Order",
			filters={"sales_order": ("in", sales_orders or [""]), "docstatus": 1},
			fields=[
				"name",
				"customer",
				"customer_name",
				"delivery_method",
				"priority",
				"delivery_date",
				"sales_order",
			],
		)
	)
	barcodes = dict(
		frappe.get_all(
			"Item Barcode",
			filters={"parent": ("in", list({row.item_code for row in doc.locations}))},
			fields=["parent", "barcode"],
			as_list=True,
			order_by="idx desc",  # the first barcode of an item wins
		)
	)
	lines = sorted(doc.locations, key=lambda row: (row.warehouse or "", row.item_code, row.idx))
	groups = [
		{
			"warehouse": warehouse,
			"lines": [
				{
					"item_code": row.item_code,
					"item_name": row.item_name,
					"barcode": barcodes.get(row.item_code) or row.item_code,
					"uom": row.uom or row.stock_uom,
					"qty": flt(row.qty),
					"picked_qty": flt(row.picked_qty),
					"batch_no": row.batch_no,
					"serial_no": row.serial_no,
					"sales_order": row.sales_order,
				}
				for row in rows
			],
		}
		for warehouse, rows in groupby(lines, key=lambda row: row.warehouse or "")
	]
	return {
		"orders": orders,
		"groups": groups,
		"total_qty": sum(flt(row.qty) for row in doc.locations),
		"line_count": len(doc.locations),
	}
