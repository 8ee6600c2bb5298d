"""ERPNext Pricing Rules price a Customer Order line exactly as they price ERPNext's own Sales Order
(erpnext_bridge/sales_order.py price_order): rate, discount, price-list rate and the rules applied,
on the draft and on the Sales Order the approved order becomes."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.orders.live_pricing import price_draft
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_live_pricing import make_price_list
from order_mgmt.tests.utils import (
	acting_as,
	company,
	make_customer,
	make_item,
	make_order,
	reviewer,
	unique,
	warehouse,
)

COMPARED_FIELDS = ("price_list_rate", "discount_percentage", "rate", "amount", "pricing_rules")


def make_discount_rule(item_code: str, min_qty: float = 0, **discount) -> str:
	"""An ERPNext selling Pricing Rule on the item: `discount_percentage=` or `discount_amount=`."""
	kind = "Discount Percentage" if "discount_percentage" in discount else "Discount Amount"
	return (
		frappe.get_doc(
			{
				"doctype": "Pricing Rule",
				"title": unique("OMT Discount Rule"),
				"apply_on": "Item Code",
				"items": [{"item_code": item_code}],
				"selling": 1,
				"company": company(),
				"min_qty": min_qty,
				"rate_or_discount": kind,
				**discount,
			}
		)
		.insert()
		.name
	)


def erpnext_priced_line(customer: str, item_code: str, qty: float):
	"""The line of a plain ERPNext Sales Order for the customer, item and qty (ERPNext's own pricing)."""
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [
				{
					"item_code": item_code,
					"qty": qty,
					"warehouse": warehouse(),
					"delivery_date": add_days(nowdate(), 5),
				}
			],
		}
	)
	so.insert()
	return so.items[0]


class TestPricingRules(FrappeTestCase):
	def setUp(self):
		self.item, self.other = make_item(rate=100), make_item(rate=100)
		self.customer = make_customer(default_price_list=make_price_list({self.item: 100, self.other: 100}))

	def assert_priced_as_erpnext(self, line, expected, **values):
		for field in COMPARED_FIELDS:
			self.assertEqual(str(line.get(field) or ""), str(expected.get(field) or ""), field)
		for field, value in values.items():
			self.assertEqual(line.get(field), value, field)

	def approve_into_sales_order(self, order):
		with acting_as(order.owner):
			order.submit()
		order.reload()
		if order.workflow_state != "Approved":
			with acting_as(reviewer("Sales")):
				take_action(order.name, "Approve", expected_state=order.workflow_state)
			order.reload()
		self.assertTrue(order.sales_order, order.workflow_state)
		return frappe.get_doc("Sales Order", order.sales_order)

	def test_discount_percentage_rule_prices_the_line_and_the_sales_order_as_erpnext_does(self):
		rule = make_discount_rule(self.item, discount_percentage=15)
		expected = erpnext_priced_line(self.customer, self.item, 2)
		self.assertEqual((expected.rate, expected.discount_percentage), (85, 15))  # ERPNext's own pricing

		order = make_order(self.customer, [{"item_code": self.item, "qty": 2}])
		self.assert_priced_as_erpnext(order.items[0], expected, rate=85, discount_percentage=15, amount=170)
		self.assertIn(rule, order.items[0].pricing_rules)
		self.assertEqual(order.net_total, 170)

		order.save()  # saved again, unchanged: the rule's price stays
		self.assert_priced_as_erpnext(order.items[0], expected, rate=85)

		so = self.approve_into_sales_order(order)
		self.assertEqual(so.docstatus, 1)
		self.assert_priced_as_erpnext(so.items[0], expected, rate=85, discount_percentage=15)
		self.assertEqual(so.net_total, order.net_total)
		self.assertEqual(so.grand_total, order.grand_total)

	def test_discount_amount_rule_prices_the_line_as_erpnext_does(self):
		make_discount_rule(self.item, discount_amount=12)
		expected = erpnext_priced_line(self.customer, self.item, 3)
		self.assertEqual(expected.rate, 88)

		order = make_order(self.customer, [{"item_code": self.item, "qty": 3}])
		self.assert_priced_as_erpnext(order.items[0], expected, rate=88, amount=264)

		so = self.approve_into_sales_order(order)
		self.assert_priced_as_erpnext(so.items[0], expected, rate=88)
		self.assertEqual(so.grand_total, order.grand_total)

	def test_a_rule_that_no_longer_applies_leaves_the_line_at_the_price_list_rate(self):
		make_discount_rule(self.item, min_qty=5, discount_percentage=15)
		order = make_order(self.customer, [{"item_code": self.item, "qty": 6}])
		self.assert_priced_as_erpnext(
			order.items[0], erpnext_priced_line(self.customer, self.item, 6), rate=85
		)

		order.items[0].qty = 2  # below the rule's minimum: ERPNext drops the rule's discount
		order.save()
		self.assert_priced_as_erpnext(
			order.items[0],
			erpnext_priced_line(self.customer, self.item, 2),
			rate=100,
			discount_percentage=0,
		)

	def test_live_pricing_drops_the_rules_discount_as_the_save_does(self):
		make_discount_rule(self.item, min_qty=5, discount_percentage=15)
		order = make_order(self.customer, [{"item_code": self.item, "qty": 6}])
		line = order.items[0]
		# The form after the clerk lowered the qty of the loaded line: it sends the line's discount as
		# the clerk's (a discount read from the database) and the rules the line was priced with.
		form = {
			"name": order.name,
			**{f: order.get(f) for f in ("customer", "company", "order_date", "delivery_date", "price_list")},
			"items": [
				{
					"name": line.name,
					"item_code": self.item,
					"qty": 2,
					"warehouse": line.warehouse,
					"discount_percentage": line.discount_percentage,
					"rate": 0,
					"pricing_rules": line.pricing_rules,
				}
			],
		}
		with acting_as(order.owner):
			priced = price_draft(form)["items"][0]
		self.assertEqual(
			(priced["rate"], priced["discount_percentage"], priced["pricing_rules"]), (100, 0, "")
		)
		line.qty = 2
		order.save()
		self.assertEqual((order.items[0].rate, order.items[0].discount_percentage), (100, 0))

	def test_a_clerks_discount_on_a_line_without_a_rule_is_kept(self):
		make_discount_rule(self.item, discount_percentage=15)
		order = make_order(
			self.customer,
			[
				{"item_code": self.item, "qty": 1},
				{"item_code": self.other, "qty": 1, "discount_percentage": 5},
			],
		)
		self.assertEqual((order.items[0].rate, order.items[0].discount_percentage), (85, 15))
		self.assertEqual((order.items[1].rate, order.items[1].discount_percentage), (95, 5))
		self.assertFalse(order.items[1].pricing_rules)
