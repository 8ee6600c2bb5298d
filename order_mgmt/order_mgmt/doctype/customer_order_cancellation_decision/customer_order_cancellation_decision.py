# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class CustomerOrderCancellationDecision(server_owned.RowSavedWithItsDocument, Document):
	"""A request to cancel an approved order and the Order Manager's decision on it (orders/cancellation.py):
	written by the app only, with its order."""
