from frappe import _


def get_data():
	return {
		"fieldname": "customer_order",
		"internal_links": {"Sales Order": "sales_order"},
		"transactions": [
			{"label": _("Review"), "items": ["Order Review"]},
			{"label": _("Fulfilment"), "items": ["Sales Order"]},
			{"label": _("Returns"), "items": ["Return Request"]},
			{"label": _("Changes"), "items": ["Order Change Request"]},
		],
	}
