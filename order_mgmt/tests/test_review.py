"""Automatic review: every hold reason, manual approval/rejection, and concurrent decisions."""

import frappe
from erpnext.selling.doctype.customer.customer import get_customer_outstanding
from frappe.tests.utils import FrappeTestCase, change_settings

from order_mgmt.review.actions import AlreadyDecidedError, approve_order, reject_order
from order_mgmt.tests.utils import company as order_company
from order_mgmt.tests.utils import count, make_customer, make_item, make_order, make_user, run_concurrently


class TestHoldReasons(FrappeTestCase):
	def assert_held_for(self, order, rule):
		self.assertEqual(order.status, "Pending Review")
		self.assertEqual(order.review_decision, "Held for Review")
		self.assertFalse(order.sales_order)
		self.assertEqual(count("Sales Order", customer_order=order.name), 0)
		reasons = [r for r in order.hold_reasons if r.rule == rule]
		self.assertTrue(reasons, f"expected a {rule} hold, got {[r.rule for r in order.hold_reasons]}")
		return reasons[0]

	def test_order_over_credit_limit_is_held_with_exposure_and_limit(self):
		customer = make_customer(credit_limit=1000)  # its first invoice leaves 1 outstanding
		item = make_item(rate=600)
		outstanding = get_customer_outstanding(customer, order_company())
		order = make_order(customer, [{"item_code": item, "qty": 2}], submit=True)
		reason = self.assert_held_for(order, "Credit Limit")
		self.assertGreater(order.base_grand_total, 1000)
		self.assertAlmostEqual(float(reason.measured_value), outstanding + order.base_grand_total, places=2)
		self.assertEqual(float(reason.threshold), 1000.0)

	def test_open_orders_count_towards_credit_exposure(self):
		customer = make_customer(credit_limit=1000)
		item = make_item(rate=100, stock_qty=0)  # short of stock, so the first order stays open
		first = make_order(customer, [{"item_code": item, "qty": 6}], submit=True)
		self.assertEqual(first.status, "Pending Review")
		second = make_order(customer, [{"item_code": make_item(rate=100), "qty": 4}], submit=True)
		reason = self.assert_held_for(second, "Credit Limit")
		outstanding = get_customer_outstanding(customer, order_company())
		expected = outstanding + first.base_grand_total + second.base_grand_total
		self.assertLess(outstanding + second.base_grand_total, 1000, "held only because of the open order")
		self.assertAlmostEqual(float(reason.measured_value), expected, places=2)

	def test_line_short_of_projected_stock_is_held_naming_the_row(self):
		plenty, scarce = make_item(stock_qty=50), make_item(stock_qty=3)
		order = make_order(
			make_customer(), [{"item_code": plenty, "qty": 1}, {"item_code": scarce, "qty": 4}], submit=True
		)
		reason = self.assert_held_for(order, "Stock Shortage")
		self.assertEqual(reason.line, 2)
		self.assertEqual(float(reason.measured_value), 3)
		self.assertEqual(order.items[1].projected_qty, 3)

	def test_discount_beyond_review_threshold_is_held(self):
		item = make_item(rate=100, valuation_rate=10)
		with change_settings("Order Management Settings", {"max_discount_without_review": 10}):
			order = make_order(
				make_customer(), [{"item_code": item, "qty": 1, "discount_percentage": 15}], submit=True
			)
		reason = self.assert_held_for(order, "Discount")
		self.assertEqual(float(reason.measured_value), 15)

	def test_rate_below_valuation_is_held(self):
		item = make_item(rate=100, valuation_rate=95)
		with change_settings("Order Management Settings", {"max_discount_without_review": 0}):
			order = make_order(
				make_customer(), [{"item_code": item, "qty": 1, "discount_percentage": 8}], submit=True
			)
		reason = self.assert_held_for(order, "Below Cost")
		self.assertEqual(float(reason.threshold), 95)

	def test_order_above_value_threshold_is_held(self):
		with change_settings("Order Management Settings", {"max_order_value_without_review": 500}):
			order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 6}], submit=True)
		self.assert_held_for(order, "Order Value")

	def test_new_customer_is_held(self):
		order = make_order(make_customer(known=False), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assert_held_for(order, "New Customer")

	def test_customer_flagged_for_review_is_held(self):
		order = make_order(
			make_customer(requires_order_review=1), [{"item_code": make_item(), "qty": 1}], submit=True
		)
		self.assert_held_for(order, "Flagged Customer")

	def test_auto_approval_turned_off_holds_clean_orders(self):
		with change_settings("Order Management Settings", {"auto_approve": 0}):
			order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assert_held_for(order, "Manual Review")

	def test_sales_order_refused_by_erpnext_leaves_the_order_held_with_its_reason(self):
		customer = make_customer(credit_limit=100)
		with change_settings("Order Management Settings", {"check_credit_limit": 0}):
			order = make_order(customer, [{"item_code": make_item(rate=500), "qty": 1}], submit=True)
		reason = self.assert_held_for(order, "Sales Order")
		self.assertIn("Credit limit", reason.message)


class TestManualDecision(FrappeTestCase):
	def held_order(self, **customer_fields):
		return make_order(
			make_customer(requires_order_review=1, **customer_fields),
			[{"item_code": make_item(rate=120), "qty": 2}],
			submit=True,
		)

	def test_order_manager_approval_creates_the_sales_order(self):
		order = self.held_order()
		manager = make_user(["Order Manager", "Sales User"])
		frappe.set_user(manager)
		try:
			result = approve_order(order.name, "checked with the customer")
		finally:
			frappe.set_user("Administrator")
		order.reload()
		self.assertEqual(order.status, "To Deliver")
		self.assertEqual(order.review_decision, "Approved")
		self.assertEqual(order.reviewed_by, manager)
		self.assertEqual(order.review_comment, "checked with the customer")
		self.assertEqual(result["sales_order"], order.sales_order)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)

	def test_user_without_order_manager_role_cannot_approve(self):
		order = self.held_order()
		frappe.set_user(make_user(["Sales User"]))
		try:
			with self.assertRaises(frappe.PermissionError):
				approve_order(order.name)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Pending Review")

	def test_rejection_needs_a_reason_and_is_final(self):
		order = self.held_order()
		with self.assertRaises(frappe.ValidationError):
			reject_order(order.name, "  ")
		reject_order(order.name, "customer withdrew")
		order.reload()
		self.assertEqual(
			(order.status, order.review_decision, order.review_comment),
			("Rejected", "Rejected", "customer withdrew"),
		)
		with self.assertRaises(AlreadyDecidedError):
			approve_order(order.name)
		self.assertEqual(count("Sales Order", customer_order=order.name), 0)

	def test_approval_refused_by_erpnext_changes_nothing(self):
		"""ERPNext's own credit check refuses the Sales Order: the approval is rolled back whole."""
		order = make_order(
			make_customer(credit_limit=100), [{"item_code": make_item(rate=500), "qty": 1}], submit=True
		)
		self.assertEqual(order.status, "Pending Review")
		manager = make_user(["Order Manager", "Sales User"])
		frappe.set_user(manager)
		try:
			with self.assertRaises(frappe.ValidationError):
				approve_order(order.name)
		finally:
			frappe.set_user("Administrator")
		order.reload()
		self.assertEqual(
			(order.status, order.review_decision, order.reviewed_by),
			("Pending Review", "Held for Review", None),
		)
		self.assertEqual(count("Sales Order", customer_order=order.name), 0)

	def test_two_concurrent_approvals_create_exactly_one_sales_order(self):
		order = self.held_order()
		frappe.db.commit()  # the other connections must see the order
		results = run_concurrently([lambda: approve_order(order.name), lambda: approve_order(order.name)])
		successes = [r for r in results if isinstance(r, dict)]
		refusals = [r for r in results if isinstance(r, AlreadyDecidedError)]
		self.assertEqual(len(successes), 1, results)
		self.assertEqual(len(refusals), 1, results)
		self.assertEqual(count("Sales Order", customer_order=order.name, docstatus=1), 1)
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, "sales_order"), successes[0]["sales_order"]
		)
