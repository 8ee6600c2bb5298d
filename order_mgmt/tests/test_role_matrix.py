"""The seeds' role matrix (002, 订单数据安全与权限管理), role by role: each app role reads ERPNext's
documents of the orders it handles; warehouse staff pick and ship, finance invoices and collects;
customer service reads orders and shipments, comments on them and files return requests; clerks may
not change prices (with Order Management Settings' *Only reviewers and managers change prices*),
Sales Reviewers may, within the maximum discount. Also the default print formats the app sets."""

import frappe
from frappe.model.workflow import apply_workflow
from frappe.tests.utils import FrappeTestCase

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.orders.intake import OrderValidationError, PriceChangeNotPermittedError
from order_mgmt.setup import print_formats, role_permissions
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	role_user,
)

DOCTYPES = ("Sales Order", "Pick List", "Delivery Note", "Sales Invoice", "Payment Entry")
SHIPMENTS = {"Sales Order", "Pick List", "Delivery Note"}

# role -> the ERPNext documents it reads (all five unless said otherwise).
READS = {
	"Order Clerk": set(DOCTYPES),
	"Sales Reviewer": set(DOCTYPES),
	"Finance Reviewer": set(DOCTYPES),
	"Warehouse Reviewer": set(DOCTYPES),
	"Order Manager": set(DOCTYPES),
	"Customer Service": SHIPMENTS,
}
# role -> the documents it creates and submits.
WORKS = {
	"Warehouse Reviewer": {"Pick List", "Delivery Note"},
	"Finance Reviewer": {"Sales Invoice", "Payment Entry"},
}


def only(role: str) -> str:
	"""A user holding this one app role and nothing of ERPNext's."""
	return role_user("matrix-" + role.lower().replace(" ", "-"), [role])


def set_setting(test, fieldname: str, value) -> None:
	previous = frappe.db.get_single_value("Order Management Settings", fieldname)
	frappe.db.set_single_value("Order Management Settings", fieldname, value)
	frappe.clear_document_cache("Order Management Settings", "Order Management Settings")

	def restore():
		frappe.db.set_single_value("Order Management Settings", fieldname, previous)
		frappe.clear_document_cache("Order Management Settings", "Order Management Settings")

	test.addCleanup(restore)


class TestErpnextDocumentsByRole(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, stock_qty=50), "qty": 2}],
			payment_terms_template="Cash on Delivery",
			submit=True,
		)
		assert order.status == "To Deliver", order.status
		accountant = role_user("accountant", ["Accounts User", "Accounts Manager"])
		with acting_as(role_user("picker", ["Stock User", "Stock Manager"])):
			pick_list = create_pick_list([order.name])["pick_list"]
			(delivery_note,) = deliver_pick_list(pick_list)
		with acting_as(accountant):
			invoice = create_sales_invoice(order.name)
			(payment,) = register_payment(
				order.name, order.grand_total, "Cash", reference_no=f"REF-{order.name}"
			)
		cls.documents = {
			"Sales Order": frappe.db.get_value("Customer Order", order.name, "sales_order"),
			"Pick List": pick_list,
			"Delivery Note": delivery_note,
			"Sales Invoice": invoice,
			"Payment Entry": payment,
		}

	def test_each_role_reads_the_erpnext_documents_of_the_orders_it_handles(self):
		for role, readable in READS.items():
			user = only(role)
			for doctype, name in self.documents.items():
				with self.subTest(role=role, doctype=doctype):
					self.assertEqual(
						frappe.has_permission(doctype, "read", doc=name, user=user), doctype in readable
					)

	def test_an_order_manager_opens_the_sales_invoice_of_an_order(self):
		"""The issue's report: "does not have doctype access … Sales Invoice" (the demo manager's roles)."""
		from frappe.desk.form.load import getdoc

		manager = role_user("matrix-demo-manager", ["Order Manager", "Sales Manager", "Stock User"])
		with acting_as(manager):
			frappe.response.docs = []  # an earlier getdoc of this process left its documents here
			getdoc("Sales Invoice", self.documents["Sales Invoice"])
			self.assertEqual(frappe.response.docs[0].name, self.documents["Sales Invoice"])

	def test_warehouse_ships_and_finance_invoices_and_collects_and_nobody_else_does(self):
		for role in READS:
			user = only(role)
			for doctype in DOCTYPES:
				allowed = doctype in WORKS.get(role, set())
				for ptype in ("create", "write", "submit"):
					with self.subTest(role=role, doctype=doctype, ptype=ptype):
						self.assertEqual(frappe.has_permission(doctype, ptype, user=user), allowed)
				with self.subTest(role=role, doctype=doctype, ptype="cancel"):
					self.assertFalse(frappe.has_permission(doctype, "cancel", user=user))

	def test_other_roles_keep_their_standard_permissions(self):
		"""The app's grants copied the standard permissions first: ERPNext's own roles lost nothing."""
		for doctype, role in (("Sales Invoice", "Accounts User"), ("Delivery Note", "Stock User")):
			user = role_user("matrix-std-" + role.lower().replace(" ", "-"), [role])
			for ptype in ("read", "create", "submit"):
				with self.subTest(doctype=doctype, ptype=ptype):
					self.assertTrue(frappe.has_permission(doctype, ptype, user=user))


class TestCustomerService(FrappeTestCase):
	def test_customer_service_reads_every_order_and_comments_but_does_not_change_it(self):
		from frappe.desk.form.utils import add_comment

		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		user = only("Customer Service")
		with acting_as(user):
			self.assertIn(order.name, frappe.get_list("Customer Order", pluck="name", limit=0))
			self.assertTrue(frappe.has_permission("Customer Order", "read", doc=order.name))
			self.assertFalse(frappe.has_permission("Customer Order", "write", doc=order.name))
			self.assertFalse(frappe.has_permission("Customer Order", "create"))
			comment = add_comment(
				"Customer Order", order.name, "Customer asks for the delivery date", user, user
			)
			self.assertEqual(comment.reference_name, order.name)
			self.assertTrue(frappe.has_permission("Return Request", "create"))

	def test_customer_service_opens_a_return_request_for_any_customer(self):
		from order_mgmt.tests.test_return_request import delivered_order, make_request

		delivery = delivered_order(qty=2)
		request = make_request(delivery, [{"qty": 1}], as_user=only("Customer Service"))
		self.assertEqual((request.customer_order, request.docstatus), (delivery.order.name, 0))
		with acting_as(only("Customer Service")):
			self.assertIn(request.name, frappe.get_list("Return Request", pluck="name", limit=0))
			submitted = apply_workflow(frappe.get_doc("Return Request", request.name), "Submit")
		self.assertEqual((submitted.workflow_state, submitted.docstatus), ("Submitted", 1))

	def test_a_clerk_still_sees_only_their_own_orders(self):
		other = make_order(
			make_customer(),
			[{"item_code": make_item(), "qty": 1}],
			as_user=role_user("clerk-b", ["Order Clerk"]),
		)
		with acting_as(clerk()):
			self.assertNotIn(other.name, frappe.get_list("Customer Order", pluck="name", limit=0))


class TestPriceChanges(FrappeTestCase):
	def setUp(self):
		set_setting(self, "restrict_price_changes", 1)
		set_setting(self, "max_discount_percentage", 30)
		self.item = make_item(rate=100)
		self.supervisor = role_user("matrix-supervisor", ["Sales Reviewer", "Sales User"])

	def test_a_clerk_may_not_give_a_discount_or_another_rate(self):
		for line in ({"discount_percentage": 5}, {"rate": 90}):
			with self.subTest(line=line), self.assertRaises(PriceChangeNotPermittedError):
				make_order(make_customer(), [{"item_code": self.item, "qty": 1, **line}])

	def test_a_clerk_may_not_change_the_rate_of_a_saved_line(self):
		order = make_order(make_customer(), [{"item_code": self.item, "qty": 1}])
		self.assertEqual(order.items[0].rate, 100)
		with acting_as(clerk()):
			order.items[0].rate = 95
			with self.assertRaises(PriceChangeNotPermittedError):
				order.save()
			order.reload()
			order.items[0].qty = 2  # anything but the price is the clerk's to change
			order.save()

	def test_a_sales_reviewer_may_discount_within_the_maximum_discount(self):
		order = make_order(
			make_customer(), [{"item_code": self.item, "qty": 1, "rate": 92}], as_user=self.supervisor
		)
		self.assertEqual((order.items[0].rate, order.items[0].discount_percentage), (92, 8))
		with self.assertRaises(OrderValidationError) as caught:
			make_order(
				make_customer(),
				[{"item_code": self.item, "qty": 1, "discount_percentage": 40}],
				as_user=self.supervisor,
			)
		self.assertNotIsInstance(caught.exception, PriceChangeNotPermittedError)

	def test_live_pricing_tells_a_clerk_before_the_save(self):
		from order_mgmt.orders.live_pricing import price_draft
		from order_mgmt.tests.test_live_pricing import form_draft

		draft = form_draft(make_customer(), [{"item_code": self.item, "qty": 1, "discount_percentage": 5}])
		with acting_as(clerk()):
			refused = price_draft(frappe.as_json(draft))
		self.assertIn("only a Sales Reviewer or a manager", refused["message"])
		with acting_as(self.supervisor):
			self.assertIsNone(price_draft(frappe.as_json(draft))["message"])

	def test_without_the_setting_a_clerk_discounts_as_before(self):
		set_setting(self, "restrict_price_changes", 0)
		order = make_order(make_customer(), [{"item_code": self.item, "qty": 1, "discount_percentage": 5}])
		self.assertEqual(order.items[0].rate, 95)


class TestInstallAndUninstall(FrappeTestCase):
	def tearDown(self):
		frappe.clear_cache()

	def test_role_permissions_are_removed_on_uninstall_and_given_once(self):
		self.assertTrue(
			frappe.db.exists("Custom DocPerm", {"parent": "Sales Invoice", "role": "Order Manager"})
		)
		role_permissions.remove_role_permissions()
		self.assertFalse(frappe.db.exists("Custom DocPerm", {"role": ("in", list(READS))}))
		for doctype in DOCTYPES:  # nothing else changed: back to ERPNext's standard permissions
			self.assertFalse(frappe.db.exists("Custom DocPerm", {"parent": doctype}), doctype)
		role_permissions.apply_role_permissions()
		self.assertTrue(frappe.has_permission("Sales Invoice", "read", user=only("Order Manager")))
		# An admin's removal stands on the next migrate.
		frappe.db.delete("Custom DocPerm", {"parent": "Payment Entry", "role": "Order Clerk"})
		role_permissions.apply_role_permissions()
		self.assertFalse(
			frappe.db.exists("Custom DocPerm", {"parent": "Payment Entry", "role": "Order Clerk"})
		)
		# As installed again (the class's rollback restores the rows, not the cached permissions).
		role_permissions.remove_role_permissions()
		role_permissions.apply_role_permissions()

	def test_order_pick_list_is_the_pick_list_default_unless_the_admin_chose_one(self):
		self.assertEqual(frappe.get_meta("Pick List").default_print_format, "Order Pick List")
		print_formats.remove_default_print_formats()
		self.assertIsNone(print_formats.current_default("Pick List"))
		print_formats.set_default("Pick List", "Pick List Admin Format")
		print_formats.apply_default_print_formats()
		self.assertEqual(print_formats.current_default("Pick List"), "Pick List Admin Format")
		print_formats.remove_default_print_formats()  # not the app's: stays
		self.assertEqual(print_formats.current_default("Pick List"), "Pick List Admin Format")
		frappe.db.delete("Property Setter", {"doc_type": "Pick List", "property": "default_print_format"})
		print_formats.apply_default_print_formats()
		self.assertEqual(print_formats.current_default("Pick List"), "Order Pick List")

	def test_order_invoice_is_the_sales_invoice_default_while_the_setting_is_on(self):
		settings = frappe.get_single("Order Management Settings")
		settings.use_order_invoice_print_format = 1
		settings.save()
		self.assertEqual(frappe.get_meta("Sales Invoice").default_print_format, "Order Invoice")
		settings.use_order_invoice_print_format = 0
		settings.save()
		self.assertFalse(frappe.get_meta("Sales Invoice").default_print_format)
		print_formats.set_default("Sales Invoice", "Admin Invoice")  # an admin's choice, put back when off
		settings.use_order_invoice_print_format = 1
		settings.save()
		self.assertEqual(print_formats.current_default("Sales Invoice"), "Order Invoice")
		settings.use_order_invoice_print_format = 0
		settings.save()
		self.assertEqual(print_formats.current_default("Sales Invoice"), "Admin Invoice")
		frappe.db.delete("Property Setter", {"doc_type": "Sales Invoice", "property": "default_print_format"})
