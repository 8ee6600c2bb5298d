"""Benchmark: one batch Pick List over many approved orders, against ERPNext's own pick list per order.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.picking.run --kwargs '{"orders": 50}'

or scripts/benchmark.sh picking. In one transaction, rolled back at the end (as the intake benchmark):

- (a) ERPNext, one Pick List per Sales Order with its own `create_pick_list`, insert and submit, in
  three ways: "plain" (unreserved orders), "reserving" (also reserving the picked stock from each
  Pick List, ERPNext's way of holding picked stock) and "reserved_so" (orders reserved on submit, as
  the app's approved orders are: ERPNext's Unreserve first — it refuses pick lists for orders
  holding reservations —, then the pick list and the reservation from it: like for like);
- (b) the app: `orders` Customer Orders approved to Sales Orders with reserved stock, and one
  `build_pick_list` over all of them (release, pick in priority order, re-reserve from the Pick List);
- (c) the same batch over a fifth of the orders, to show how the batch's cost grows per order.

Only the pick-list step is measured; the orders are made beforehand. Each order has LINES lines.
"""

from __future__ import annotations

from collections import Counter

import frappe
from erpnext.selling.doctype.sales_order.sales_order import create_pick_list as erpnext_create_pick_list
from erpnext.stock.doctype.stock_reservation_entry.stock_reservation_entry import (
	cancel_stock_reservation_entries,
)
from frappe.utils import cint

from order_mgmt.benchmarks.intake import (
	SETTINGS,
	BenchmarkError,
	Recorder,
	instrumented_db,
	settings_for_auto_approval,
)
from order_mgmt.fulfilment.picking import build_pick_list
from order_mgmt.tests.utils import make_customer, make_item, make_sales_order, order_doc

LINES = 3
QTY = 2
PLAIN, RESERVING, RESERVED_SO = "plain", "reserving", "reserved_so"
SCENARIOS = {
	PLAIN: "pick list per unreserved order",
	RESERVING: "pick list per unreserved order, reserving from it",
	RESERVED_SO: "unreserve reserved order, pick list, reserve from it",
}


def _sales_order(customer: str, items: list[str], reserve: bool = False) -> str:
	# with reserve, ERPNext reserves the stock on submit
	return make_sales_order(customer, dict.fromkeys(items, QTY), reserve=reserve)


def _erpnext_pick(name: str, scenario: str) -> None:
	"""ERPNext's own steps for one Sales Order."""
	if scenario == RESERVED_SO:
		# ERPNext's Unreserve: it refuses pick lists for Sales Orders holding reservations.
		cancel_stock_reservation_entries("Sales Order", name, notify=False)
	pick_list = erpnext_create_pick_list(name)
	pick_list.insert()
	pick_list.submit()
	if scenario in (RESERVING, RESERVED_SO):
		pick_list.create_stock_reservation_entries(notify=False)


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
			stock = QTY * (4 * orders + small) * 2 + 100
			items = [make_item(stock_qty=stock) for _ in range(LINES)]
			customer = make_customer()

			# (a) ERPNext, one pick list per Sales Order, in each of its ways (SCENARIOS).
			baselines = {}
			for scenario in SCENARIOS:
				per_order: list[tuple[float, Counter]] = []
				names = [
					_sales_order(customer, items, reserve=scenario == RESERVED_SO) for _ in range(orders)
				]
				for name in names:
					per_order.append(
						_timed(recorder, lambda name=name, scenario=scenario: _erpnext_pick(name, scenario))
					)
				baselines[scenario] = (
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

	batch_seconds, batch_queries = batches[orders]
	small_seconds, small_queries = batches[small]

	def figures(seconds: float, queries: int, count: int) -> dict:
		return {
			"total_ms": round(seconds * 1000, 1),
			"ms_per_order": round(seconds * 1000 / count, 1),
			"queries": queries,
			"queries_per_order": round(queries / count, 1),
		}

	results = {
		"orders": orders,
		"lines_per_order": LINES,
		**{f"erpnext_{scenario}": figures(*baselines[scenario], orders) for scenario in SCENARIOS},
		"batch": figures(batch_seconds, batch_queries, orders),
		f"batch_{small}_orders": figures(small_seconds, small_queries, small),
		"batch_marginal_queries_per_order": round((batch_queries - small_queries) / (orders - small), 1),
		"batch_over_erpnext": {
			scenario: {
				"time": round(batch_seconds / baselines[scenario][0], 2),
				"queries": round(batch_queries / baselines[scenario][1], 2),
			}
			for scenario in SCENARIOS
		},
	}
	print(f"\nPick-list benchmark, {orders} orders x {LINES} lines (per order: ms, SQL statements)")
	for scenario in SCENARIOS:
		row = results[f"erpnext_{scenario}"]
		ratio = results["batch_over_erpnext"][scenario]
		print(
			f"  ERPNext {SCENARIOS[scenario]:<52} {row['ms_per_order']:>7.1f} ms {row['queries_per_order']:>7.1f} q"
			f"   batch/this: time x{ratio['time']}, queries x{ratio['queries']}"
		)
	for key, label in (
		("batch", f"one batch over {orders}"),
		(f"batch_{small}_orders", f"one batch over {small}"),
	):
		row = results[key]
		print(f"  app, {label:<55} {row['ms_per_order']:>7.1f} ms {row['queries_per_order']:>7.1f} q")
	print(
		f"  marginal statements per extra order in the batch: {results['batch_marginal_queries_per_order']}\n"
	)
	return results
