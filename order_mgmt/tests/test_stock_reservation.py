"""Approved orders reserve stock through ERPNext's Stock Reservation Entry, never more than there is."""

import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.erpnext_bridge.stock_reservation import reserved_qty_by_line
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.tests.utils import acting_as, clerk, make_customer, make_item, make_order, run_concurrently


def reserved_for(order) -> float:
	return sum(reserved_qty_by_line(order.sales_order).values()) if order.sales_order else 0.0


class TestStockReservation(FrappeTestCase):
	def test_stock_reservation_is_enabled_on_install(self):
		self.assertTrue(frappe.db.get_single_value("Stock Settings", "enable_stock_reservation"))
		self.assertTrue(frappe.db.get_single_value("Stock Settings", "allow_partial_reservation"))

	def test_approval_reserves_the_ordered_stock(self):
		item, service = make_item(stock_qty=20), make_item(is_stock_item=0, stock_uom="Nos")
		order = make_order(
			make_customer(), [{"item_code": item, "qty": 7}, {"item_code": service, "qty": 1}], submit=True
		)
		self.assertEqual(reserved_for(order), 7)
		entry = frappe.get_last_doc("Stock Reservation Entry", filters={"voucher_no": order.sales_order})
		self.assertEqual((entry.item_code, entry.reserved_qty, entry.docstatus), (item, 7, 1))

	def test_cancelling_the_order_releases_its_reservation(self):
		item = make_item(stock_qty=20)
		order = make_order(make_customer(), [{"item_code": item, "qty": 5}], submit=True)
		cancel_order(order.name, "customer cancelled")
		self.assertEqual(
			frappe.db.count("Stock Reservation Entry", {"voucher_no": order.sales_order, "docstatus": 1}), 0
		)
		again = make_order(make_customer(), [{"item_code": item, "qty": 20}], submit=True)
		self.assertEqual(reserved_for(again), 20)

	def test_concurrent_orders_for_limited_stock_never_reserve_more_than_there_is(self):
		"""10 orders of 2 units race for 10 units: exactly 5 are reserved in full."""
		stock_rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(
			lambda: (
				frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", stock_rule),
				frappe.db.commit(),
			)
		)
		item, customer = make_item(stock_qty=10), make_customer()
		orders = [
			make_order(customer, [{"item_code": item, "qty": 2}], customer_po=f"PO-RACE-{i}")
			for i in range(10)
		]
		frappe.db.commit()  # the racing connections must see the drafts

		def submit(name):
			return lambda: frappe.get_doc("Customer Order", name).submit() or name

		results = run_concurrently([submit(order.name) for order in orders], user=clerk())
		failures = [r for r in results if isinstance(r, Exception)]
		self.assertFalse(failures, failures and failures[0].traceback)
		frappe.db.rollback()  # a fresh snapshot: see what the racing connections committed
		reserved = []
		with acting_as("Administrator"):
			for order in orders:
				order.reload()
				self.assertTrue(
					order.sales_order, (order.name, order.status, [r.message for r in order.hold_reasons])
				)
				reserved.append(reserved_for(order))
		self.assertEqual(sum(reserved), 10, reserved)
		self.assertEqual(reserved.count(2), 5, reserved)
		entries = frappe.get_all(
			"Stock Reservation Entry", filters={"item_code": item, "docstatus": 1}, pluck="reserved_qty"
		)
		self.assertEqual(sum(entries), 10)
		# ERPNext's Bin caches, recomputed by the job each order enqueues after its commit (run here
		# as the RQ worker would), agree with the documents.
		from order_mgmt.erpnext_bridge.stock_reservation import refresh_bins

		refresh_bins([(item, order.items[0].warehouse)])
		bin_ = frappe.get_doc("Bin", {"item_code": item})
		self.assertEqual((bin_.reserved_qty, bin_.reserved_stock, bin_.actual_qty), (20, 10, 10))


class TestShortage(FrappeTestCase):
	def test_a_shortage_raises_one_material_request_for_the_missing_quantity(self):
		scarce, plenty = make_item(stock_qty=3), make_item(stock_qty=50)
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(lambda: frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule))
		order = make_order(
			make_customer(), [{"item_code": scarce, "qty": 5}, {"item_code": plenty, "qty": 2}], submit=True
		)
		self.assertEqual(reserved_for(order), 3 + 2)
		requests = frappe.get_all(
			"Material Request Item",
			filters={"sales_order": order.sales_order, "docstatus": 1},
			fields=["item_code", "stock_qty", "parent"],
		)
		self.assertEqual([(r.item_code, r.stock_qty) for r in requests], [(scarce, 2)])
		self.assertEqual(
			frappe.db.get_value("Material Request", requests[0].parent, "material_request_type"), "Purchase"
		)
		# Once: asking again for the same Sales Order raises nothing new.
		from order_mgmt.fulfilment.shortage import raise_material_request

		so = frappe.get_doc("Sales Order", order.sales_order)
		self.assertIsNone(raise_material_request(so, reserved_qty_by_line(so.name)))
