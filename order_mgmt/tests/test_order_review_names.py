"""Order Reviews are named after their order and stage (CO-2026-00010-SALES-1) and show the reviewer's
full name."""

import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.order_mgmt.doctype.order_review.order_review import review_name
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.utils import acting_as, make_customer, make_item, make_order, reviewer


class TestOrderReviewNames(FrappeTestCase):
	def test_a_review_is_named_after_its_order_and_stage_and_shows_the_reviewer(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		self.assertEqual(order.workflow_state, "Pending Sales Review")
		(name,) = frappe.get_all("Order Review", filters={"customer_order": order.name}, pluck="name")
		self.assertEqual(name, f"{order.name}-SALES-1")
		sales = reviewer("Sales")
		with acting_as(sales):
			take_action(order.name, "Approve", expected_state="Pending Sales Review")
		review = frappe.get_doc("Order Review", name)
		self.assertEqual(review.decision, "Approved")
		self.assertEqual(review.reviewer_name, frappe.utils.get_fullname(sales))
		# The next review of that order and stage (e.g. after a hold) takes the next number.
		self.assertEqual(review_name(order.name, "Sales"), f"{order.name}-SALES-2")
		self.assertEqual(review_name(order.name, "Finance"), f"{order.name}-FINANCE-1")
