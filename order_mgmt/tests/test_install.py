import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.accounting.modes_of_payment import MODES
from order_mgmt.accounting.payments import register_payment
from order_mgmt.setup.install import CUSTOM_FIELDS, ROLES
from order_mgmt.tests.utils import (
	acting_as,
	company,
	make_customer,
	make_item,
	make_order,
	role_user,
	unique,
	warehouse,
)


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

	def test_customer_shows_its_customer_orders_as_connections(self):
		dashboard = frappe.get_meta("Customer").get_dashboard_data()
		self.assertIn("Customer Order", [d for group in dashboard.transactions for d in group["items"]])

	def test_workspace_is_installed(self):
		workspace = frappe.get_doc("Workspace", "Order Management")
		self.assertEqual(workspace.module, "Order Mgmt")
		self.assertIn("Customer Order", [s.link_to for s in workspace.shortcuts])

	def test_status_field_and_filters_are_indexed(self):
		indexed = {
			row.Column_name for row in frappe.db.sql("show index from `tabCustomer Order`", as_dict=True)
		}
		for fieldname in ("status", "customer", "sales_order", "order_date", "duplicate_key"):
			self.assertIn(fieldname, indexed)


class TestReviewFixtures(FrappeTestCase):
	def test_workflow_stages_and_rules_are_installed(self):
		workflow = frappe.get_doc("Workflow", "Customer Order Review")
		self.assertTrue(workflow.is_active)
		self.assertEqual(workflow.document_type, "Customer Order")
		states = {state.state for state in workflow.states}
		for stage in frappe.get_all("Order Review Stage", pluck="workflow_state"):
			self.assertIn(stage, states)
		self.assertTrue(
			{"Draft", "Approved", "Rejected", "Returned for Changes", "On Hold", "Cancelled"} <= states
		)
		self.assertEqual(
			set(frappe.get_all("Order Review Stage", pluck="name")), {"Sales", "Finance", "Warehouse"}
		)
		self.assertGreaterEqual(frappe.db.count("Order Review Rule", {"enabled": 1}), 8)

	def test_fixtures_export_and_reimport_cleanly(self):
		"""What `bench export-fixtures` writes, `migrate` (sync_fixtures) reads back unchanged."""
		import os
		import tempfile

		from frappe.core.doctype.data_import.data_import import export_json, import_doc
		from frappe.utils.fixtures import sync_fixtures

		from order_mgmt.accounting.modes_of_payment import ensure_accounts, keep_accounts_before_migrate
		from order_mgmt.setup.install import after_migrate

		def accounts():
			return sorted(
				frappe.get_all(
					"Mode of Payment Account",
					filters={"parent": ("in", ["Bank Transfer", "Card", "Cash", "Alipay", "WeChat Pay"])},
					fields=["parent", "company", "default_account"],
					as_list=True,
				)
			)

		# What install gives every company, whatever an earlier run left; then an admin's own choice.
		ensure_accounts()
		test_company = company()
		alipay = {"parent": "Alipay", "company": test_company}
		shipped = frappe.db.get_value("Mode of Payment Account", alipay, "default_account")
		chosen = frappe.db.get_value("Company", test_company, "default_cash_account")  # settled to cash, say

		def put_back():  # the reimport commits: so must the cleanup, for the tests after this one
			frappe.db.set_value("Mode of Payment Account", alipay, "default_account", shipped)
			frappe.db.commit()

		self.addCleanup(put_back)
		frappe.db.set_value("Mode of Payment Account", alipay, "default_account", chosen)
		before = frappe.get_doc("Workflow", "Customer Order Review").as_dict()
		accounts_before = accounts()
		self.assertIn(("Alipay", test_company, chosen), accounts_before)
		self.assertTrue(
			{"Alipay", "Bank Transfer", "Card", "Cash", "WeChat Pay"} <= {a[0] for a in accounts_before}
		)
		keep_accounts_before_migrate()  # as `bench migrate` runs the hooks around the fixtures
		with tempfile.TemporaryDirectory() as folder:
			for fixture in frappe.get_hooks("fixtures", app_name="order_mgmt"):
				doctype = fixture if isinstance(fixture, str) else fixture["dt"]
				filters = None if isinstance(fixture, str) else fixture.get("filters")
				path = os.path.join(folder, frappe.scrub(doctype) + ".json")
				export_json(doctype, path, filters=filters)
				self.assertTrue(os.path.getsize(path) > 2, doctype)
				import_doc(path)
		sync_fixtures("order_mgmt")
		after_migrate()
		frappe.db.commit()  # import_doc commits: the accounts put back must be committed too
		# Frappe replaces fixture records (their child rows included); the accounts are kept.
		self.assertEqual(accounts(), accounts_before)
		after = frappe.get_doc("Workflow", "Customer Order Review")
		self.assertEqual(len(after.transitions), len(before.transitions))
		self.assertEqual(len(after.states), len(before.states))


class TestModesOfPaymentForNewCompanies(FrappeTestCase):
	"""A company created after installation has accounts on the app's modes of payment at once."""

	def make_company(self) -> str:
		name = unique("OMT Company")
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": name[-6:],
				"default_currency": frappe.get_cached_value("Company", company(), "default_currency"),
				"country": frappe.get_cached_value("Company", company(), "country"),
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert()
		return name

	def test_a_new_company_takes_an_alipay_payment_without_a_migrate(self):
		new_company = self.make_company()
		accounts = dict(
			frappe.get_all(
				"Mode of Payment Account",
				filters={"parent": ("in", MODES), "company": new_company},
				fields=["parent", "default_account"],
				as_list=True,
			)
		)
		self.assertEqual(set(accounts), set(MODES))
		abbr = frappe.db.get_value("Company", new_company, "abbr")
		self.assertEqual(accounts["Alipay"], f"Alipay Clearing - {abbr}")
		self.assertEqual(frappe.db.get_value("Account", accounts["Alipay"], "company"), new_company)

		order = make_order(
			make_customer(),
			[
				{
					"item_code": make_item(rate=80, is_stock_item=0, stock_uom="Nos"),
					"qty": 1,
					"warehouse": warehouse(new_company),
				}
			],
			company=new_company,
			submit=True,
		)
		self.assertEqual(order.status, "To Deliver", [r.message for r in order.hold_reasons])
		with acting_as(role_user("accountant", ["Accounts User", "Accounts Manager"])):
			(entry,) = register_payment(order.name, order.grand_total, "Alipay", reference_no="ALIPAY-1")
		payment = frappe.get_doc("Payment Entry", entry)
		self.assertEqual(
			(payment.docstatus, payment.company, payment.paid_to), (1, new_company, accounts["Alipay"])
		)

	def test_an_account_an_admin_chose_is_kept_when_the_company_is_saved_again(self):
		new_company = self.make_company()
		cash = frappe.db.get_value("Company", new_company, "default_cash_account")
		frappe.db.set_value(
			"Mode of Payment Account", {"parent": "Card", "company": new_company}, "default_account", cash
		)
		doc = frappe.get_doc("Company", new_company)
		doc.save()
		self.assertEqual(
			frappe.db.get_value(
				"Mode of Payment Account", {"parent": "Card", "company": new_company}, "default_account"
			),
			cash,
		)
