"""The app leaves ERPNext's own behaviour alone: no site-wide credit-limit bypass (a finance reviewer's
approval covers only that order's Sales Order), global settings applied on install only and put back
on uninstall where safe."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate

from order_mgmt.accounting.payments import register_payment
from order_mgmt.fulfilment.shortage import decide_shortage
from order_mgmt.patches.v0_3 import clear_credit_controller
from order_mgmt.review.workflow import take_action
from order_mgmt.setup.install import (
	PREVIOUS_SETTINGS_KEY,
	after_install,
	after_migrate,
	apply_global_settings,
	restore_global_settings,
)
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	reviewer,
	role_user,
	warehouse,
)

CREDIT_CROSSED = "Credit limit has been crossed"


def credit_controller() -> str | None:
	return frappe.db.get_single_value("Accounts Settings", "credit_controller") or None


def set_credit_controller(test, role: str | None) -> None:
	"""For the test's duration: what an admin chose (ERPNext's default is none)."""
	previous = credit_controller()
	frappe.db.set_single_value("Accounts Settings", "credit_controller", role)
	test.addCleanup(frappe.db.set_single_value, "Accounts Settings", "credit_controller", previous)


def plain_sales_order(customer: str, item: str, qty: float = 1):
	"""An ERPNext Sales Order made without this app (saved, not submitted)."""
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [{"item_code": item, "qty": qty, "warehouse": warehouse()}],
		}
	)
	so.flags.ignore_permissions = True
	so.insert()
	return so


class TestCreditAuthority(FrappeTestCase):
	def setUp(self):
		set_credit_controller(self, None)
		self.customer = make_customer(credit_limit=100)
		self.item = make_item(rate=500, stock_qty=10)

	def test_a_credit_hold_approved_by_finance_submits_its_own_sales_order(self):
		order = make_order(self.customer, [{"item_code": self.item, "qty": 1}], submit=True)
		self.assertEqual(order.workflow_state, "Pending Finance Review")
		approver = reviewer("Finance")
		with acting_as(approver):
			take_action(order.name, "Approve", "limit agreed", expected_state="Pending Finance Review")
		order.reload()
		self.assertEqual((order.workflow_state, order.status), ("Approved", "To Deliver"))
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Sales Order", "reference_name": order.sales_order},
			pluck="content",
		)
		self.assertTrue(
			any(CREDIT_CROSSED in c and approver in c and order.name in c for c in comments), comments
		)
		self.assertIsNone(credit_controller())

	def test_the_finance_approval_covers_resuming_the_apps_own_payment_hold(self):
		"""A deposit reversed and paid again: the app resumes the Sales Order it put on hold, although
		ERPNext re-checks credit on a resume and the customer is still over the limit."""
		order = make_order(
			self.customer,
			[{"item_code": self.item, "qty": 1}],
			payment_terms_template="Deposit 30%",
			submit=True,
		)
		with acting_as(reviewer("Finance")):
			take_action(order.name, "Approve", "limit agreed", expected_state="Pending Finance Review")
		order.reload()
		deposit = flt(order.grand_total * 0.3, 2)
		accountant = role_user("accountant", ["Accounts User", "Accounts Manager"])
		with acting_as(accountant):
			(entry,) = register_payment(order.name, deposit, "Cash", reference_no="DEPOSIT-1")
			frappe.get_doc("Payment Entry", entry).cancel()
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "On Hold")
		with acting_as(accountant):
			register_payment(order.name, deposit, "Cash", reference_no="DEPOSIT-2")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "To Deliver")
		self.assertNotEqual(frappe.db.get_value("Sales Order", order.sales_order, "status"), "On Hold")

	def test_the_finance_approval_covers_the_customers_shortage_decision_on_its_sales_order(self):
		"""Cancel Line changes the Sales Order through ERPNext's Update Items, which re-checks credit."""
		enabled = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(frappe.db.set_value, "Order Review Rule", "Stock shortage", "enabled", enabled)
		scarce = make_item(rate=100, stock_qty=1)
		order = make_order(self.customer, [{"item_code": scarce, "qty": 3}], submit=True)
		with acting_as(reviewer("Finance")):
			take_action(order.name, "Approve", "limit agreed", expected_state="Pending Finance Review")
		order.reload()
		self.assertEqual(order.items[0].shortage_qty, 2)
		with acting_as(clerk()):
			decide_shortage(order.name, order.items[0].name, "Cancel Line")
		self.assertEqual(frappe.db.get_value("Sales Order Item", {"parent": order.sales_order}, "qty"), 1)
		self.assertIsNone(credit_controller())
		so = plain_sales_order(self.customer, self.item)  # and nothing else got past ERPNext
		with acting_as("Administrator"), self.assertRaisesRegex(frappe.ValidationError, CREDIT_CROSSED):
			so.submit()
		frappe.clear_messages()

	def test_administrator_and_finance_reviewer_are_stopped_on_a_plain_sales_order(self):
		after_install()  # from ERPNext's default (no credit controller), as a site gets the app
		after_migrate()
		for user in ("Administrator", reviewer("Finance")):
			so = plain_sales_order(self.customer, self.item)
			frappe.db.savepoint("om_plain_so")
			with acting_as(user), self.assertRaisesRegex(frappe.ValidationError, CREDIT_CROSSED):
				so.submit()
			frappe.db.rollback(save_point="om_plain_so")
			frappe.clear_messages()
			self.assertEqual(frappe.db.get_value("Sales Order", so.name, "docstatus"), 0, user)

	def test_the_finance_approval_does_not_carry_over_to_other_sales_orders(self):
		order = make_order(self.customer, [{"item_code": self.item, "qty": 1}], submit=True)
		with acting_as(reviewer("Finance")):
			take_action(order.name, "Approve", "limit agreed", expected_state="Pending Finance Review")
		so = plain_sales_order(self.customer, self.item)
		with acting_as(reviewer("Finance")), self.assertRaisesRegex(frappe.ValidationError, CREDIT_CROSSED):
			so.submit()
		frappe.clear_messages()

	def test_the_admins_credit_controller_still_passes_plain_sales_orders(self):
		set_credit_controller(self, "Finance Reviewer")
		so = plain_sales_order(self.customer, self.item)
		with acting_as(reviewer("Finance")):
			so.submit()
		self.assertEqual(so.docstatus, 1)


class TestGlobalSettings(FrappeTestCase):
	def test_install_and_migrate_leave_the_credit_controller_as_the_admin_set_it(self):
		for role in (None, "Sales Manager"):
			set_credit_controller(self, role)
			after_install()
			after_migrate()
			self.assertEqual(credit_controller(), role)

	def test_the_patch_clears_only_the_value_earlier_versions_set(self):
		set_credit_controller(self, "Finance Reviewer")
		clear_credit_controller.execute()
		self.assertIsNone(credit_controller())
		set_credit_controller(self, "Accounts Manager")
		clear_credit_controller.execute()
		self.assertEqual(credit_controller(), "Accounts Manager")

	def test_migrate_does_not_reapply_stock_settings_over_the_admins_choice(self):
		self.addCleanup(frappe.db.set_single_value, "Stock Settings", "allow_partial_reservation", 1)
		frappe.db.set_single_value("Stock Settings", "allow_partial_reservation", 0)
		after_migrate()
		self.assertEqual(frappe.db.get_single_value("Stock Settings", "allow_partial_reservation"), 0)

	def test_uninstall_puts_back_what_install_changed_where_safe(self):
		stored = frappe.db.get_default(PREVIOUS_SETTINGS_KEY)
		self.addCleanup(self.restore_site, stored)
		frappe.defaults.clear_default(key=PREVIOUS_SETTINGS_KEY, parent="__default")
		frappe.db.set_single_value(
			"Stock Settings", {"enable_stock_reservation": 0, "allow_partial_reservation": 0}
		)
		apply_global_settings()
		self.assertEqual(frappe.db.get_single_value("Stock Settings", "enable_stock_reservation"), 1)
		self.assertEqual(frappe.db.get_single_value("Stock Settings", "allow_partial_reservation"), 1)
		self.assertTrue(frappe.db.get_default(PREVIOUS_SETTINGS_KEY))

		restore_global_settings()
		open_reservations = frappe.db.exists(
			"Stock Reservation Entry", {"docstatus": 1, "status": ("!=", "Delivered")}
		)
		# ERPNext refuses to disable reservation while stock is reserved: then it stays on.
		self.assertEqual(
			frappe.db.get_single_value("Stock Settings", "enable_stock_reservation"),
			1 if open_reservations else 0,
		)
		self.assertEqual(frappe.db.get_single_value("Stock Settings", "allow_partial_reservation"), 0)
		self.assertFalse(frappe.db.get_default(PREVIOUS_SETTINGS_KEY))

	@staticmethod
	def restore_site(stored: str | None) -> None:
		frappe.db.set_single_value(
			"Stock Settings", {"enable_stock_reservation": 1, "allow_partial_reservation": 1}
		)
		if stored:
			frappe.db.set_default(PREVIOUS_SETTINGS_KEY, stored)
		else:
			frappe.defaults.clear_default(key=PREVIOUS_SETTINGS_KEY, parent="__default")
