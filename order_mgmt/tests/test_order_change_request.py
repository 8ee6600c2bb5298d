"""Changing an approved order (Order Change Request): diff and impact priced by ERPNext, tiers routed to the
review stages, applied through ERPNext's Update Items with the reservation following."""

import json
import threading

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note, make_sales_invoice
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate

from order_mgmt.erpnext_bridge.sales_order_update import PickListOpenError
from order_mgmt.erpnext_bridge.stock_reservation import refresh_bins, reserved_qty_by_line
from order_mgmt.fulfilment import picking
from order_mgmt.fulfilment.picking import create_pick_list
from order_mgmt.orders import change_request
from order_mgmt.orders.cancellation import CancellationApprovalError, CancellationError, cancel_order
from order_mgmt.orders.change_request import (
	ChangeFourEyesError,
	ChangeMovedOnError,
	ChangeRefusedError,
	ChangeRequestError,
	NewLineWarehouseError,
	OrderNotChangeableError,
	PaymentTermsLockedError,
)
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	make_supplier,
	make_tax_template,
	manager,
	receive_stock,
	reviewer,
	run_concurrently,
	unique,
	warehouse,
)


def approved_order(lines: list[dict], **fields):
	order = make_order(make_customer(), lines, submit=True, **fields)
	assert order.sales_order, (order.status, [r.message for r in order.hold_reasons])
	return order


def ask_change(order, rows: list[dict], submit: bool = True, as_user: str | None = None, **fields):
	with acting_as(as_user or clerk()):
		request = frappe.get_doc(
			{
				"doctype": "Order Change Request",
				"customer_order": order.name,
				"reason": "The customer asked by phone",
				"channel": "Phone",
				"items": rows,
				**fields,
			}
		)
		request.insert()
		if submit:
			request.submit()
		request.reload()
	return request


def decide(request, stage: str, decision: str = "Approved", comment: str | None = None):
	with acting_as(reviewer(stage)):
		result = change_request.decide(request.name, decision, comment)
	request.reload()
	return result


def so_lines(order) -> list[tuple[str, float, float]]:
	so = frappe.get_doc("Sales Order", order.sales_order)
	return [(row.item_code, flt(row.qty), flt(row.rate)) for row in so.items]


def reserved_by_item(order) -> dict[str, float]:
	so = frappe.get_doc("Sales Order", order.sales_order)
	reserved = reserved_qty_by_line(so.name)
	return {row.item_code: flt(reserved.get(row.name)) for row in so.items}


def deliver(order, qty: float):
	note = make_delivery_note(order.sales_order)
	note.items[0].qty = qty
	note.insert()
	note.submit()
	return note


class TestOrderChangeRequest(FrappeTestCase):
	def test_quantity_up_within_stock_is_minor_applied_at_once_and_reserved(self):
		item = make_item(rate=100, stock_qty=50)
		order = approved_order([{"item_code": item, "qty": 5}])
		line = order.items[0]
		request = ask_change(order, [{"order_item": line.name, "qty": 8}])
		self.assertEqual((request.tier, request.review_route, request.status), ("Minor", "", "Applied"))
		row = request.items[0]
		self.assertEqual(
			(row.action, row.qty_before, row.qty, row.rate_before, row.rate_after),
			("Change", 5, 8, 100, 100),
		)
		self.assertEqual((row.amount_before, row.amount_after), (500, 800))
		# Net totals: the site's default tax template (if any) applies on top, as on a new order.
		self.assertEqual((request.net_total_before, request.net_total_after), (500, 800))
		self.assertEqual(
			request.grand_total_difference, request.grand_total_after - request.grand_total_before
		)
		self.assertEqual(row.free_stock_qty, 45)  # 50 received, 5 reserved for this order
		self.assertEqual(row.reserved_qty, 5)
		self.assertEqual(so_lines(order), [(item, 8, 100)])
		self.assertEqual(reserved_by_item(order), {item: 8})
		order.reload()
		self.assertEqual((order.items[0].qty, order.items[0].amount, order.net_total), (8, 800, 800))
		self.assertEqual(order.items[0].sales_order_item, line.sales_order_item)
		self.assertEqual(order.grand_total, request.grand_total_after)
		self.assertEqual(
			frappe.db.get_value("Sales Order", order.sales_order, "grand_total"), request.grand_total_after
		)

	def test_quantity_down_releases_the_reservation(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 10}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 4}])
		self.assertEqual((request.tier, request.status), ("Minor", "Applied"))
		self.assertEqual(reserved_by_item(order), {item: 4})
		self.assertEqual(change_request.free_to_reserve(item, warehouse()), 16)
		order.reload()
		self.assertEqual((order.items[0].qty, order.net_total), (4, 400))

	def test_quantity_below_delivered_is_refused_naming_the_row(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 10}])
		deliver(order, 3)
		with self.assertRaises(ChangeRequestError) as caught:
			ask_change(order, [{"order_item": order.items[0].name, "qty": 2}])
		self.assertIn(f"Row 1: quantity 2 of {item} is below the 3 already delivered", str(caught.exception))
		self.assertEqual(so_lines(order), [(item, 10, 100)])

	def test_line_added_goes_to_sales_review_four_eyes_then_applied_and_reserved(self):
		first, added = make_item(rate=100, stock_qty=20), make_item(rate=30, stock_qty=20)
		order = approved_order([{"item_code": first, "qty": 2}])
		request = ask_change(order, [{"item_code": added, "qty": 3}])
		self.assertEqual(
			(request.tier, request.review_route, request.status, request.current_stage),
			("Affects Price or Credit", "Sales", "Pending Review", "Sales"),
		)
		self.assertIn(f"new item {added} added", request.tier_reasons)
		self.assertEqual((request.items[0].action, request.items[0].rate_after), ("Add", 30))
		self.assertEqual(request.net_total_after, 290)
		self.assertEqual(so_lines(order), [(first, 2, 100)])  # nothing applied before the review
		with acting_as(clerk()), self.assertRaises(ChangeFourEyesError):
			change_request.decide(request.name, "Approved")
		decide(request, "Sales")
		self.assertEqual(request.status, "Applied")
		self.assertEqual(
			[(d.stage, d.decision, d.reviewer) for d in request.decisions],
			[("Sales", "Approved", reviewer("Sales"))],
		)
		self.assertEqual(so_lines(order), [(first, 2, 100), (added, 3, 30)])
		self.assertEqual(reserved_by_item(order), {first: 2, added: 3})
		order.reload()
		self.assertEqual([(line.item_code, line.qty) for line in order.items], [(first, 2), (added, 3)])
		self.assertTrue(order.items[1].sales_order_item)
		self.assertEqual((order.net_total, order.grand_total), (290, request.grand_total_after))

	def test_line_removed_is_minor_and_its_reservation_goes(self):
		kept, removed = make_item(rate=100, stock_qty=20), make_item(rate=50, stock_qty=20)
		order = approved_order([{"item_code": kept, "qty": 2}, {"item_code": removed, "qty": 4}])
		request = ask_change(order, [{"order_item": order.items[1].name, "qty": 0}])
		self.assertEqual(
			(request.items[0].action, request.tier, request.status), ("Remove", "Minor", "Applied")
		)
		self.assertEqual((request.net_total_before, request.net_total_after), (400, 200))
		self.assertEqual(so_lines(order), [(kept, 2, 100)])
		self.assertEqual(reserved_by_item(order), {kept: 2})
		self.assertEqual(change_request.free_to_reserve(removed, warehouse()), 20)
		order.reload()
		self.assertEqual([line.item_code for line in order.items], [kept])

	def test_rate_change_goes_to_sales_review_and_a_rejection_changes_nothing(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 2, "rate": 95}])
		self.assertEqual((request.tier, request.review_route), ("Affects Price or Credit", "Sales"))
		self.assertEqual((request.items[0].rate_after, request.items[0].discount_after), (95, 5))
		self.assertIn("price of", request.tier_reasons)
		with self.assertRaises(ChangeRequestError):
			decide(request, "Sales", "Rejected")  # a rejection needs a reason
		decide(request, "Sales", "Rejected", "We keep the agreed price")
		self.assertEqual(request.status, "Rejected")
		self.assertEqual(so_lines(order), [(item, 2, 100)])

	def test_quantity_up_beyond_stock_goes_to_warehouse_then_reserves_and_requests_the_rest(self):
		item = make_item(rate=100, stock_qty=10)
		order = approved_order([{"item_code": item, "qty": 8}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 15}])
		self.assertEqual((request.tier, request.review_route), ("Affects Delivery", "Warehouse"))
		self.assertEqual((request.items[0].free_stock_qty, request.items[0].new_shortage_qty), (2, 5))
		self.assertEqual((request.new_shortage_qty, request.extra_reservable_qty), (5, 2))
		decide(request, "Warehouse")
		self.assertEqual(request.status, "Applied")
		self.assertEqual(reserved_by_item(order), {item: 10})
		order.reload()
		line = order.items[0]
		self.assertEqual((line.qty, line.shortage_qty), (15, 5))
		self.assertTrue(line.material_request)
		self.assertEqual(
			frappe.db.get_value(
				"Material Request Item", {"parent": line.material_request, "item_code": item}, "stock_qty"
			),
			5,
		)

	def test_totals_and_taxes_are_the_servers_whatever_the_client_sends(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}], taxes_and_charges=make_tax_template(13))
		request = ask_change(
			order,
			[{"order_item": order.items[0].name, "qty": 3, "amount_after": 1, "rate_after": 1}],
			submit=False,
			grand_total_after=1,
			tier="Minor",
			status="Applied",
		)
		self.assertEqual((request.items[0].rate_after, request.items[0].amount_after), (100, 300))
		self.assertEqual((request.net_total_before, request.taxes_before), (200, 26))
		self.assertEqual(
			(request.net_total_after, request.taxes_after, request.grand_total_after), (300, 39, 339)
		)
		self.assertEqual(request.status, "Draft")
		with acting_as(clerk()):
			request.submit()
		order.reload()
		self.assertEqual((order.net_total, order.total_taxes_and_charges, order.grand_total), (300, 39, 339))
		self.assertEqual([flt(tax.tax_amount) for tax in order.taxes], [39])

	def test_new_delivery_date_the_stock_meets_and_address_are_minor(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		new_date = add_days(nowdate(), 9)
		request = ask_change(order, [], new_delivery_date=new_date)
		self.assertEqual((request.tier, request.status), ("Minor", "Applied"))
		self.assertEqual(
			str(frappe.db.get_value("Sales Order", order.sales_order, "delivery_date")), new_date
		)
		order.reload()
		self.assertEqual(str(order.delivery_date), new_date)
		self.assertEqual(str(order.items[0].delivery_date), new_date)

	def test_a_request_that_changes_nothing_is_refused(self):
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}])
		with self.assertRaises(ChangeRequestError):
			ask_change(order, [{"order_item": order.items[0].name, "qty": 2}])

	def test_erpnext_refusal_leaves_nothing_half_applied(self):
		"""Billed 2 × 100: ERPNext's Update Items refuses a rate that makes the line worth less than billed."""
		item, added = make_item(rate=100, stock_qty=20), make_item(rate=10, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		invoice = make_sales_invoice(order.sales_order)
		invoice.insert()
		invoice.submit()
		request = ask_change(
			order, [{"order_item": order.items[0].name, "qty": 2, "rate": 75}, {"item_code": added, "qty": 1}]
		)
		with self.assertRaises(ChangeRefusedError) as caught:
			decide(request, "Sales")
		self.assertIn("billed amount", str(caught.exception))
		request.reload()
		self.assertEqual(request.status, "Pending Review")
		self.assertEqual(request.decisions, [])
		self.assertEqual(so_lines(order), [(item, 2, 100)])
		self.assertEqual(reserved_by_item(order), {item: 2})
		order.reload()
		self.assertEqual([(line.item_code, line.qty, line.rate) for line in order.items], [(item, 2, 100)])

	def test_sales_order_reservations_and_bins_reconcile_after_changes(self):
		first, second = make_item(rate=100, stock_qty=30), make_item(rate=40, stock_qty=30, valuation_rate=20)
		order = approved_order([{"item_code": first, "qty": 5}, {"item_code": second, "qty": 5}])
		ask_change(order, [{"order_item": order.items[0].name, "qty": 9}])
		order.reload()
		ask_change(order, [{"order_item": order.items[1].name, "qty": 1}])
		refresh_bins([(first, warehouse()), (second, warehouse())])
		for item, qty in ((first, 9), (second, 1)):
			entries = frappe.get_all(
				"Stock Reservation Entry",
				filters={"item_code": item, "voucher_no": order.sales_order, "docstatus": 1},
				pluck="reserved_qty",
			)
			self.assertEqual(sum(entries), qty)
			self.assertEqual(
				flt(
					frappe.db.get_value(
						"Bin", {"item_code": item, "warehouse": warehouse()}, "reserved_stock"
					)
				),
				qty,
			)
			self.assertEqual(
				flt(
					frappe.db.get_value("Bin", {"item_code": item, "warehouse": warehouse()}, "reserved_qty")
				),
				qty,
			)
		so = frappe.get_doc("Sales Order", order.sales_order)
		order.reload()
		self.assertEqual((so.net_total, order.net_total), (940, 940))
		self.assertEqual(so.grand_total, order.grand_total)
		self.assertEqual(
			[(line.item_code, line.qty, line.sales_order_item) for line in order.items],
			[(row.item_code, row.qty, row.name) for row in so.items],
		)
		self.assertEqual(
			frappe.get_all(
				"Order Change Request",
				filters={"customer_order": order.name},
				pluck="status",
				order_by="creation",
			),
			["Applied", "Applied"],
		)

	def test_new_delivery_date_the_stock_cannot_meet_goes_to_warehouse(self):
		item = make_item(rate=100, stock_qty=3)
		order = approved_order([{"item_code": item, "qty": 3}])
		request = ask_change(
			order,
			[{"order_item": order.items[0].name, "qty": 5}],
			submit=False,
			new_delivery_date=add_days(nowdate(), 2),
		)
		self.assertEqual((request.tier, request.review_route), ("Affects Delivery", "Warehouse"))
		self.assertIn("The new delivery date cannot be met", request.tier_reasons)
		self.assertEqual(request.items[0].new_shortage_qty, 2)

	def test_a_change_waits_for_an_open_pick_list_and_says_so(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 4}])
		pick_list = create_pick_list([order.name])["pick_list"]
		with self.assertRaises(PickListOpenError) as caught:
			ask_change(order, [{"order_item": order.items[0].name, "qty": 6}])
		self.assertIn(pick_list, str(caught.exception))
		self.assertEqual(so_lines(order), [(item, 4, 100)])
		self.assertEqual(reserved_by_item(order), {item: 4})  # held for the Pick List, as before

	def test_change_notice_prints_both_languages_with_lines_totals_and_decisions(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 2, "rate": 90}])
		decide(request, "Sales", comment="Loyal customer")
		html = frappe.get_print("Order Change Request", request.name, "Order Change Notice", doc=request)
		for text in (
			"合同订单更改通知单",
			"Order Change Notice",
			order.name,
			item,
			"The customer asked by phone",
			"Loyal customer",
			reviewer("Sales"),
		):
			self.assertIn(text, html)
		self.assertEqual(frappe.get_meta("Order Change Request").default_print_format, "Order Change Notice")

	def test_a_change_and_a_pick_list_racing_for_one_order_are_serialised(self):
		"""A Sales reviewer approves a change (4 → 6) while the warehouse picks the order: one wins. Either the
		change is applied and the Pick List picks 6 (or, having read the order before the change committed,
		is refused saying so), or the Pick List picks 4 and the change is refused, saying so, with nothing
		applied."""
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 4}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 6, "rate": 95}])
		self.assertEqual(request.current_stage, "Sales")
		sales = reviewer("Sales")
		frappe.db.commit()  # the racing connections must see the order and the request

		def approve():
			with acting_as(sales):
				return change_request.decide(request.name, "Approved")

		def pick():
			return create_pick_list([order.name])["pick_list"]

		approved, picked = run_concurrently([approve, pick])
		frappe.db.rollback()  # a fresh snapshot: what the racing connections committed
		if isinstance(picked, picking.PickListMovedOnError):
			# The change won while the Pick List waited, after it had read the order: it is told to start again.
			self.assertNotIsInstance(approved, Exception, getattr(approved, "traceback", ""))
			self.assertEqual(frappe.get_all("Pick List Item", filters={"sales_order": order.sales_order}), [])
			self.assertEqual((so_lines(order), reserved_by_item(order)), ([(item, 6, 95)], {item: 6}))
			return
		self.assertNotIsInstance(picked, Exception, getattr(picked, "traceback", ""))
		picked_qty = sum(
			flt(qty)
			for qty in frappe.get_all(
				"Pick List Item", filters={"parent": picked, "item_code": item}, pluck="stock_qty"
			)
		)
		request.reload()
		if isinstance(approved, Exception):
			self.assertIsInstance(approved, PickListOpenError, getattr(approved, "traceback", ""))
			self.assertIn(picked, str(approved))
			self.assertEqual((request.status, request.decisions), ("Pending Review", []))
			self.assertEqual((so_lines(order), picked_qty), ([(item, 4, 100)], 4))
		else:
			self.assertEqual(request.status, "Applied")
			self.assertEqual((so_lines(order), picked_qty), ([(item, 6, 95)], 6))

	def test_a_pick_list_that_read_the_order_before_a_change_committed_is_refused_clearly(self):
		"""The losing side of the race above, made certain: the Pick List's transaction has read the Sales
		Order (its repeatable-read snapshot) before the change committed, then waits for its lock. It must
		not build on the order as it was (ERPNext's TimestampMismatchError, or a pick of the old quantity),
		but say clearly that the order moved on; the change stays applied."""
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 4}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 6, "rate": 95}])
		sales = reviewer("Sales")
		frappe.db.commit()
		snapshot_taken, change_committed = threading.Event(), threading.Event()

		def pick():
			frappe.db.get_value(
				"Sales Order", order.sales_order, "modified"
			)  # the snapshot, before the change
			snapshot_taken.set()
			change_committed.wait(timeout=60)
			return create_pick_list([order.name])["pick_list"]

		def approve():
			snapshot_taken.wait(timeout=60)
			try:
				with acting_as(sales):
					result = change_request.decide(request.name, "Approved")
				frappe.db.commit()
				return result
			finally:
				change_committed.set()

		picked, approved = run_concurrently([pick, approve])
		frappe.db.rollback()
		self.assertNotIsInstance(approved, Exception, getattr(approved, "traceback", ""))
		self.assertIsInstance(picked, picking.PickListMovedOnError, getattr(picked, "traceback", ""))
		self.assertIn(order.sales_order, str(picked))
		self.assertEqual(frappe.get_all("Pick List Item", filters={"sales_order": order.sales_order}), [])
		self.assertEqual(so_lines(order), [(item, 6, 95)])
		self.assertEqual(reserved_by_item(order), {item: 6})

	def test_only_the_stages_role_decides_and_a_foreign_line_is_refused(self):
		item = make_item(rate=100, stock_qty=20)
		order, other = (approved_order([{"item_code": item, "qty": 2}]) for _ in range(2))
		with self.assertRaises(ChangeRequestError) as caught:
			ask_change(order, [{"order_item": other.items[0].name, "qty": 3}])
		self.assertIn("is not on order", str(caught.exception))
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 2, "rate": 90}])
		with acting_as(reviewer("Warehouse")), self.assertRaises(frappe.PermissionError):
			change_request.decide(request.name, "Approved")
		request.reload()
		self.assertEqual(
			(request.status, request.current_stage, request.decisions), ("Pending Review", "Sales", [])
		)


def set_rule_flag(test, rule: str, applies: int) -> None:
	"""Tick or clear a rule's Applies to Changes box for the test's duration."""
	previous = frappe.db.get_value("Order Review Rule", rule, "applies_to_changes")
	frappe.db.set_value("Order Review Rule", rule, "applies_to_changes", applies)
	test.addCleanup(frappe.db.set_value, "Order Review Rule", rule, "applies_to_changes", previous)


def second_warehouse() -> str:
	return (
		frappe.get_doc({"doctype": "Warehouse", "warehouse_name": unique("OMT Annex"), "company": company()})
		.insert()
		.name
	)


def material_requests_of(order) -> list[tuple[str, float]]:
	so_rows = [row.name for row in frappe.get_doc("Sales Order", order.sales_order).items]
	return [
		(row.parent, flt(row.stock_qty))
		for row in frappe.get_all(
			"Material Request Item",
			filters={"sales_order_item": ("in", so_rows), "docstatus": 1},
			fields=["parent", "stock_qty"],
			order_by="creation",
		)
	]


class TestChangeRequestRemainder(FrappeTestCase):
	"""Payment terms, the rules' Applies to Changes box, Material Requests for a growing shortage, new
	lines' warehouses, the order's Version history, and the edges."""

	def test_new_payment_terms_go_to_finance_and_erpnext_rebuilds_the_schedule(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 3}], payment_terms_template="Net 30")
		request = ask_change(order, [], new_payment_terms_template="3 Installments")
		self.assertEqual(
			(request.tier, request.review_route, request.payment_terms_before),
			("Affects Price or Credit", "Finance", "Net 30"),
		)
		self.assertIn("The payment terms change from Net 30 to 3 Installments", request.tier_reasons)
		self.assertEqual(len(request.payment_schedule_before.splitlines()), 1)
		self.assertEqual(len(request.payment_schedule_after.splitlines()), 3)
		self.assertIn("(Installment 2 of 3)", request.payment_schedule_after)
		decide(request, "Finance")
		self.assertEqual(request.status, "Applied")
		so = frappe.get_doc("Sales Order", order.sales_order)
		self.assertEqual(so.payment_terms_template, "3 Installments")
		self.assertEqual(
			[(row.payment_term, flt(row.invoice_portion)) for row in so.payment_schedule],
			[("Installment 1 of 3", 33.34), ("Installment 2 of 3", 33.33), ("Installment 3 of 3", 33.33)],
		)
		self.assertAlmostEqual(sum(flt(row.payment_amount) for row in so.payment_schedule), so.grand_total, 2)
		self.assertEqual(so_lines(order), [(item, 3, 100)])
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, "payment_terms_template"), "3 Installments"
		)
		html = frappe.get_print("Order Change Request", request.name, "Order Change Notice", doc=request)
		self.assertIn("付款条件", html)
		self.assertIn("3 Installments", html)

	def test_payment_terms_of_an_invoiced_order_are_refused_naming_the_field(self):
		order = approved_order(
			[{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}], payment_terms_template="Net 30"
		)
		invoice = make_sales_invoice(order.sales_order)
		invoice.insert()  # a draft invoice copied the old schedule already
		with self.assertRaises(PaymentTermsLockedError) as caught:
			ask_change(order, [], new_payment_terms_template="3 Installments")
		self.assertIn("New Payment Terms", str(caught.exception))
		self.assertIn(invoice.name, str(caught.exception))
		self.assertEqual(
			frappe.db.get_value("Sales Order", order.sales_order, "payment_terms_template"), "Net 30"
		)

	def test_payment_terms_with_a_payment_allocated_to_a_term_are_refused(self):
		"""A template that allocates payments to its terms: an advance against the order is recorded on the
		Sales Order's schedule, which the new terms would drop."""
		from order_mgmt.accounting.payments import register_payment

		template = frappe.get_doc(
			{
				"doctype": "Payment Terms Template",
				"template_name": unique("OMT Allocated"),
				"allocate_payment_based_on_payment_terms": 1,
				"terms": [{"payment_term": "Net 30", "invoice_portion": 100}],
			}
		).insert()
		order = approved_order(
			[{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}], payment_terms_template=template.name
		)
		total = flt(frappe.db.get_value("Sales Order", order.sales_order, "grand_total"))
		with acting_as("Administrator"):  # paid in full: a part payment fails there (reported)
			register_payment(order.name, total, "Bank Transfer", reference_no="ADVANCE")
		paid = frappe.get_all("Payment Schedule", filters={"parent": order.sales_order}, pluck="paid_amount")
		self.assertEqual(paid, [total])
		with self.assertRaises(PaymentTermsLockedError) as caught:
			ask_change(order, [], new_payment_terms_template="3 Installments")
		self.assertIn("New Payment Terms: payments are allocated", str(caught.exception))

	def test_a_rule_without_the_flag_does_not_judge_a_change(self):
		"""The shipped Large order rule (grand total ≥ 100,000) judges changes that cross it; with its box
		cleared the same change is a minor one."""
		previous = frappe.db.get_single_value("Order Management Settings", "change_review_threshold")
		frappe.db.set_single_value("Order Management Settings", "change_review_threshold", 0)
		self.addCleanup(
			frappe.db.set_single_value, "Order Management Settings", "change_review_threshold", previous
		)
		item = make_item(rate=1000, stock_qty=300)
		order = approved_order([{"item_code": item, "qty": 80}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 110}], submit=False)
		self.assertEqual((request.tier, request.review_route), ("Affects Price or Credit", "Sales"))
		self.assertIn("is at least 100000", request.tier_reasons)
		self.assertNotIn("goes up by", request.tier_reasons)  # the settings' increase threshold is not met
		set_rule_flag(self, "Large order", 0)
		other = approved_order([{"item_code": item, "qty": 80}])
		request = ask_change(other, [{"order_item": other.items[0].name, "qty": 110}])
		self.assertEqual((request.tier, request.review_route, request.status), ("Minor", "", "Applied"))

	def test_a_new_rule_flagged_for_changes_routes_a_change_to_its_stage(self):
		rule = frappe.get_doc(
			{
				"doctype": "Order Review Rule",
				"rule_name": unique("Phone changes"),
				"condition": "Channel Is",
				"match_value": "Phone",
				"stage": "Warehouse",
				"applies_to_changes": 1,
			}
		).insert()
		self.addCleanup(frappe.delete_doc, "Order Review Rule", rule.name, force=True)
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 5}])
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 4}])  # through Phone
		self.assertEqual(
			(request.tier, request.review_route, request.status),
			("Affects Price or Credit", "Warehouse", "Pending Review"),
		)
		self.assertIn("Order came through channel Phone", request.tier_reasons)
		rule.db_set("applies_to_changes", 0)
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 4}])
		self.assertEqual((request.tier, request.status), ("Minor", "Applied"))

	def test_quantity_up_twice_without_stock_raises_a_second_material_request(self):
		item = make_item(rate=100, stock_qty=10)
		order = approved_order([{"item_code": item, "qty": 8}])
		first = ask_change(order, [{"order_item": order.items[0].name, "qty": 15}])
		decide(first, "Warehouse")
		self.assertEqual([qty for _mr, qty in material_requests_of(order)], [5])
		order.reload()
		second = ask_change(order, [{"order_item": order.items[0].name, "qty": 20}])
		self.assertEqual(second.items[0].new_shortage_qty, 5)
		decide(second, "Warehouse")
		self.assertEqual(second.status, "Applied")
		requests = material_requests_of(order)
		self.assertEqual([qty for _mr, qty in requests], [5, 5])
		self.assertEqual(len({mr for mr, _qty in requests}), 2)
		self.assertEqual(reserved_by_item(order), {item: 10})
		refresh_bins([(item, warehouse())])
		bin_ = frappe.db.get_value(
			"Bin",
			{"item_code": item, "warehouse": warehouse()},
			["actual_qty", "reserved_stock", "reserved_qty", "indented_qty"],
			as_dict=True,
		)
		self.assertEqual(
			(bin_.actual_qty, bin_.reserved_stock, bin_.reserved_qty, bin_.indented_qty), (10, 10, 20, 10)
		)
		self.assertEqual(
			frappe.db.count("Stock Ledger Entry", {"item_code": item, "is_cancelled": 0}), 1
		)  # the receipt only: a change moves no stock
		order.reload()
		self.assertEqual((order.items[0].qty, order.items[0].shortage_qty), (20, 10))
		# Once requested, the same shortage raises nothing more.
		from order_mgmt.fulfilment.shortage import raise_material_request

		so = frappe.get_doc("Sales Order", order.sales_order)
		self.assertIsNone(raise_material_request(so, reserved_qty_by_line(so.name), top_up=True))

	def test_a_new_line_takes_the_items_default_warehouse_and_each_its_own(self):
		annex = second_warehouse()
		annexed = make_item(
			rate=30, stock_qty=0, item_defaults=[{"company": company(), "default_warehouse": annex}]
		)
		receive_stock(annexed, 10, target=annex)
		plain, first = make_item(rate=20, stock_qty=10), make_item(rate=100, stock_qty=10)
		order = approved_order([{"item_code": first, "qty": 1}])
		request = ask_change(order, [{"item_code": annexed, "qty": 2}, {"item_code": plain, "qty": 3}])
		self.assertEqual([row.warehouse for row in request.items], [annex, warehouse()])
		self.assertEqual([row.free_stock_qty for row in request.items], [10, 10])
		decide(request, "Sales")
		so = frappe.get_doc("Sales Order", order.sales_order)
		self.assertEqual(
			[(row.item_code, row.warehouse) for row in so.items],
			[(first, warehouse()), (annexed, annex), (plain, warehouse())],
		)
		self.assertEqual(reserved_by_item(order), {first: 1, annexed: 2, plain: 3})
		self.assertEqual(so.set_warehouse, frappe.db.get_value("Sales Order", so.name, "set_warehouse"))
		order.reload()
		self.assertEqual([line.warehouse for line in order.items], [warehouse(), annex, warehouse()])

	def test_a_new_line_in_a_group_warehouse_is_refused_naming_the_row(self):
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=10), "qty": 1}])
		group = frappe.db.get_value("Warehouse", {"company": company(), "is_group": 1}, "name")
		with self.assertRaises(NewLineWarehouseError) as caught:
			ask_change(
				order,
				[
					{"order_item": order.items[0].name, "qty": 1},
					{"item_code": make_item(rate=5), "qty": 1, "warehouse": group},
				],
			)
		self.assertIn(f"Row 2: Warehouse {group}", str(caught.exception))

	def test_an_applied_change_is_in_the_orders_version_history(self):
		item, added = make_item(rate=100, stock_qty=20), make_item(rate=30, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 5}])
		versions_before = frappe.db.count("Version", {"ref_doctype": "Customer Order", "docname": order.name})
		request = ask_change(
			order, [{"order_item": order.items[0].name, "qty": 8}, {"item_code": added, "qty": 1}]
		)
		decide(request, "Sales")
		versions = frappe.get_all(
			"Version",
			filters={"ref_doctype": "Customer Order", "docname": order.name},
			fields=["data"],
			order_by="creation desc",
		)
		self.assertEqual(len(versions), versions_before + 1)
		data = json.loads(versions[0].data)
		(row_changed,) = [row for row in data["row_changed"] if row[0] == "items"]
		self.assertIn(["qty", "5", "8"], [list(change) for change in row_changed[3]])
		self.assertEqual([row[1]["item_code"] for row in data["added"] if row[0] == "items"], [added])
		self.assertEqual(data["updater_reference"]["docname"], request.name)
		self.assertIn("grand_total", [change[0] for change in data["changed"]])

	def test_forged_server_fields_of_a_request_and_its_rows_are_the_servers(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}], payment_terms_template="Net 30")
		request = ask_change(
			order,
			[
				{
					"order_item": order.items[0].name,
					"qty": 3,
					"rate": 95,
					"qty_before": 99,
					"sales_order_item": "forged",
					"free_stock_qty": 1000,
					"new_shortage_qty": 7,
					"action": "Remove",
				}
			],
			submit=False,
			payment_terms_before="Prepaid",
			payment_schedule_after="nothing to pay",
			requested_by="Administrator",
			applied_by="Administrator",
			decisions=[{"stage": "Sales", "decision": "Approved", "reviewer": "Administrator"}],
		)
		row = request.items[0]
		self.assertEqual(
			(row.qty_before, row.sales_order_item, row.free_stock_qty, row.new_shortage_qty, row.action),
			(2, order.items[0].sales_order_item, 18, 0, "Change"),
		)
		self.assertEqual(
			(request.payment_terms_before, request.payment_schedule_after, request.requested_by),
			("Net 30", None, clerk()),
		)
		self.assertEqual((request.applied_by, request.decisions), (None, []))
		with acting_as(clerk()):
			request.submit()  # a price change: waits for Sales
		with acting_as(clerk()):
			forged = frappe.get_doc("Order Change Request", request.name)
			forged.status, forged.tier, forged.current_stage = "Applied", "Minor", None
			forged.append(
				"decisions", {"stage": "Sales", "decision": "Approved", "reviewer": "Administrator"}
			)
			forged.items[0].rate_after = 1
			try:
				forged.save()
			except frappe.ValidationError:
				pass
		request.reload()
		self.assertEqual(
			(
				request.status,
				request.tier,
				request.current_stage,
				request.decisions,
				request.items[0].rate_after,
			),
			("Pending Review", "Affects Price or Credit", "Sales", [], 95),
		)

	def test_a_cancelled_or_fully_delivered_order_cannot_be_changed(self):
		item = make_item(rate=100, stock_qty=20)
		delivered = approved_order([{"item_code": item, "qty": 2}])
		deliver(delivered, 2)
		with self.assertRaises(OrderNotChangeableError):
			ask_change(delivered, [{"order_item": delivered.items[0].name, "qty": 3}])
		cancelled = approved_order([{"item_code": item, "qty": 2}])
		cancel_order(cancelled.name, "Duplicate Order")
		with self.assertRaisesRegex(OrderNotChangeableError, f"{cancelled.name} is Cancelled"):
			ask_change(cancelled, [{"order_item": cancelled.items[0].name, "qty": 3}])

	def test_an_order_with_change_requests_can_still_be_cancelled(self):
		"""Applied changes stay as the order's history; one still waiting for review is cancelled with it."""
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		applied = ask_change(order, [{"order_item": order.items[0].name, "qty": 3}])
		order.reload()
		pending = ask_change(order, [{"order_item": order.items[0].name, "qty": 3, "rate": 95}])
		self.assertEqual((applied.status, pending.status), ("Applied", "Pending Review"))
		cancel_order(order.name, "Duplicate Order")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 2)
		applied.reload()
		pending.reload()
		self.assertEqual((applied.docstatus, applied.status), (1, "Applied"))
		self.assertEqual((pending.docstatus, pending.status), (2, "Cancelled"))
		with self.assertRaises(ChangeRequestError):
			decide(pending, "Sales")

	def test_a_rate_below_the_items_floor_is_refused_naming_the_row(self):
		item = make_item(rate=100, stock_qty=20, max_discount=10)
		order = approved_order([{"item_code": item, "qty": 2}])
		with self.assertRaises(ChangeRequestError) as caught:
			ask_change(order, [{"order_item": order.items[0].name, "qty": 2, "rate": 80}])
		self.assertIn("Row 1", str(caught.exception))
		self.assertIn("maximum discount of 10", str(caught.exception))
		request = ask_change(order, [{"order_item": order.items[0].name, "qty": 2, "rate": 90}])
		self.assertEqual(request.review_route, "Sales")

	def test_an_item_a_new_order_could_not_have_is_not_added_by_a_change(self):
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=10), "qty": 1}])
		disabled = make_item(rate=10, stock_qty=5)
		frappe.db.set_value("Item", disabled, "disabled", 1)
		not_for_sale = make_item(rate=10, stock_qty=5, is_sales_item=0)
		for item, says in ((disabled, "is disabled"), (not_for_sale, "is not a sales item")):
			with self.assertRaises(ChangeRequestError) as caught:
				ask_change(order, [{"item_code": item, "qty": 1}])
			self.assertIn(f"Row 1: Item {item} {says}", frappe.utils.strip_html(str(caught.exception)))
		self.assertEqual(len(so_lines(order)), 1)

	def test_two_changes_of_one_order_racing_one_wins_the_other_is_told(self):
		"""Two minor changes (two clerks, one order) submitted at once: both are assessed on the order as it
		was; the second to get the Sales Order's lock must not apply its figures over the first's."""
		first, second = make_item(rate=100, stock_qty=30), make_item(rate=50, stock_qty=30)
		order = approved_order([{"item_code": first, "qty": 4}, {"item_code": second, "qty": 4}])
		drafts = [
			ask_change(order, [{"order_item": order.items[0].name, "qty": 6}], submit=False),
			ask_change(order, [{"order_item": order.items[1].name, "qty": 5}], submit=False),
		]
		user = clerk()
		frappe.db.commit()

		def submit(name):
			def run():
				with acting_as(user):
					frappe.get_doc("Order Change Request", name).submit()
				return name

			return run

		results = run_concurrently([submit(drafts[0].name), submit(drafts[1].name)])
		frappe.db.rollback()
		applied = [r for r in results if not isinstance(r, Exception)]
		refused = [r for r in results if isinstance(r, Exception)]
		for error in refused:
			self.assertIsInstance(error, ChangeMovedOnError, getattr(error, "traceback", ""))
		self.assertTrue(applied)
		so = dict((item, qty) for item, qty, _rate in so_lines(order))
		expected = {first: 4, second: 4}
		for name in applied:
			row = frappe.get_doc("Order Change Request", name).items[0]
			expected[row.item_code] = flt(row.qty)
		self.assertEqual(so, expected)
		self.assertEqual(reserved_by_item(order), expected)


def open_material_requests(order) -> list[tuple[str, float]]:
	"""(Material Request, stock qty) of the order's Sales Order lines, past and present: submitted ones."""
	lines = frappe.get_all(
		"Material Request Item",
		filters={"sales_order": order.sales_order, "docstatus": 1},
		fields=["parent", "stock_qty"],
		order_by="creation",
	)
	return [(row.parent, flt(row.stock_qty)) for row in lines]


def apply_through_review(request):
	"""Decide every stage the request waits for (each by its own reviewer)."""
	while request.status == "Pending Review":
		decide(request, request.current_stage)
	return request


class TestChangeRequestLeftovers(FrappeTestCase):
	"""A lower or removed line shrinks its open shortage Material Request; a draft change of an order
	that is cancelled cannot be submitted any more."""

	def short_order(self, stock: float, ordered: float, changed: float, **fields):
		"""An order of `ordered` with `stock` free, changed to `changed`: its shortage gets its Material
		Request, as a change that raises a line's quantity beyond stock does."""
		item = make_item(rate=100, stock_qty=stock)
		order = approved_order([{"item_code": item, "qty": ordered}], **fields)
		apply_through_review(ask_change(order, [{"order_item": order.items[0].name, "qty": changed}]))
		order.reload()
		return item, order

	def test_quantity_down_shrinks_then_cancels_the_open_material_request(self):
		item, order = self.short_order(10, 8, 15)
		((first, first_qty),) = open_material_requests(order)
		self.assertEqual(first_qty, 5)

		request = apply_through_review(ask_change(order, [{"order_item": order.items[0].name, "qty": 12}]))
		self.assertEqual(request.status, "Applied")
		self.assertEqual(frappe.db.get_value("Material Request", first, "docstatus"), 2)
		((second, second_qty),) = open_material_requests(order)
		self.assertEqual(second_qty, 2)
		order.reload()
		self.assertEqual((order.items[0].shortage_qty, order.items[0].material_request), (2, second))
		so_line = order.items[0].sales_order_item
		# ERPNext's count of what requests order for the Sales Order line: the open request's only
		self.assertEqual(flt(frappe.db.get_value("Sales Order Item", so_line, "ordered_qty")), 2)
		refresh_bins([(item, warehouse())])
		self.assertEqual(
			flt(frappe.db.get_value("Bin", {"item_code": item, "warehouse": warehouse()}, "indented_qty")), 2
		)

		apply_through_review(ask_change(order, [{"order_item": order.items[0].name, "qty": 9}]))
		self.assertEqual(open_material_requests(order), [])
		self.assertEqual(frappe.db.get_value("Material Request", second, "docstatus"), 2)
		order.reload()
		self.assertEqual(flt(order.items[0].shortage_qty), 0)
		self.assertEqual(flt(frappe.db.get_value("Sales Order Item", so_line, "ordered_qty")), 0)

	def test_a_removed_line_cancels_its_open_material_request(self):
		kept = make_item(rate=100, stock_qty=20)
		short = make_item(rate=50, stock_qty=2)
		order = approved_order([{"item_code": kept, "qty": 2}, {"item_code": short, "qty": 2}])
		apply_through_review(ask_change(order, [{"order_item": order.items[1].name, "qty": 6}]))
		((raised, qty),) = open_material_requests(order)
		self.assertEqual(qty, 4)
		order.reload()
		request = apply_through_review(ask_change(order, [{"order_item": order.items[1].name, "qty": 0}]))
		self.assertEqual(request.status, "Applied")
		self.assertEqual(so_lines(order), [(kept, 2, 100)])
		self.assertEqual(frappe.db.get_value("Material Request", raised, "docstatus"), 2)
		self.assertEqual(open_material_requests(order), [])

	def test_a_material_request_already_ordered_is_left_to_purchasing(self):
		from erpnext.stock.doctype.material_request.material_request import make_purchase_order

		item, order = self.short_order(10, 8, 15)
		((raised, _qty),) = open_material_requests(order)
		with acting_as("Administrator"):
			po = make_purchase_order(raised)
			po.supplier = make_supplier()
			po.insert()
			po.submit()
		apply_through_review(ask_change(order, [{"order_item": order.items[0].name, "qty": 12}]))
		self.assertEqual(frappe.db.get_value("Material Request", raised, "docstatus"), 1)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{"reference_doctype": "Material Request", "reference_name": raised, "comment_type": "Info"},
			)
		)

	def test_a_draft_change_of_a_cancelled_order_cannot_be_submitted(self):
		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		draft = ask_change(order, [{"order_item": order.items[0].name, "qty": 3}], submit=False)
		cancel_order(order.name, "Duplicate Order")
		draft.reload()
		self.assertEqual((draft.docstatus, draft.status), (0, "Cancelled"))
		with self.assertRaises(OrderNotChangeableError) as caught:
			with acting_as(clerk()):
				frappe.get_doc("Order Change Request", draft.name).submit()
		self.assertIn(f"Customer Order {order.name} is Cancelled", str(caught.exception))
		self.assertEqual(frappe.db.get_value("Order Change Request", draft.name, "docstatus"), 0)


class TestCancellationReasons(FrappeTestCase):
	def order(self):
		return approved_order([{"item_code": make_item(rate=50, stock_qty=10), "qty": 1}])

	def test_the_shipped_reasons_are_installed(self):
		self.assertEqual(
			set(frappe.get_all("Cancellation Reason", filters={"enabled": 1}, pluck="name"))
			>= {
				"Customer Changed Mind",
				"Price",
				"Delivery Time Too Long",
				"Duplicate Order",
				"Out of Stock",
				"Credit",
				"Other",
			},
			True,
		)

	def test_every_cancellation_gets_a_category(self):
		chosen, named, free = self.order(), self.order(), self.order()
		cancel_order(chosen.name, "found it cheaper elsewhere", category="Price")
		cancel_order(named.name, "Duplicate Order")
		cancel_order(free.name, "the boss said no")
		categories = [
			frappe.db.get_value(
				"Customer Order", order.name, ["cancellation_category", "cancellation_reason"]
			)
			for order in (chosen, named, free)
		]
		self.assertEqual(
			categories,
			[
				("Price", "found it cheaper elsewhere"),
				("Duplicate Order", "Duplicate Order"),
				("Other", "the boss said no"),
			],
		)

	def test_an_unknown_category_is_refused_and_nothing_is_cancelled(self):
		order = self.order()
		with self.assertRaises(CancellationError):
			cancel_order(order.name, "changed mind", category="No Such Reason")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 1)

	def test_a_client_cannot_write_the_category(self):
		"""The workflow's Cancel carries its comment as the reason: the category follows it, not the client."""
		order = self.order()
		order.cancellation_category = "Credit"
		order.flags.ignore_permissions = True
		frappe.flags.order_review_comment = "Price"
		try:
			order.cancel()
		finally:
			frappe.flags.order_review_comment = None
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "cancellation_category"), "Price")


class TestPortalChangeRequest(FrappeTestCase):
	def test_a_customer_asks_for_a_change_from_the_portal(self):
		from order_mgmt.orders.change_portal import request_change
		from order_mgmt.tests.test_portal import make_portal_user

		item = make_item(rate=100, stock_qty=20)
		order = approved_order([{"item_code": item, "qty": 2}])
		user = make_portal_user(order.customer, key="change")
		with acting_as(user):
			result = request_change(
				order.name,
				"We need one more",
				json.dumps([{"order_item": order.items[0].name, "qty": 3, "rate": 1}]),
			)
		self.assertEqual((result["status"], result["tier"]), ("Applied", "Minor"))
		request = frappe.get_doc("Order Change Request", result["name"])
		self.assertEqual((request.channel, request.requested_by, request.owner), ("Portal", user, user))
		self.assertEqual(request.items[0].rate_after, 100)  # a customer's rate is not taken
		self.assertEqual(so_lines(order), [(item, 3, 100)])

	def test_another_customers_order_is_not_found(self):
		from order_mgmt.orders.change_portal import request_change
		from order_mgmt.tests.test_portal import make_portal_user

		order = approved_order([{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}])
		stranger = make_portal_user(make_customer(), key="stranger")
		with acting_as(stranger), self.assertRaises(frappe.PermissionError):
			request_change(
				order.name, "mine now", json.dumps([{"order_item": order.items[0].name, "qty": 9}])
			)
		self.assertEqual(so_lines(order)[0][1], 2)


class TestPortalChangePage(FrappeTestCase):
	"""The order page offers "Request a Change" on an approved order, lists the requests, and offers
	nothing to change on an order still in review."""

	def render(self, path: str, user: str) -> tuple[int, str]:
		from frappe.utils import set_request
		from frappe.website.serve import get_response

		try:
			with acting_as(user):
				set_request(method="GET", path=path)
				frappe.local.form_dict = frappe._dict()
				frappe.local.flags.redirect_location = None
				response = get_response()
			return response.status_code, frappe.safe_decode(response.get_data())
		finally:
			frappe.local.form_dict = frappe._dict()
			if hasattr(frappe.local, "request"):
				del frappe.local.request

	def test_an_approved_order_offers_a_change_and_lists_its_requests(self):
		from frappe.website.utils import clear_website_cache

		from order_mgmt.orders.change_portal import request_change
		from order_mgmt.tests.test_portal import make_portal_user

		clear_website_cache()
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}])
		user = make_portal_user(order.customer, key="change-page")
		status, html = self.render(f"/my-orders/{order.name}", user)
		self.assertEqual(status, 200)
		self.assertIn('id="request-change"', html)
		self.assertIn(f'data-order-item="{order.items[0].name}"', html)
		with acting_as(user):
			result = request_change(
				order.name, "one more", json.dumps([{"order_item": order.items[0].name, "qty": 3}])
			)
		status, html = self.render(f"/my-orders/{order.name}", user)
		self.assertIn(f'data-name="{result["name"]}"', html)

	def test_an_order_in_review_offers_no_change_request(self):
		from frappe.website.utils import clear_website_cache

		from order_mgmt.tests.test_portal import make_portal_user

		clear_website_cache()
		customer = make_customer()
		order = make_order(customer, [{"item_code": make_item(rate=100, stock_qty=20), "qty": 2}])
		user = make_portal_user(customer, key="change-page-draft")
		status, html = self.render(f"/my-orders/{order.name}", user)
		self.assertNotIn('id="request-change"', html)


class TestCancellationApproval(FrappeTestCase):
	def setUp(self):
		previous = frappe.db.get_single_value("Order Management Settings", "cancellation_approval_threshold")
		frappe.db.set_single_value("Order Management Settings", "cancellation_approval_threshold", 150)
		self.addCleanup(
			frappe.db.set_single_value,
			"Order Management Settings",
			"cancellation_approval_threshold",
			previous or 0,
		)

	def test_a_large_approved_order_is_cancelled_by_an_order_manager_only(self):
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=10), "qty": 2}])
		with acting_as(clerk()), self.assertRaises(CancellationApprovalError) as caught:
			cancel_order(order.name, "Customer Changed Mind")
		self.assertIn("Order Manager", str(caught.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 1)
		with acting_as(manager()):
			cancel_order(order.name, "Customer Changed Mind")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_name": order.name,
					"content": ("like", f"%approved by {manager()}%"),
				},
			)
		)

	def test_below_the_threshold_the_clerk_cancels(self):
		order = approved_order([{"item_code": make_item(rate=100, stock_qty=10), "qty": 1}])
		self.assertLess(order.base_grand_total, 150)
		with acting_as(clerk()):
			cancel_order(order.name, "Price")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)


class TestCancellationsAndChangesReport(FrappeTestCase):
	def test_cancel_and_change_rates_of_a_customer(self):
		from order_mgmt.order_mgmt.report.cancellations_and_changes.cancellations_and_changes import execute
		from order_mgmt.tests.utils import company

		customer = make_customer()
		item = make_item(rate=100, stock_qty=30)
		orders = [
			make_order(customer, [{"item_code": item, "qty": qty}], submit=True, customer_po=f"PO-CC-{qty}")
			for qty in (1, 2, 3)
		]
		ask_change(orders[0], [{"order_item": orders[0].items[0].name, "qty": 4}])
		cancel_order(orders[1].name, "too expensive", category="Price")
		filters = {"company": company(), "from_date": nowdate(), "to_date": nowdate(), "customer": customer}
		_columns, data, _message, chart = execute({**filters, "group_by": "Month"})
		(row,) = data
		self.assertEqual(
			(row["orders"], row["cancelled"], row["cancel_rate"], row["changed"], row["change_rate"]),
			(3, 1, 33.33, 1, 33.33),
		)
		self.assertTrue(chart)
		_columns, data, _message, _chart = execute({**filters, "group_by": "Cancellation Reason"})
		self.assertEqual(
			[(r["group"], r["cancelled"], r["share_of_cancellations"]) for r in data], [("Price", 1, 100)]
		)
		_columns, data, _message, _chart = execute({**filters, "group_by": "Stage"})
		self.assertEqual([(r["group"], r["cancelled"]) for r in data], [("After Approval", 1)])
