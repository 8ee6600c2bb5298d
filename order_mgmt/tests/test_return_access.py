"""Filing a Return Request needs read access to its Customer Order (desk), or being the order's
customer (portal, order_mgmt.portal.returns, which checks the customer itself)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.tests.test_return_request import delivered_order, make_request, request_doc
from order_mgmt.tests.utils import acting_as, count, role_user


class TestReturnRequestNeedsTheOrder(FrappeTestCase):
	def test_a_clerk_who_cannot_read_the_order_cannot_file_a_return_for_it(self):
		delivery = delivered_order(qty=2)
		outsider = role_user("rr-outsider-clerk", ["Order Clerk"])
		with acting_as(outsider):
			self.assertFalse(frappe.has_permission("Customer Order", "read", doc=delivery.order.name))
			with self.assertRaises(frappe.PermissionError) as caught:
				request_doc(delivery, [{"qty": 1}]).insert()
		frappe.clear_last_message()
		self.assertIn(delivery.order.name, str(caught.exception))
		self.assertIn("Customer Order", str(caught.exception))
		self.assertEqual(count("Return Request", customer_order=delivery.order.name), 0)
		# The order's clerk still can.
		request = make_request(delivery, [{"qty": 1}])
		self.assertEqual(request.customer_order, delivery.order.name)

	def test_a_request_cannot_be_moved_to_an_order_the_user_cannot_read(self):
		mine = delivered_order(qty=2)
		theirs = delivered_order(qty=2)
		outsider = role_user("rr-mover-clerk", ["Order Clerk"])
		frappe.db.set_value("Customer", mine.customer, "account_manager", outsider)
		request = make_request(mine, [{"qty": 1}], as_user=outsider)
		with acting_as(outsider):
			self.assertFalse(frappe.has_permission("Customer Order", "read", doc=theirs.order.name))
			request.reload()
			request.customer = theirs.customer
			request.customer_order = theirs.order.name
			request.delivery_note = None
			request.set("items", [])
			request.append(
				"items",
				{"item_code": theirs.item, "reason": "No Longer Needed", "condition": "Unopened", "qty": 1},
			)
			with self.assertRaises(frappe.PermissionError):
				request.save()
		frappe.clear_last_message()
		self.assertEqual(
			frappe.db.get_value("Return Request", request.name, "customer_order"), mine.order.name
		)
