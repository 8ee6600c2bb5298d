"""A line that could not be fully reserved is a shortage: ERPNext's Material Request (purchase) is
raised for the missing quantity, once per line, linked to the Sales Order line (and so to the order)."""

from __future__ import annotations

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_material_request
from frappe.utils import flt

from order_mgmt.utils import acting_as


def shortages(sales_order, reserved: dict[str, float]) -> dict[str, float]:
	"""Missing stock quantity per Sales Order line (stock items only)."""
	stock_items = set(
		frappe.get_all(
			"Item",
			filters={"name": ("in", [row.item_code for row in sales_order.items]), "is_stock_item": 1},
			pluck="name",
		)
	)
	return {
		row.name: flt(row.stock_qty) - flt(reserved.get(row.name))
		for row in sales_order.items
		if row.item_code in stock_items and flt(row.stock_qty) - flt(reserved.get(row.name)) > 1e-9
	}


def raise_material_request(sales_order, reserved: dict[str, float]) -> str | None:
	"""Submit a purchase Material Request for what could not be reserved; lines already requested
	(by an earlier run, or by hand) are left out, so it happens once."""
	missing = shortages(sales_order, reserved)
	if not missing:
		return None
	requested = set(
		frappe.get_all(
			"Material Request Item",
			filters={"sales_order_item": ("in", list(missing)), "docstatus": ("<", 2)},
			pluck="sales_order_item",
		)
	)
	missing = {line: qty for line, qty in missing.items() if line not in requested}
	if not missing:
		return None
	with acting_as("Administrator"):  # the app's follow-up of an approval, like the reservation
		request = make_material_request(sales_order.name)
		request.material_request_type = "Purchase"
		kept = []
		for row in request.items:
			if row.sales_order_item in missing:
				row.stock_qty = missing[row.sales_order_item]
				row.qty = row.stock_qty / (flt(row.conversion_factor) or 1)
				kept.append(row)
		if not kept:
			return None
		request.set("items", kept)
		request.insert()
		request.submit()
	return request.name
