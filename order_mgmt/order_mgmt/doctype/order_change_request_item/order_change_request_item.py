# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class OrderChangeRequestItem(server_owned.RowSavedWithItsDocument, Document):
	# `warehouse` is the client's for a new line (checked against the company), the order line's otherwise.
	server_owned_fields = (
		"item_name",
		"action",
		"qty_before",
		"rate_before",
		"discount_before",
		"amount_before",
		"rate_after",
		"discount_after",
		"amount_after",
		"uom",
		"conversion_factor",
		"sales_order_item",
		"delivered_qty",
		"picked_qty",
		"billed_amount",
		"reserved_qty",
		"free_stock_qty",
		"new_shortage_qty",
		"valuation_rate",
		"margin_percentage",
	)
