"""Cancellation with its Sales Order, and the order's status following ERPNext's fulfilment."""

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note, make_sales_invoice
from frappe.tests.utils import FrappeTestCase

from order_mgmt.orders.cancellation import CancellationError, cancel_order
from order_mgmt.tests.utils import make_customer, make_item, make_order


def deliver(sales_order: str, qty: float | None = None):
	dn = make_delivery_note(sales_order)
	if qty is not None:
		dn.items[0].qty = qty
	dn.insert()
	dn.submit()
	return dn


class TestCancellation(FrappeTestCase):
	def setUp(self):
		self.order = make_order(make_customer(), [{"item_code": make_item(rate=50), "qty": 4}], submit=True)
		self.assertEqual(self.order.status, "To Deliver")

	def test_cancellation_needs_a_reason(self):
		with self.assertRaises(CancellationError):
			self.order.cancel()
		with self.assertRaises(CancellationError):
			cancel_order(self.order.name, " ")
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "docstatus"), 1)

	def test_cancelling_an_undelivered_order_cancels_its_sales_order(self):
		cancel_order(self.order.name, "customer changed their mind")
		self.order.reload()
		self.assertEqual((self.order.docstatus, self.order.status), (2, "Cancelled"))
		self.assertEqual(self.order.workflow_state, "Cancelled")  # not left at "Approved"
		self.assertEqual(self.order.cancellation_reason, "customer changed their mind")
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "docstatus"), 2)

	def test_cancelling_a_delivered_order_is_refused_and_changes_nothing(self):
		deliver(self.order.sales_order, qty=1)
		with self.assertRaises(CancellationError) as caught:
			cancel_order(self.order.name, "too late")
		self.assertIn(self.order.sales_order, str(caught.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "docstatus"), 1)
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "docstatus"), 1)

	def test_cancelling_a_billed_order_is_refused(self):
		invoice = make_sales_invoice(self.order.sales_order)
		invoice.insert()
		invoice.submit()
		with self.assertRaises(CancellationError):
			cancel_order(self.order.name, "too late")


class TestStatusFollowsSalesOrder(FrappeTestCase):
	def test_status_follows_partial_and_full_delivery_then_billing(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=50), "qty": 4}], submit=True)
		first = deliver(order.sales_order, qty=1)
		order.reload()
		self.assertEqual((order.status, order.per_delivered), ("Partly Delivered", 25))
		second = deliver(order.sales_order)
		order.reload()
		self.assertEqual((order.status, order.per_delivered), ("Delivered", 100))
		from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice as invoice_from_dn

		for dn in (first, second):
			invoice = invoice_from_dn(dn.name)
			invoice.insert()
			invoice.submit()
		order.reload()
		self.assertEqual((order.status, order.per_billed), ("Completed", 100))

	def test_cancelled_delivery_moves_the_status_back(self):
		order = make_order(make_customer(), [{"item_code": make_item(rate=50), "qty": 2}], submit=True)
		dn = deliver(order.sales_order)
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Delivered")
		dn.cancel()
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "To Deliver")

	def test_sales_order_cannot_be_cancelled_behind_its_orders_back(self):
		"""The order is the way to cancel: ERPNext's link check keeps its Sales Order in place."""
		order = make_order(make_customer(), [{"item_code": make_item(rate=50), "qty": 2}], submit=True)
		frappe.db.savepoint("direct_cancel")
		with self.assertRaises(frappe.LinkExistsError):
			frappe.get_doc("Sales Order", order.sales_order).cancel()
		frappe.db.rollback(save_point="direct_cancel")  # as the failed request would be
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "To Deliver")
