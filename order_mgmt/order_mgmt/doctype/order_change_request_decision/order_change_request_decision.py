# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class OrderChangeRequestDecision(server_owned.RowSavedWithItsDocument, Document):
	pass
