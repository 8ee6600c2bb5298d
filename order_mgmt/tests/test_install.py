import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.setup.install import CUSTOM_FIELDS, ROLES


class TestInstall(FrappeTestCase):
	def test_app_is_installed_with_its_doctypes(self):
		self.assertIn("order_mgmt", frappe.get_installed_apps())
		for doctype in (
			"Customer Order",
			"Customer Order Item",
			"Customer Order Hold Reason",
			"Order Management Settings",
		):
			self.assertTrue(frappe.db.exists("DocType", doctype), doctype)
			self.assertEqual(frappe.db.get_value("DocType", doctype, "module"), "Order Mgmt")

	def test_fixtures_add_custom_fields_and_roles(self):
		for name in CUSTOM_FIELDS:
			self.assertTrue(frappe.db.exists("Custom Field", name), name)
		for role in ROLES:
			self.assertTrue(frappe.db.exists("Role", role), role)
		self.assertTrue(frappe.get_meta("Sales Order").has_field("customer_order"))

	def test_settings_have_their_defaults(self):
		settings = frappe.get_single("Order Management Settings")
		self.assertEqual(settings.auto_approve, 1)
		self.assertEqual(settings.block_duplicate_orders, 1)
		self.assertGreater(settings.max_discount_percentage, 0)

	def test_sales_order_and_customer_order_show_each_other_as_connections(self):
		so_dashboard = frappe.get_meta("Sales Order").get_dashboard_data()
		self.assertEqual(so_dashboard.internal_links.get("Customer Order"), "customer_order")
		self.assertIn("Customer Order", [d for group in so_dashboard.transactions for d in group["items"]])
		co_dashboard = frappe.get_meta("Customer Order").get_dashboard_data()
		self.assertEqual(co_dashboard.fieldname, "customer_order")
		self.assertIn("Sales Order", [d for group in co_dashboard.transactions for d in group["items"]])

	def test_status_field_and_filters_are_indexed(self):
		indexed = {
			row.Column_name for row in frappe.db.sql("show index from `tabCustomer Order`", as_dict=True)
		}
		for fieldname in ("status", "customer", "sales_order", "order_date", "duplicate_key"):
			self.assertIn(fieldname, indexed)
