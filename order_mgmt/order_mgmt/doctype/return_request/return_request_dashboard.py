from frappe import _


def get_data():
	"""Connections: the return documents ERPNext made for the request (custom field return_request),
	the original order and the refund."""
	return {
		"fieldname": "return_request",
		"internal_links": {
			"Customer Order": "customer_order",
			"Payment Entry": "refund_payment_entry",
		},
		"transactions": [
			{"label": _("Order"), "items": ["Customer Order"]},
			{"label": _("Settlement"), "items": ["Delivery Note", "Sales Invoice", "Payment Entry"]},
		],
	}
