"""Approved orders reserve stock through ERPNext's Stock Reservation Entry, never more than there is."""

import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.erpnext_bridge import stock_reservation
from order_mgmt.erpnext_bridge.stock_reservation import reserved_qty_by_line
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	make_sales_order,
	run_concurrently,
	warehouse,
)

# what a Stock Reservation Entry says about its reservation (not its name or voucher)
ENTRY_FIELDS = [
	"item_code",
	"warehouse",
	"status",
	"docstatus",
	"voucher_type",
	"voucher_qty",
	"available_qty",
	"reserved_qty",
	"delivered_qty",
	"reservation_based_on",
	"has_serial_no",
	"has_batch_no",
	"company",
	"stock_uom",
]


def entry_of(sales_order: str) -> dict:
	return frappe.get_all(
		"Stock Reservation Entry", filters={"voucher_no": sales_order}, fields=ENTRY_FIELDS
	)[0]


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

	def test_reservations_are_the_entries_erpnext_makes_itself(self):
		"""The app inserts each Stock Reservation Entry submitted (one save) where ERPNext saves and submits:
		the entry, the Sales Order line and the Bin come out as ERPNext's own reservation leaves them, in
		full and in part (8 ordered, 5 free)."""
		for stock, ordered in ((20, 7), (5, 8)):
			with self.subTest(stock=stock, ordered=ordered):
				ours, erpnexts = make_item(stock_qty=stock), make_item(stock_qty=stock)
				customer = make_customer()
				rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
				frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
				self.addCleanup(frappe.db.set_value, "Order Review Rule", "Stock shortage", "enabled", rule)
				order = make_order(customer, [{"item_code": ours, "qty": ordered}], submit=True)
				self.assertTrue(order.sales_order)
				with acting_as("Administrator"):
					theirs = make_sales_order(customer, {erpnexts: ordered}, reserve=True, rate=100)
				expected = {**entry_of(theirs), "item_code": ours}
				self.assertEqual(entry_of(order.sales_order), expected)
				self.assertEqual(expected["reserved_qty"], min(stock, ordered))
				for sales_order, item in ((order.sales_order, ours), (theirs, erpnexts)):
					self.assertEqual(
						frappe.db.get_value(
							"Sales Order Item",
							{"parent": sales_order},
							["stock_reserved_qty", "reserve_stock"],
						),
						(min(stock, ordered), 1),
					)
					self.assertEqual(
						frappe.db.get_value("Bin", {"item_code": item}, "reserved_stock"), min(stock, ordered)
					)

	def test_a_partial_reservation_is_left_out_where_stock_settings_forbid_it(self):
		"""As ERPNext: with "Allow Partial Reservation" off, a line with too little stock is not reserved at
		all, the others in full."""
		self.addCleanup(frappe.db.set_single_value, "Stock Settings", "allow_partial_reservation", 1)
		frappe.db.set_single_value("Stock Settings", "allow_partial_reservation", 0)
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(frappe.db.set_value, "Order Review Rule", "Stock shortage", "enabled", rule)
		scarce, plenty = make_item(stock_qty=3), make_item(stock_qty=50)
		order = make_order(
			make_customer(), [{"item_code": scarce, "qty": 5}, {"item_code": plenty, "qty": 4}], submit=True
		)
		self.assertEqual(
			frappe.get_all(
				"Stock Reservation Entry",
				filters={"voucher_no": order.sales_order, "docstatus": 1},
				fields=["item_code", "reserved_qty"],
			),
			[{"item_code": plenty, "reserved_qty": 4}],
		)

	def test_the_bins_of_many_commits_wait_for_one_job(self):
		"""After each commit the reserved Bins join a waiting set in Redis and one job is queued, not one per
		order; the job recomputes ERPNext's Bin caches from the documents and empties the set."""
		from frappe.utils.background_jobs import get_queue

		method = "order_mgmt.erpnext_bridge.stock_reservation.refresh_waiting_bins"
		waiting = stock_reservation.BINS_WAITING
		waiting.clear()
		self.addCleanup(waiting.clear)
		first, second = make_item(stock_qty=10), make_item(stock_qty=10)
		orders = [
			make_order(make_customer(), [{"item_code": item, "qty": 2}], submit=True)
			for item in (first, second, first)
		]
		self.assertTrue(all(order.sales_order for order in orders))

		def queued() -> int:
			return sum(job.kwargs.get("method") == method for job in get_queue("short").get_jobs())

		before = queued()
		# what each order's commit runs once done (the reservation registered it)
		for order in orders:
			stock_reservation.queue_bins_for_refresh([(order.items[0].item_code, warehouse())])
		self.assertEqual(queued(), before + 1)
		self.assertEqual(
			waiting.members(),
			{f"{item}\x1f{warehouse()}" for item in (first, second)},
		)
		# ERPNext's caches left stale (as a concurrent submit's snapshot can leave them)
		frappe.db.set_value(
			"Bin", {"item_code": ("in", [first, second])}, {"reserved_qty": 0, "reserved_stock": 0}
		)

		stock_reservation.refresh_waiting_bins()  # the job
		for item, reserved in ((first, 4), (second, 2)):
			self.assertEqual(
				frappe.db.get_value("Bin", {"item_code": item}, ["reserved_qty", "reserved_stock"]),
				(reserved, reserved),
			)
		self.assertEqual(waiting.members(), set())
		self.assertFalse(waiting.job_waiting())
		for job in get_queue("short").get_jobs():
			if job.kwargs.get("method") == method:
				job.delete()

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
		# ERPNext's Bin caches, recomputed by the job the commits queued (run here as the RQ worker
		# would), agree with the documents.
		stock_reservation.refresh_waiting_bins()
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
