"""Orders at risk on a real site: graded before the promise passes, assigned to who can act,
resolved when the work is done; Order Risk records are the app's to write."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.fulfilment.picking import create_pick_list, deliver_order
from order_mgmt.fulfilment.risk_sweep import sweep
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	reviewer,
	role_user,
)


def picker() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


def todos(order: str) -> list:
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Customer Order", "reference_name": order, "status": "Open"},
		fields=["allocated_to", "description", "priority"],
	)


def due_order(days: int, customer: str | None = None, **fields):
	"""An approved order of 2 in-stock units, requested `days` from today."""
	return make_order(
		customer or make_customer(),
		[{"item_code": make_item(stock_qty=10), "qty": 2}],
		submit=True,
		delivery_date=add_days(nowdate(), days),
		**fields,
	)


class TestOrderRiskSweep(FrappeTestCase):
	def setUp(self):
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(lambda: frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule))
		self.warehouse_reviewer = reviewer("Warehouse")

	def test_an_unpicked_order_due_tomorrow_is_at_high_risk_and_warehouse_is_assigned(self):
		order = due_order(1)
		[risk] = sweep([order.name])
		self.assertEqual((risk.grade, [r.code for r in risk.reasons]), ("High", ["not_picked"]))
		stored = frappe.get_doc("Order Risk", order.name)
		self.assertEqual((stored.status, stored.grade), ("Open", "High"))
		self.assertIn("Row 1", stored.reasons)
		assigned = {t.allocated_to for t in todos(order.name)}
		self.assertIn(self.warehouse_reviewer, assigned)

	def test_sweeping_again_does_not_assign_the_same_reason_twice(self):
		order = due_order(1)
		sweep([order.name])
		before = len(todos(order.name))
		sweep([order.name])
		self.assertEqual(len(todos(order.name)), before)

	def test_an_order_far_from_its_promise_is_not_at_risk(self):
		order = due_order(30)
		self.assertEqual(sweep([order.name]), [])
		self.assertFalse(frappe.db.exists("Order Risk", order.name))

	def test_an_undecided_shortage_goes_to_the_orders_owner(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(stock_qty=1), "qty": 3}],
			submit=True,
			delivery_date=add_days(nowdate(), 30),
		)
		[risk] = sweep([order.name])
		self.assertIn("shortage_undecided", [r.code for r in risk.reasons])
		self.assertIn(clerk(), {t.allocated_to for t in todos(order.name)})

	def test_picking_then_delivering_resolves_the_risk(self):
		order = due_order(1)
		sweep([order.name])
		with acting_as(picker()):
			create_pick_list([order.name])
		self.assertEqual(sweep([order.name]), [])
		self.assertEqual(frappe.db.get_value("Order Risk", order.name, "status"), "Resolved")

	def test_a_delivered_order_leaves_the_worklist(self):
		order = due_order(1)
		sweep([order.name])
		with acting_as(picker()):
			deliver_order(order.name)
		sweep([order.name])
		self.assertEqual(frappe.db.get_value("Order Risk", order.name, "status"), "Resolved")

	def test_order_risk_refuses_writes_from_outside_the_app(self):
		order = due_order(1)
		sweep([order.name])
		doc = frappe.get_doc("Order Risk", order.name)
		doc.status = "Resolved"
		with self.assertRaises(frappe.ValidationError):
			doc.save()

	def test_an_unpaid_prepaid_order_near_its_promise_goes_to_finance(self):
		finance = reviewer("Finance")
		order = due_order(1, payment_terms_template="Prepaid")
		[risk] = sweep([order.name])
		self.assertIn("payment_due", [r.code for r in risk.reasons])
		self.assertIn(finance, {t.allocated_to for t in todos(order.name)})

	def test_a_shortage_promised_after_the_requested_date_is_flagged_for_sales(self):
		from order_mgmt.tests.utils import make_purchase_order

		item = make_item(stock_qty=0)
		make_purchase_order(item, 10, add_days(nowdate(), 20))
		order = make_order(make_customer(), [{"item_code": item, "qty": 3}], submit=True)
		[risk] = sweep([order.name])
		self.assertIn("supply_slipped", [r.code for r in risk.reasons])
		self.assertEqual(risk.grade, "High")
		self.assertIn("promised after the requested date", frappe.get_doc("Order Risk", order.name).reasons)

	def test_the_form_shows_the_risk_and_a_user_who_may_edit_rechecks_it(self):
		from order_mgmt.fulfilment.risk_sweep import recheck_order

		order = due_order(1)
		sweep([order.name])
		doc = frappe.get_doc("Customer Order", order.name)
		doc.run_method("onload")
		self.assertEqual(doc.get_onload().order_risk["grade"], "High")
		with acting_as(role_user("no-orders", ["Purchase User"])), self.assertRaises(frappe.PermissionError):
			recheck_order(order.name)
		with acting_as("Administrator"):
			self.assertEqual(recheck_order(order.name)["grade"], "High")

	def test_a_customer_now_over_credit_limit_puts_the_order_on_credit_hold(self):
		finance = reviewer("Finance")
		customer = make_customer(credit_limit=5000)
		order = due_order(30, customer)
		self.assertEqual(sweep([order.name]), [])
		# Finance cuts the limit below what the customer owes, the approved order included.
		frappe.db.set_value("Customer Credit Limit", {"parent": customer}, "credit_limit", 100)
		[risk] = sweep([order.name])
		self.assertEqual([r.code for r in risk.reasons], ["credit_hold"])
		self.assertIn(finance, {t.allocated_to for t in todos(order.name)})

	def test_finance_sends_a_payment_reminder_a_clerk_may_not(self):
		from order_mgmt.fulfilment.risk_sweep import send_payment_reminder

		for account in frappe.get_all("Email Account", pluck="name"):
			frappe.db.set_value("Email Account", account, {"default_outgoing": 0, "enable_outgoing": 0})
		frappe.local.outgoing_email_account = {}
		self.addCleanup(setattr, frappe.local, "outgoing_email_account", {})
		customer = make_customer(email_id="prepay@example.com")
		order = due_order(1, customer, payment_terms_template="Prepaid")
		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			send_payment_reminder(order.name)
		finance = role_user("finance-payments", ["Finance Reviewer", "Accounts User"])
		with acting_as(finance):
			self.assertFalse(send_payment_reminder(order.name))  # no outgoing account on a test site
		comments = frappe.get_all(
			"Comment", filters={"reference_name": order.name, "comment_type": "Comment"}, pluck="content"
		)
		self.assertTrue(any("prepay@example.com" in c and "not sent" in c for c in comments), comments)


class TestRiskAndPromiseAccess(FrappeTestCase):
	"""Who reads Order Risk and Delivery Promise records, and who may re-check an order: every desk role
	that handles orders reads them; a buyer and a portal customer do not; re-checking needs write access
	to the order."""

	READERS = (
		"Order Clerk",
		"Sales Reviewer",
		"Finance Reviewer",
		"Warehouse Reviewer",
		"Order Manager",
		"Customer Service",
	)

	def test_each_role_reads_or_is_refused(self):
		from order_mgmt.tests.test_portal import make_portal_user

		for role in self.READERS:
			user = role_user(f"reader-{role.lower().replace(' ', '-')}", [role])
			for doctype in ("Order Risk", "Delivery Promise"):
				self.assertTrue(frappe.has_permission(doctype, "read", user=user), (role, doctype))
				self.assertFalse(frappe.has_permission(doctype, "write", user=user), (role, doctype))
		outsiders = [
			role_user("no-orders", ["Purchase User"]),
			make_portal_user(make_customer(), key="risk-reader"),
		]
		for user in outsiders:
			for doctype in ("Order Risk", "Delivery Promise"):
				self.assertFalse(frappe.has_permission(doctype, "read", user=user), (user, doctype))

	def test_recheck_needs_write_access_to_the_order(self):
		from order_mgmt.fulfilment.risk_sweep import recheck_order

		order = due_order(1)
		sweep([order.name])
		with acting_as(role_user("reader-customer-service", ["Customer Service"])):
			with self.assertRaises(frappe.PermissionError):
				recheck_order(order.name)  # reads orders, does not edit them
		with acting_as(clerk()):
			self.assertEqual(recheck_order(order.name)["grade"], "High")
