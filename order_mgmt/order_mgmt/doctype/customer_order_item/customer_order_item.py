# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class CustomerOrderItem(server_owned.RowSavedWithItsDocument, Document):
	server_owned_fields = (
		"valuation_rate",
		"projected_qty",
		"sales_order_item",
		"shortage_qty",
		"shortage_action",
		"expected_date",
		"substitute_item",
		"material_request",
		"shortage_decided_by",
		"shortage_decided_on",
	)
	"""Written by the app only (order_mgmt.server_owned): the hand-off and the shortage decisions."""
