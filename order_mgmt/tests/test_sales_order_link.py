"""Which Customer Order a Sales Order belongs to is the app's hand-off to say, not the Sales Order's
author; and a cancelled order's pending review is closed as Cancelled."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.accounting.payments import order_of_sales_order
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.portal import ordering
from order_mgmt.tests.test_portal import make_portal_user
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	reviewer,
	warehouse,
)


def own_sales_order(customer: str, item_code: str, **fields):
	"""A Sales Order a Sales User writes themselves, in the desk."""
	with acting_as(clerk()):
		so = frappe.get_doc(
			{
				"doctype": "Sales Order",
				"customer": customer,
				"company": company(),
				"transaction_date": nowdate(),
				"delivery_date": add_days(nowdate(), 5),
				"items": [{"item_code": item_code, "qty": 1, "rate": 50, "warehouse": warehouse()}],
				**fields,
			}
		)
		so.insert()
	return so


class TestSalesOrderLink(FrappeTestCase):
	def setUp(self):
		self.customer = make_customer()
		self.item = make_item(rate=50)
		self.order = make_order(self.customer, [{"item_code": self.item, "qty": 1}], submit=True)

	def test_the_hand_off_links_both_ways(self):
		self.assertTrue(self.order.sales_order)
		self.assertEqual(
			frappe.db.get_value("Sales Order", self.order.sales_order, "customer_order"), self.order.name
		)
		self.assertEqual(order_of_sales_order(self.order.sales_order), self.order.name)

	def test_a_sales_users_own_sales_order_cannot_name_another_order(self):
		so = own_sales_order(self.customer, self.item, customer_order=self.order.name)
		self.assertFalse(frappe.db.get_value("Sales Order", so.name, "customer_order"))
		with acting_as(clerk()):
			so.reload()
			so.customer_order = self.order.name  # set on a later save
			so.save()
			so.submit()
		self.assertFalse(frappe.db.get_value("Sales Order", so.name, "customer_order"))
		self.assertIsNone(order_of_sales_order(so.name))  # its payments do not count toward the order
		self.assertEqual(order_of_sales_order(self.order.sales_order), self.order.name)

	def test_a_forged_link_already_stored_is_not_trusted(self):
		so = own_sales_order(self.customer, self.item)
		frappe.db.set_value("Sales Order", so.name, "customer_order", self.order.name)  # older data
		self.assertIsNone(order_of_sales_order(so.name))


def order_pending_sales_review(customer: str):
	reviewer("Sales")  # a reviewer to assign
	return make_order(
		customer,
		[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 10}],
		submit=True,
	)


class TestCancelledReview(FrappeTestCase):
	def test_cancelled_by_the_customer_in_the_portal(self):
		customer = make_customer()
		order = order_pending_sales_review(customer)
		with acting_as(make_portal_user(customer, key="cancels")):
			ordering.cancel_order(order.name, "ordered twice")
		review = frappe.get_doc("Order Review", {"customer_order": order.name, "stage": "Sales"})
		self.assertEqual(review.decision, "Cancelled")
		self.assertTrue(review.decided_on)
		self.assertIn("the customer", review.comment)

	def test_cancelling_an_order_pending_review_closes_its_review_as_cancelled(self):
		order = order_pending_sales_review(make_customer())
		self.assertEqual(order.workflow_state, "Pending Sales Review")
		open_todos = {"reference_type": "Customer Order", "reference_name": order.name, "status": "Open"}
		self.assertTrue(frappe.db.exists("ToDo", open_todos))

		cancel_order(order.name, "the customer found it cheaper")

		review = frappe.get_doc("Order Review", {"customer_order": order.name, "stage": "Sales"})
		self.assertEqual(review.decision, "Cancelled")
		self.assertTrue(review.decided_on)
		self.assertIn("the customer found it cheaper", review.comment)
		self.assertFalse(frappe.db.exists("ToDo", open_todos))
		self.assertFalse(
			frappe.db.exists("Order Review", {"customer_order": order.name, "decision": "Pending"})
		)
