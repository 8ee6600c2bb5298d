"""The Customer Order form in ERPNext's order: header fields, items, taxes, totals, then the rest."""

import frappe
from frappe.tests.utils import FrappeTestCase


class TestCustomerOrderLayout(FrappeTestCase):
	def test_header_items_taxes_totals_in_erpnexts_order(self):
		fields = [df.fieldname for df in frappe.get_meta("Customer Order").fields]
		position = {name: fields.index(name) for name in fields}
		header = ("customer", "company", "order_date", "delivery_date", "channel", "price_list")
		for name in header:
			self.assertLess(position[name], position["items_section"], name)
		self.assertLess(position["items"], position["taxes_section"])
		self.assertLess(position["taxes"], position["totals_section"])
		self.assertLess(position["grand_total"], position["delivery_section"])
		self.assertLess(position["totals_section"], position["review_section"])

	def test_return_request_is_created_from_the_form_only_once_something_was_delivered(self):
		script = frappe.get_app_path(
			"order_mgmt", "order_mgmt", "doctype", "customer_order", "customer_order.js"
		)
		source = open(script).read()
		self.assertIn(
			'"Return Request": () => frm.doc.docstatus === 1 && flt(frm.doc.per_delivered) > 0', source
		)
