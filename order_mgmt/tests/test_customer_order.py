"""Intake: pricing and totals from ERPNext, validation, and the auto-approved hand-off to a Sales Order."""

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings
from frappe.utils import add_days, flt, nowdate

from order_mgmt.orders.intake import DuplicateOrderError, OrderValidationError
from order_mgmt.tests.utils import (
	count,
	make_customer,
	make_item,
	make_order,
	make_tax_template,
	order_doc,
	run_concurrently,
)


class TestCustomerOrderHandOff(FrappeTestCase):
	def test_clean_order_auto_approves_into_submitted_sales_order_with_identical_lines_and_totals(self):
		customer = make_customer()
		tea, mug = make_item(rate=88, valuation_rate=30), make_item(rate=45, valuation_rate=20)
		template = make_tax_template(13)
		order = make_order(
			customer,
			[{"item_code": tea, "qty": 3}, {"item_code": mug, "qty": 4, "discount_percentage": 5}],
			taxes_and_charges=template,
			customer_po="PO-HANDOFF",
			submit=True,
		)

		self.assertEqual(order.review_decision, "Auto-approved")
		self.assertEqual(order.status, "To Deliver")
		self.assertFalse(order.hold_reasons)
		so = frappe.get_doc("Sales Order", order.sales_order)
		self.assertEqual(so.docstatus, 1)
		self.assertEqual(so.customer_order, order.name)
		self.assertEqual(so.customer, order.customer)
		self.assertEqual(so.po_no, "PO-HANDOFF")
		self.assertEqual(so.taxes_and_charges, template)
		for field in ("net_total", "total_taxes_and_charges", "grand_total", "total_qty"):
			self.assertAlmostEqual(flt(so.get(field)), flt(order.get(field)), places=2, msg=field)
		self.assertEqual(len(so.items), len(order.items))
		for line, so_line in zip(order.items, so.items, strict=True):
			for field in (
				"item_code",
				"qty",
				"uom",
				"rate",
				"discount_percentage",
				"amount",
				"warehouse",
				"delivery_date",
			):
				self.assertEqual(str(so_line.get(field)), str(line.get(field)), field)
			self.assertEqual(line.sales_order_item, so_line.name)
		self.assertEqual([t.rate for t in so.taxes], [t.rate for t in order.taxes])
		# 13% VAT on 3*88 + 4*45*0.95
		self.assertAlmostEqual(order.grand_total, (264 + 171) * 1.13, places=2)

	def test_totals_sent_by_the_client_are_recomputed(self):
		customer, item = make_customer(), make_item(rate=100)
		order = order_doc(customer, [{"item_code": item, "qty": 2, "amount": 1}], grand_total=1, net_total=1)
		order.insert()
		self.assertEqual(order.items[0].amount, 200)
		self.assertEqual(order.net_total, 200)
		self.assertEqual(order.grand_total, 200 + order.total_taxes_and_charges)

	def test_rate_defaults_from_the_customers_price_list(self):
		price_list = frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": f"OMT Wholesale {frappe.generate_hash(length=5)}",
				"selling": 1,
				"currency": frappe.get_cached_value(
					"Company", frappe.defaults.get_global_default("company"), "default_currency"
				),
			}
		).insert()
		item = make_item(rate=100)
		frappe.get_doc(
			{"doctype": "Item Price", "item_code": item, "price_list": price_list.name, "price_list_rate": 80}
		).insert()
		customer = make_customer(default_price_list=price_list.name)
		order = make_order(customer, [{"item_code": item, "qty": 1}])
		self.assertEqual(order.price_list, price_list.name)
		self.assertEqual(order.items[0].price_list_rate, 80)
		self.assertEqual(order.items[0].rate, 80)

	def test_discount_sets_the_rate_and_a_lower_rate_sets_the_discount(self):
		customer, item = make_customer(), make_item(rate=200)
		order = make_order(
			customer,
			[
				{"item_code": item, "qty": 1, "discount_percentage": 10},
				{"item_code": item, "qty": 1, "rate": 150},
			],
		)
		self.assertEqual(order.items[0].rate, 180)
		self.assertEqual(order.items[1].discount_percentage, 25)

	def test_vip_customer_orders_default_to_high_priority(self):
		item = make_item()
		vip = make_order(make_customer(is_vip_customer=1), [{"item_code": item, "qty": 1}])
		normal = make_order(make_customer(), [{"item_code": item, "qty": 1}])
		chosen = make_order(
			make_customer(is_vip_customer=1), [{"item_code": item, "qty": 1}], priority="Urgent"
		)
		self.assertEqual((vip.priority, normal.priority, chosen.priority), ("High", "Normal", "Urgent"))

	def test_uom_conversion_comes_from_the_item(self):
		item = make_item(
			rate=10,
			stock_uom="Nos",
			uoms=[{"uom": "Nos", "conversion_factor": 1}, {"uom": "Box", "conversion_factor": 12}],
		)
		order = make_order(make_customer(), [{"item_code": item, "qty": 2, "uom": "Box"}])
		self.assertEqual(order.items[0].conversion_factor, 12)
		self.assertEqual(order.items[0].stock_qty, 24)
		self.assertEqual(order.items[0].rate, 120)


class TestCustomerOrderValidation(FrappeTestCase):
	"""Each failure names its row and field, and leaves nothing saved."""

	def setUp(self):
		self.customer = make_customer()
		self.item = make_item(rate=100)

	def assert_refused(self, order, *fragments, exc=OrderValidationError):
		before = count("Customer Order")
		with self.assertRaises(exc) as caught:
			order.insert()
		message = str(caught.exception)
		for fragment in fragments:
			self.assertIn(fragment, message)
		self.assertEqual(count("Customer Order"), before, "nothing may be saved")
		return message

	def test_missing_customer_is_refused(self):
		self.assert_refused(order_doc(None, [{"item_code": self.item, "qty": 1}]), "Customer")

	def test_missing_items_are_refused(self):
		self.assert_refused(order_doc(self.customer, []), "item")

	def test_unknown_item_is_refused_naming_the_row(self):
		self.assert_refused(
			order_doc(
				self.customer, [{"item_code": self.item, "qty": 1}, {"item_code": "NO-SUCH-ITEM", "qty": 1}]
			),
			"Row 2",
			"NO-SUCH-ITEM",
		)

	def test_disabled_item_is_refused(self):
		frappe.db.set_value("Item", self.item, "disabled", 1)
		self.assert_refused(
			order_doc(self.customer, [{"item_code": self.item, "qty": 1}]), "Row 1", "disabled"
		)

	def test_non_sales_item_is_refused(self):
		item = make_item(is_sales_item=0)
		self.assert_refused(
			order_doc(self.customer, [{"item_code": item, "qty": 1}]), "Row 1", "not a sales item"
		)

	def test_zero_and_negative_quantities_are_refused(self):
		for qty in (0, -2):
			self.assert_refused(
				order_doc(self.customer, [{"item_code": self.item, "qty": qty}]), "Row 1", "Quantity"
			)

	def test_fractional_quantity_of_a_whole_number_uom_is_refused(self):
		self.assert_refused(
			order_doc(self.customer, [{"item_code": self.item, "qty": 1.5}]),
			"Row 1",
			"whole number",
			"OM Box",
		)

	def test_rate_below_price_list_less_maximum_discount_is_refused(self):
		with change_settings("Order Management Settings", {"max_discount_percentage": 20}):
			self.assert_refused(
				order_doc(self.customer, [{"item_code": self.item, "qty": 1, "rate": 79}]), "Row 1", "below"
			)
			make_order(self.customer, [{"item_code": self.item, "qty": 1, "rate": 80}])

	def test_items_own_maximum_discount_takes_precedence(self):
		item = make_item(rate=100, max_discount=5)
		self.assert_refused(
			order_doc(self.customer, [{"item_code": item, "qty": 1, "discount_percentage": 6}]), "Row 1", "5"
		)

	def test_delivery_date_before_order_date_is_refused(self):
		self.assert_refused(
			order_doc(
				self.customer, [{"item_code": self.item, "qty": 1}], delivery_date=add_days(nowdate(), -1)
			),
			"Requested Delivery Date",
		)
		self.assert_refused(
			order_doc(
				self.customer, [{"item_code": self.item, "qty": 1, "delivery_date": add_days(nowdate(), -1)}]
			),
			"Row 1",
			"Delivery Date",
		)

	def test_disabled_customer_is_refused(self):
		frappe.db.set_value("Customer", self.customer, "disabled", 1)
		self.assert_refused(order_doc(self.customer, [{"item_code": self.item, "qty": 1}]), "disabled")

	def test_customer_on_hold_is_refused(self):
		frappe.db.set_value("Customer", self.customer, "is_frozen", 1)
		self.assert_refused(order_doc(self.customer, [{"item_code": self.item, "qty": 1}]), "on hold")

	def test_same_customer_lines_and_po_reference_cannot_be_submitted_twice(self):
		lines = [{"item_code": self.item, "qty": 2}]
		make_order(self.customer, lines, customer_po="PO-DUP", submit=True)
		second = make_order(self.customer, lines, customer_po="PO-DUP")
		with self.assertRaises(DuplicateOrderError):
			second.submit()
		self.assertEqual(frappe.db.get_value("Customer Order", second.name, "docstatus"), 0)
		self.assertEqual(count("Sales Order", customer=self.customer, docstatus=1), 1)
		# A different PO reference is a different order.
		make_order(self.customer, lines, customer_po="PO-DUP-2", submit=True)

	def test_two_identical_orders_submitted_at_once_pass_the_duplicate_guard_once(self):
		"""The guard reads under the customer lock with a locking read: a plain read would see the
		transaction's older snapshot and miss the order the other connection just committed."""
		customer, item = make_customer(), make_item(stock_qty=10)
		lines = [{"item_code": item, "qty": 1}]
		drafts = [make_order(customer, lines, customer_po="PO-DUP-RACE") for _ in range(2)]
		frappe.db.commit()  # the racing connections must see the drafts

		def submit(name):
			def call():
				frappe.db.get_value("Customer Order", name, "docstatus")  # the snapshot starts here
				frappe.get_doc("Customer Order", name).submit()
				return name

			return call

		results = run_concurrently([submit(draft.name) for draft in drafts])
		frappe.db.rollback()  # a fresh snapshot: see what the racing connections committed
		refused = [r for r in results if isinstance(r, DuplicateOrderError)]
		self.assertEqual(len(refused), 1, results)
		self.assertEqual(count("Customer Order", customer=customer, docstatus=1), 1)

	def test_messages_are_translated(self):
		frappe.local.lang = "zh"
		frappe.local.lang_full_dict = None
		frappe.local.jenv = None
		try:
			message = self.assert_refused(
				order_doc(self.customer, [{"item_code": "NO-SUCH-ITEM", "qty": 1}]), "NO-SUCH-ITEM"
			)
			self.assertIn("不存在", message)
			self.assertNotIn("does not exist", message)
		finally:
			frappe.local.lang = "en"
			frappe.local.lang_full_dict = None
