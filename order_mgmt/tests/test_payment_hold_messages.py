"""What warehouse staff and clerks are told when payment terms hold an order's goods: the hold's
reason rather than Frappe's permission error, the step the goods wait for, the terms by name."""

import frappe

from order_mgmt.accounting.gating import PaymentGateError
from order_mgmt.fulfilment.picking import create_pick_list, deliver_order, deliver_pick_list
from order_mgmt.tests.test_order_to_cash import OrderToCashTestCase, accountant, warehouse_user
from order_mgmt.tests.utils import acting_as


class TestPaymentHoldMessages(OrderToCashTestCase):
	def hold(self, order) -> str:
		"""Pay what is outstanding, then reverse that payment: the order goes on hold; its reason."""
		(entry,) = self.pay(order, frappe.db.get_value("Customer Order", order.name, "outstanding_amount"))
		with acting_as(accountant()):
			frappe.get_doc("Payment Entry", entry).cancel()
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "On Hold")
		(reason,) = frappe.get_all(
			"Customer Order Hold Reason", filters={"parent": order.name, "rule": "Payment"}, pluck="message"
		)
		return reason

	def test_picking_an_order_on_payment_hold_tells_the_warehouse_the_hold_not_a_permission_error(self):
		order = self.order("Prepaid")
		self.hold(order)
		with acting_as(warehouse_user()):
			with self.assertRaises(PaymentGateError) as refused:
				create_pick_list([order.name])
		message = str(refused.exception)
		self.assertNotIn("permission", message.lower())
		self.assertRegex(message, f"{order.name} is on hold for payment.*Prepaid.*before picking")
		with acting_as(warehouse_user()), self.assertRaisesRegex(PaymentGateError, "on hold for payment"):
			deliver_order(order.name)

	def test_someone_who_may_not_pick_still_gets_the_permission_error(self):
		order = self.order("Prepaid")
		self.hold(order)
		with acting_as(accountant()), self.assertRaises(frappe.PermissionError):
			create_pick_list([order.name])

	def test_the_hold_of_an_order_not_yet_picked_says_before_picking(self):
		order = self.order("Prepaid")
		reason = self.hold(order)
		self.assertIn("before picking", reason)
		self.assertNotIn("before shipment", reason)

	def test_the_hold_of_a_picked_order_says_before_shipment(self):
		order = self.order("Deposit 30%")
		self.pay(order, round(self.total * 0.3, 2))
		with acting_as(warehouse_user()):
			pick_list = create_pick_list([order.name])["pick_list"]
		reason = self.hold(order)  # the balance paid, then reversed
		self.assertIn("Deposit 30%", reason)
		self.assertIn("before shipment", reason)
		with acting_as(warehouse_user()), self.assertRaisesRegex(frappe.ValidationError, "On Hold"):
			deliver_pick_list(pick_list)

	def test_the_deposit_refusal_names_the_payment_terms_template(self):
		order = self.order("Deposit 30%")
		with acting_as(warehouse_user()), self.assertRaises(PaymentGateError) as refused:
			create_pick_list([order.name])
		self.assertIn("Deposit 30%", str(refused.exception))
		self.assertNotIn("its Deposit payment terms", str(refused.exception))
