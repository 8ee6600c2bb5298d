"""Pricing once on the way to the Sales Order (issue 17): a draft submitted as saved keeps the prices
its save computed, anything that could change them prices it again, and the hand-off leaves the order
object as the database has it (erpnext_bridge.sales_order.priced_as_saved, record_hand_off)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt

from order_mgmt.erpnext_bridge.sales_order import priced_as_saved
from order_mgmt.review.workflow import RouteChangedError
from order_mgmt.tests.utils import PRICE_LIST, acting_as, clerk, make_customer, make_item, make_order


def as_submitted(name: str):
	"""The saved draft as Frappe's submit sees it: the document, its stored copy, the submit action."""
	order = frappe.get_doc("Customer Order", name)
	order.docstatus = 1
	order._action = "submit"
	order._doc_before_save = frappe.get_doc("Customer Order", name)
	return order


class TestPricedOnce(FrappeTestCase):
	def test_a_draft_submitted_as_saved_is_not_priced_again(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 2}])
		self.assertTrue(priced_as_saved(as_submitted(order.name)))

	def test_changed_lines_or_header_are_priced_again(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 2}])
		changed_qty = as_submitted(order.name)
		changed_qty.items[0].qty = 3
		self.assertFalse(priced_as_saved(changed_qty))
		changed_rate = as_submitted(order.name)
		changed_rate.items[0].rate = 90
		self.assertFalse(priced_as_saved(changed_rate))
		changed_customer = as_submitted(order.name)
		changed_customer.customer = make_customer()
		self.assertFalse(priced_as_saved(changed_customer))
		added_line = as_submitted(order.name)
		added_line.append("items", {"item_code": make_item(rate=5), "qty": 1})
		self.assertFalse(priced_as_saved(added_line))

	def test_a_draft_saved_on_an_earlier_day_is_priced_again(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 2}])
		submitted = as_submitted(order.name)
		submitted._doc_before_save.modified = frappe.utils.add_days(submitted._doc_before_save.modified, -1)
		self.assertFalse(priced_as_saved(submitted))

	def test_a_price_changed_after_the_save_is_seen_on_submit(self):
		item = make_item(rate=100)
		order = make_order(make_customer(), [{"item_code": item, "qty": 2}])
		price = frappe.db.get_value("Item Price", {"item_code": item, "price_list": PRICE_LIST})
		frappe.db.set_value("Item Price", price, "price_list_rate", 120)  # also moves its modified on
		self.assertFalse(priced_as_saved(as_submitted(order.name)))
		# Priced again on submit: the saved rate 100 is now a discount off the list's 120, which needs
		# the Sales stage the draft was not saved with (kept as it was, it would pass unreviewed).
		with acting_as(clerk()), self.assertRaises(RouteChangedError):
			order.submit()

	def test_the_handed_off_order_object_matches_the_database(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 2}])
		with acting_as(clerk()):
			order.submit()
		stored = frappe.get_doc("Customer Order", order.name)
		for fieldname in (
			"sales_order",
			"status",
			"payment_status",
			"paid_amount",
			"outstanding_amount",
			"per_delivered",
			"per_billed",
			"has_shortage",
		):
			self.assertEqual(order.get(fieldname), stored.get(fieldname), fieldname)
		self.assertEqual(
			[line.sales_order_item for line in order.items], [line.sales_order_item for line in stored.items]
		)
		self.assertEqual(stored.payment_status, "Unpaid")
		self.assertEqual(flt(stored.outstanding_amount), flt(stored.grand_total))
		so = frappe.db.get_value(
			"Sales Order", stored.sales_order, ["docstatus", "customer_order"], as_dict=True
		)
		self.assertEqual((so.docstatus, so.customer_order), (1, order.name))

	def test_acting_as_keeps_the_previous_users_templates(self):
		frappe.new_doc("Sales Order")
		templates = frappe.local.new_doc_templates
		self.assertIn("Sales Order", templates)
		with acting_as(clerk()):
			self.assertEqual(frappe.session.user, clerk())
		self.assertIs(frappe.local.new_doc_templates, templates)
		user = frappe.session.user
		with acting_as(user):  # already that user: nothing switched, nothing emptied
			self.assertIs(frappe.local.new_doc_templates, templates)
