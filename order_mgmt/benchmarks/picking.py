"""Benchmark: one batch Pick List over many approved orders, against ERPNext's own pick list per order.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.picking.run --kwargs '{"orders": 50}'

or scripts/benchmark.sh picking. In one transaction, rolled back at the end (as the intake benchmark):

- (a) ERPNext: `orders` plain Sales Orders (no reservation), and for each, ERPNext's
  `create_pick_list` (its item locations), insert and submit: one Pick List per order;
- (a2) the same, also reserving the picked stock from each Pick List (ERPNext's way of holding
  stock that is picked; it refuses Pick Lists for Sales Orders that hold reservations);
- (b) the app: `orders` Customer Orders approved to Sales Orders with reserved stock, and one
  `build_pick_list` over all of them (release, pick in priority order, re-reserve from the Pick List);
- (c) the same batch over a fifth of the orders, to show how the batch's cost grows per order.

Only the pick-list step is measured; the orders are made beforehand. Each order has LINES lines.
"""

from __future__ import annotations

from collections import Counter

import frappe
from erpnext.selling.doctype.sales_order.sales_order import create_pick_list as erpnext_create_pick_list
from frappe.utils import add_days, cint, nowdate

from order_mgmt.benchmarks.intake import (
	SETTINGS,
	BenchmarkError,
	Recorder,
	instrumented_db,
	settings_for_auto_approval,
)
from order_mgmt.fulfilment.picking import build_pick_list
from order_mgmt.tests.utils import company, make_customer, make_item, order_doc, warehouse

LINES = 3
QTY = 2


def _sales_order(customer: str, items: list[str]) -> str:
	delivery_date = add_days(nowdate(), 5)
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"transaction_date": nowdate(),
			"delivery_date": delivery_date,
			"reserve_stock": 0,
			"items": [
				{"item_code": item, "qty": QTY, "warehouse": warehouse(), "delivery_date": delivery_date}
				for item in items
			],
		}
	)
	so.insert()
	so.submit()
	return so.name


def _approved_order(customer: str, items: list[str], index: int) -> str:
	order = order_doc(
		customer,
		[{"item_code": item, "qty": QTY} for item in items],
		customer_po=f"BENCH-PICK-{index}-{frappe.generate_hash(length=6)}",
		priority=("Urgent", "High", "Normal")[index % 3],
	)
	order.insert()
	order.submit()
	if not order.sales_order:
		raise BenchmarkError(f"{order.name} was not approved: {order.status}")
	return order.name


def _timed(recorder: Recorder, call) -> tuple[float, Counter]:
	return recorder.timed(call)


def run(orders: int = 50) -> dict:
	orders = cint(orders)
	if orders < 5:
		raise BenchmarkError("orders must be at least 5")
	small = max(orders // 5, 1)
	frappe.set_user("Administrator")
	frappe.db.rollback()
	recorder = Recorder()
	results: dict = {}
	try:
		with instrumented_db(recorder):
			settings_for_auto_approval()
			stock = QTY * (3 * orders + small) * 2 + 100
			items = [make_item(stock_qty=stock) for _ in range(LINES)]
			customer = make_customer()

			# (a) ERPNext, one pick list per Sales Order; (a2) the same, then reserving the picked
			# stock from each Pick List (ERPNext's way to reserve stock that is picked).
			baselines = {}
			for reserve in (False, True):
				per_order: list[tuple[float, Counter]] = []
				for name in [_sales_order(customer, items) for _ in range(orders)]:

					def erpnext_pick(name=name, reserve=reserve):
						pick_list = erpnext_create_pick_list(name)
						pick_list.insert()
						pick_list.submit()
						if reserve:
							pick_list.create_stock_reservation_entries(notify=False)

					per_order.append(_timed(recorder, erpnext_pick))
				baselines[reserve] = (
					sum(seconds for seconds, _ in per_order),
					sum(sum(q.values()) for _, q in per_order),
				)

			# (c) then (b): the app's batch over a fifth, then over all of the orders.
			batches = {}
			for size in (small, orders):
				names = [_approved_order(customer, items, index) for index in range(size)]
				holder: dict = {}
				seconds, queries = _timed(
					recorder, lambda names=names, holder=holder: holder.update(name=build_pick_list(names))
				)
				picked = frappe.db.count("Pick List Item", {"parent": holder["name"]})
				if picked != size * LINES:
					raise BenchmarkError(f"The batch picked {picked} lines, not {size * LINES}")
				batches[size] = (seconds, sum(queries.values()))
	finally:
		frappe.db.rollback()
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	erpnext_seconds, erpnext_queries = baselines[False]
	reserving_seconds, reserving_queries = baselines[True]
	batch_seconds, batch_queries = batches[orders]
	small_seconds, small_queries = batches[small]
	results = {
		"orders": orders,
		"lines_per_order": LINES,
		"erpnext_per_order_pick_lists": {
			"total_ms": round(erpnext_seconds * 1000, 1),
			"ms_per_order": round(erpnext_seconds * 1000 / orders, 1),
			"queries": erpnext_queries,
			"queries_per_order": round(erpnext_queries / orders, 1),
		},
		"erpnext_per_order_pick_lists_reserving": {
			"total_ms": round(reserving_seconds * 1000, 1),
			"ms_per_order": round(reserving_seconds * 1000 / orders, 1),
			"queries": reserving_queries,
			"queries_per_order": round(reserving_queries / orders, 1),
		},
		"batch_pick_list": {
			"total_ms": round(batch_seconds * 1000, 1),
			"ms_per_order": round(batch_seconds * 1000 / orders, 1),
			"queries": batch_queries,
			"queries_per_order": round(batch_queries / orders, 1),
		},
		f"batch_pick_list_{small}_orders": {
			"total_ms": round(small_seconds * 1000, 1),
			"queries": small_queries,
			"queries_per_order": round(small_queries / small, 1),
		},
		"batch_over_erpnext": {
			"time": round(batch_seconds / erpnext_seconds, 2),
			"queries": round(batch_queries / erpnext_queries, 2),
		},
		"batch_over_erpnext_reserving": {
			"time": round(batch_seconds / reserving_seconds, 2),
			"queries": round(batch_queries / reserving_queries, 2),
		},
		"batch_marginal_queries_per_order": round((batch_queries - small_queries) / (orders - small), 1),
	}
	print(
		f"\nPick-list benchmark, {orders} orders x {LINES} lines\n"
		f"  ERPNext, one pick list per order: {results['erpnext_per_order_pick_lists']}\n"
		f"  ... and reserving from each:      {results['erpnext_per_order_pick_lists_reserving']}\n"
		f"  batch pick list over {orders}:        {results['batch_pick_list']}\n"
		f"  batch pick list over {small}:         {results[f'batch_pick_list_{small}_orders']}\n"
		f"  batch / ERPNext: time x{results['batch_over_erpnext']['time']}, "
		f"queries x{results['batch_over_erpnext']['queries']}; against ERPNext reserving: time "
		f"x{results['batch_over_erpnext_reserving']['time']}, queries x{results['batch_over_erpnext_reserving']['queries']}; "
		f"marginal queries per extra order in the batch: {results['batch_marginal_queries_per_order']}\n"
	)
	return results
