# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document
from frappe.utils import cint


class OrderManagementSettings(Document):
	def on_update(self):
		from order_mgmt.setup.print_formats import sync_invoice_print_format

		before = self.get_doc_before_save()
		if not before or cint(before.use_order_invoice_print_format) != cint(
			self.use_order_invoice_print_format
		):
			sync_invoice_print_format(bool(cint(self.use_order_invoice_print_format)))
