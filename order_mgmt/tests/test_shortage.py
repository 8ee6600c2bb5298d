"""Shortages: recorded at approval, decided by the customer (backorder, ship partially, substitute,
cancel line), honoured by picking; the stock check on the form; large batches in the background."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate
from frappe.utils.background_jobs import get_redis_conn
from rq.job import Job

from order_mgmt.erpnext_bridge.stock_reservation import refresh_bins, reserved_qty_by_line
from order_mgmt.fulfilment.picking import (
	PickingError,
	build_pick_list_job,
	create_pick_list,
	deliver_order,
	deliver_pick_list,
)
from order_mgmt.fulfilment.shortage import ShortageError, decide_shortage, expected_availability
from order_mgmt.fulfilment.stock_check import stock_check
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	make_supplier,
	receive_stock,
	role_user,
	set_background_threshold,
	warehouse,
)


def picker() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


def picked(pick_list: str) -> dict[str, float]:
	rows = frappe.get_all("Pick List Item", filters={"parent": pick_list}, fields=["item_code", "picked_qty"])
	totals: dict[str, float] = {}
	for row in rows:
		totals[row.item_code] = totals.get(row.item_code, 0) + flt(row.picked_qty)
	return totals


class ShortageTestCase(FrappeTestCase):
	def setUp(self):
		# Short orders would otherwise wait for the warehouse review stage.
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(lambda: frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule))
		self.scarce = make_item(stock_qty=3, allow_alternative_item=1)
		self.plenty = make_item(stock_qty=50)
		self.order = make_order(
			make_customer(),
			[{"item_code": self.scarce, "qty": 5}, {"item_code": self.plenty, "qty": 2}],
			submit=True,
		)
		self.short_line = self.order.items[0]

	def decide(self, action: str, **kwargs) -> dict:
		with acting_as(clerk()):
			return decide_shortage(self.order.name, self.short_line.name, action, **kwargs)

	def line(self):
		return frappe.get_doc("Customer Order Item", self.short_line.name)

	def pick(self, *orders) -> str:
		with acting_as(picker()):
			return create_pick_list([o.name for o in orders or [self.order]])["pick_list"]


class TestShortageRecord(ShortageTestCase):
	def test_approval_records_the_shortage_its_material_request_and_expected_date(self):
		line = self.line()
		self.assertEqual(line.shortage_qty, 2)
		self.assertTrue(line.material_request)
		self.assertEqual(
			frappe.db.get_value("Material Request Item", {"parent": line.material_request}, "stock_qty"), 2
		)
		# No Purchase Order yet: the Material Request's required-by date is the expectation.
		self.assertEqual(
			str(line.expected_date),
			str(
				frappe.db.get_value(
					"Material Request Item", {"parent": line.material_request}, "schedule_date"
				)
			),
		)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "has_shortage"), 1)
		self.assertFalse(frappe.get_doc("Customer Order Item", self.order.items[1].name).shortage_qty)

	def test_expected_date_comes_from_an_open_purchase_order_first(self):
		arrival = add_days(nowdate(), 3)
		po = frappe.get_doc(
			{
				"doctype": "Purchase Order",
				"supplier": make_supplier(),
				"company": company(),
				"schedule_date": arrival,
				"items": [
					{
						"item_code": self.scarce,
						"qty": 10,
						"rate": 40,
						"warehouse": warehouse(),
						"schedule_date": arrival,
					}
				],
			}
		)
		po.insert()
		po.submit()
		self.assertEqual(expected_availability(self.scarce, warehouse()), (str(arrival), po.name))

	def test_stock_check_shows_available_reserved_and_projected_per_line(self):
		with acting_as(clerk()):
			lines = {line["item_code"]: line for line in stock_check(self.order.name)}
		scarce, plenty = lines[self.scarce], lines[self.plenty]
		self.assertEqual(
			(scarce["available_qty"], scarce["reserved_for_order"], scarce["shortage_qty"]), (0, 3, 2)
		)
		self.assertEqual((plenty["available_qty"], plenty["reserved_for_order"]), (48, 2))
		refresh_bins([(self.scarce, warehouse())])
		with acting_as(clerk()):
			scarce = next(line for line in stock_check(self.order.name) if line["item_code"] == self.scarce)
		# ERPNext's projection: 3 in stock, 5 ordered, 2 requested (the Material Request).
		self.assertEqual(scarce["projected_qty"], 3 - 5 + 2)

	def test_someone_else_cannot_read_the_stock_check(self):
		outsider = role_user("no-orders", ["Purchase User"])
		with acting_as(outsider), self.assertRaises(frappe.PermissionError):
			stock_check(self.order.name)


class TestTransferRequest(FrappeTestCase):
	def test_a_shortage_is_transferred_from_another_warehouse_that_has_the_stock(self):
		from order_mgmt.tests.test_return_settlement import make_warehouse

		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(lambda: frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule))
		item = make_item(stock_qty=3)
		other = make_warehouse("OMT Overflow")
		entry = frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": company(),
				"items": [{"item_code": item, "qty": 10, "t_warehouse": other, "basic_rate": 50}],
			}
		)
		entry.insert()
		entry.submit()
		order = make_order(make_customer(), [{"item_code": item, "qty": 5}], submit=True)
		line = frappe.get_doc("Customer Order Item", order.items[0].name)
		request = frappe.get_doc("Material Request", line.material_request)
		self.assertEqual(request.material_request_type, "Material Transfer")
		self.assertEqual(
			[(row.item_code, row.stock_qty, row.from_warehouse, row.warehouse) for row in request.items],
			[(item, 2, other, warehouse())],
		)


class TestShortageDecisions(ShortageTestCase):
	def test_without_a_decision_the_short_line_is_not_shipped_partially(self):
		name = self.pick()
		self.assertEqual(picked(name), {self.plenty: 2})

	def test_ship_partially_picks_and_delivers_what_is_reserved(self):
		self.decide("Ship Partially")
		self.assertEqual(self.line().shortage_action, "Ship Partially")
		self.assertEqual(self.line().shortage_decided_by, clerk())
		name = self.pick()
		self.assertEqual(picked(name), {self.scarce: 3, self.plenty: 2})
		with acting_as(picker()):
			deliver_pick_list(name)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Partly Delivered")

	def test_backorder_waits_for_stock_then_ships_the_line_in_full(self):
		self.decide("Backorder", expected_date=add_days(nowdate(), 10))
		self.assertEqual(str(self.line().expected_date), str(add_days(nowdate(), 10)))
		first = self.pick()
		self.assertEqual(picked(first), {self.plenty: 2})
		with self.assertRaisesRegex(PickingError, "not yet delivered"):
			self.pick()  # ERPNext picks an order again only once its open Pick List is delivered
		with acting_as(picker()):
			deliver_pick_list(first)
		# Nothing to ship until the stock arrives.
		with acting_as(picker()), self.assertRaisesRegex(PickingError, "nothing reserved to deliver"):
			deliver_order(self.order.name)
		receive_stock(self.scarce, 2)
		# ERPNext does not pick a Sales Order again once reserved stock was delivered from it: the rest
		# is delivered from the order, reserving the arrived stock first.
		with acting_as(picker()), self.assertRaisesRegex(PickingError, "does not pick it again"):
			self.pick()
		with acting_as(picker()):
			note = deliver_order(self.order.name)
		rows = frappe.get_all("Delivery Note Item", filters={"parent": note}, fields=["item_code", "qty"])
		# One row per reservation (ERPNext's mapping): 3 reserved at approval, 2 on arrival.
		self.assertEqual({row.item_code for row in rows}, {self.scarce})
		self.assertEqual(sum(row.qty for row in rows), 5)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Delivered")
		self.assertEqual(self.line().shortage_qty, 0)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "has_shortage"), 0)

	def test_substitute_takes_the_missing_quantity_from_an_item_alternative(self):
		alternative = make_item(stock_qty=10)
		frappe.get_doc(
			{"doctype": "Item Alternative", "item_code": self.scarce, "alternative_item_code": alternative}
		).insert()
		request = self.line().material_request
		self.decide("Substitute", substitute_item=alternative)

		so = frappe.get_doc("Sales Order", self.order.sales_order)
		lines = {row.item_code: row for row in so.items}
		self.assertEqual((lines[self.scarce].qty, lines[alternative].qty), (3, 2))
		self.assertEqual(lines[alternative].rate, lines[self.scarce].rate)
		self.assertEqual(so.grand_total, self.order.grand_total)
		self.assertEqual(reserved_qty_by_line(so.name)[lines[alternative].name], 2)
		self.assertEqual(self.line().substitute_item, alternative)
		self.assertEqual(frappe.db.get_value("Material Request", request, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "has_shortage"), 0)
		self.assertEqual(picked(self.pick()), {self.scarce: 3, self.plenty: 2, alternative: 2})
		# Final: it cannot be decided again.
		with self.assertRaises(ShortageError):
			self.decide("Backorder")

	def alternative_of_scarce(self, stock_qty: float = 10) -> str:
		alternative = make_item(stock_qty=stock_qty)
		frappe.get_doc(
			{"doctype": "Item Alternative", "item_code": self.scarce, "alternative_item_code": alternative}
		).insert()
		return alternative

	def assert_substitute_reserved_in_the_short_lines_warehouse(self, alternative: str) -> None:
		so = frappe.get_doc("Sales Order", self.order.sales_order)
		lines = {row.item_code: row for row in so.items}
		self.assertEqual(lines[alternative].warehouse, lines[self.scarce].warehouse)
		self.assertEqual(lines[alternative].qty, 2)
		self.assertEqual(reserved_qty_by_line(so.name).get(lines[alternative].name), 2)
		self.assertEqual(self.line().shortage_qty, 0)
		self.assertEqual(picked(self.pick()), {self.scarce: 3, self.plenty: 2, alternative: 2})

	def set_item_defaults(self, item_code: str, default_warehouse: str | None) -> None:
		"""Through the Item (ERPNext reads item defaults from its cached document)."""
		item = frappe.get_doc("Item", item_code)
		item.set("item_defaults", [])
		if default_warehouse:
			item.append("item_defaults", {"company": company(), "default_warehouse": default_warehouse})
		item.save()

	def clear_default_warehouse(self) -> None:
		"""No default warehouse in Stock Settings (nor the global default it keeps) for the test."""

		def set_default(value):
			frappe.db.set_single_value("Stock Settings", "default_warehouse", value)
			frappe.db.set_default("default_warehouse", value)
			frappe.clear_document_cache("Stock Settings", "Stock Settings")

		previous = frappe.db.get_single_value("Stock Settings", "default_warehouse")
		self.addCleanup(set_default, previous)
		set_default(None)

	def test_a_substitute_without_a_default_warehouse_takes_the_short_lines_warehouse(self):
		alternative = self.alternative_of_scarce()
		self.clear_default_warehouse()
		self.set_item_defaults(alternative, None)
		self.assertFalse(frappe.get_all("Item Default", filters={"parent": alternative}))
		self.decide("Substitute", substitute_item=alternative)  # was: "Cannot find a default warehouse"
		self.assert_substitute_reserved_in_the_short_lines_warehouse(alternative)

	def test_a_substitute_whose_default_warehouse_is_elsewhere_is_reserved_in_the_short_lines(self):
		from order_mgmt.tests.test_return_settlement import make_warehouse

		alternative = self.alternative_of_scarce()
		self.set_item_defaults(alternative, make_warehouse("OMT Overflow"))
		self.decide("Substitute", substitute_item=alternative)
		self.assert_substitute_reserved_in_the_short_lines_warehouse(alternative)

	def test_a_substitute_without_stock_in_the_short_lines_warehouse_is_refused_naming_the_row(self):
		alternative = self.alternative_of_scarce(stock_qty=1)
		with self.assertRaisesRegex(ShortageError, f"Row #1.*{alternative}.*{warehouse()}"):
			self.decide("Substitute", substitute_item=alternative)
		self.assertFalse(self.line().shortage_action)
		self.assertEqual(len(frappe.get_doc("Sales Order", self.order.sales_order).items), 2)

	def test_a_substitute_must_be_an_item_alternative(self):
		unrelated = make_item(stock_qty=10)
		with self.assertRaisesRegex(ShortageError, "Row #1.*not an Item Alternative"):
			self.decide("Substitute", substitute_item=unrelated)
		self.assertFalse(self.line().shortage_action)
		self.assertEqual(len(frappe.get_doc("Sales Order", self.order.sales_order).items), 2)

	def test_cancel_line_reduces_the_sales_order_to_what_is_reserved(self):
		request = self.line().material_request
		self.decide("Cancel Line")
		so = frappe.get_doc("Sales Order", self.order.sales_order)
		scarce = next(row for row in so.items if row.item_code == self.scarce)
		self.assertEqual(scarce.qty, 3)
		self.assertEqual(so.grand_total, self.order.grand_total - 2 * scarce.rate * (1 + self.tax_rate(so)))
		self.assertEqual(reserved_qty_by_line(so.name)[scarce.name], 3)
		self.assertEqual(frappe.db.get_value("Material Request", request, "docstatus"), 2)
		self.assertEqual(scarce.ordered_qty, 0)  # ERPNext's count of what requests order for the line
		self.assertEqual(self.line().shortage_action, "Cancel Line")
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "has_shortage"), 0)
		self.assertEqual(picked(self.pick()), {self.scarce: 3, self.plenty: 2})

	def tax_rate(self, so) -> float:
		return sum(flt(tax.rate) for tax in so.taxes if tax.charge_type == "On Net Total") / 100

	def test_decisions_are_refused_for_lines_that_are_not_short_and_for_outsiders(self):
		with acting_as(clerk()), self.assertRaisesRegex(ShortageError, "Row #2.*not short"):
			decide_shortage(self.order.name, self.order.items[1].name, "Backorder")
		with acting_as(clerk()), self.assertRaises(ShortageError):
			decide_shortage(self.order.name, self.short_line.name, "Wait Forever")
		with acting_as(picker()), self.assertRaises(frappe.PermissionError):
			decide_shortage(self.order.name, self.short_line.name, "Backorder")
		self.assertFalse(self.line().shortage_action)


class TestPartialShipmentRest(FrappeTestCase):
	"""8 ordered, 5 in stock: Ship Partially, the 5 picked and delivered through the batch Pick List,
	then the missing 3 arrive and the rest is delivered from the order."""

	def setUp(self):
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		self.addCleanup(lambda: frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule))
		self.item = make_item(stock_qty=5)
		self.order = make_order(make_customer(), [{"item_code": self.item, "qty": 8}], submit=True)
		with acting_as(clerk()):
			decide_shortage(self.order.name, self.order.items[0].name, "Ship Partially")
		with acting_as(picker()):
			pick_list = create_pick_list([self.order.name])["pick_list"]
			deliver_pick_list(pick_list)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Partly Delivered")

	def delivered(self) -> list[float]:
		return sorted(
			frappe.get_all(
				"Stock Ledger Entry",
				filters={"item_code": self.item, "voucher_type": "Delivery Note", "is_cancelled": 0},
				pluck="actual_qty",
			)
		)

	def test_the_rest_of_a_partial_shipment_is_delivered_from_the_order_once_stock_arrives(self):
		with acting_as(picker()), self.assertRaisesRegex(PickingError, "nothing reserved to deliver"):
			deliver_order(self.order.name)
		receive_stock(self.item, 3)  # a Stock Entry (Material Receipt)
		with acting_as(picker()):
			note = deliver_order(self.order.name)  # was: ERPNext's "has been picked, please reserve…"
		rows = frappe.get_all("Delivery Note Item", filters={"parent": note}, fields=["item_code", "qty"])
		self.assertEqual([(row.item_code, row.qty) for row in rows], [(self.item, 3)])
		self.assertEqual(self.delivered(), [-5, -3])
		self.assertEqual(frappe.db.get_value("Bin", {"item_code": self.item}, "actual_qty"), 0)
		self.assertEqual(
			sum(
				frappe.get_all(
					"Stock Ledger Entry",
					filters={"item_code": self.item, "is_cancelled": 0},
					pluck="actual_qty",
				)
			),
			0,
		)
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "per_delivered"), 100)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Delivered")
		self.assertEqual(
			frappe.db.get_value("Customer Order Item", self.order.items[0].name, "shortage_qty"), 0
		)

	def test_the_rest_takes_only_stock_not_reserved_for_other_orders(self):
		receive_stock(self.item, 3)
		other = make_order(make_customer(), [{"item_code": self.item, "qty": 2}], submit=True)
		self.assertEqual(sum(reserved_qty_by_line(other.sales_order).values()), 2)
		with acting_as(picker()):
			deliver_order(self.order.name)  # Ship Partially: what is free now, 1 of the 3
		self.assertEqual(self.delivered(), [-5, -1])
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "per_delivered"), 75)
		self.assertEqual(sum(reserved_qty_by_line(other.sales_order).values()), 2)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Partly Delivered")

	def test_a_backordered_rest_waits_until_all_of_it_can_ship(self):
		with acting_as(clerk()):
			decide_shortage(self.order.name, self.order.items[0].name, "Backorder")
		receive_stock(self.item, 2)
		with acting_as(picker()), self.assertRaisesRegex(PickingError, "nothing reserved to deliver"):
			deliver_order(self.order.name)
		receive_stock(self.item, 1)
		with acting_as(picker()):
			deliver_order(self.order.name)
		self.assertEqual(self.delivered(), [-5, -3])
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "status"), "Delivered")


class TestBackgroundPickList(FrappeTestCase):
	def setUp(self):
		set_background_threshold(self, 1)
		item = make_item(stock_qty=20)
		self.orders = [
			make_order(make_customer(), [{"item_code": item, "qty": 2}], submit=True) for _ in range(2)
		]

	def test_a_batch_above_the_threshold_is_queued_on_rq(self):
		names = [order.name for order in self.orders]
		with acting_as(picker()):
			result = create_pick_list(names)
		self.assertTrue(result["queued"])
		job = Job.fetch(result["job_id"], connection=get_redis_conn())
		self.addCleanup(job.delete)
		self.assertEqual(job.kwargs["kwargs"]["order_names"], names)
		self.assertEqual(job.kwargs["user"], picker())
		self.assertEqual(frappe.db.count("Pick List Item", {"sales_order": self.orders[0].sales_order}), 0)

	def test_the_job_builds_the_pick_list_and_notifies_the_user(self):
		with acting_as(picker()):
			name = build_pick_list_job([order.name for order in self.orders])
		self.assertEqual(frappe.db.get_value("Pick List", name, "docstatus"), 1)
		note = frappe.get_last_doc("Notification Log", filters={"for_user": picker()})
		self.assertEqual((note.document_type, note.document_name), ("Pick List", name))
