"""Benchmark: promising one line, and re-promising an item after a slip, with many open promises.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.promise_speed.run \
      --kwargs '{"open_lines": 50000, "hot_lines": 1000, "samples": 100}'

It bulk-inserts `open_lines` open order lines with their Delivery Promises on future supply
(spread over 500 items; `hot_lines` of them on one real stock item with a Purchase Order), then
times `promising.promise_rows` for one new line of the hot item (the call the form, the portal
cart and approval make) `samples` times — p50/p95 in ms and statements per call — and finally
moves the Purchase Order past every promise on it and times `repromise_pairs` re-promising all
`hot_lines` lines (target: p95 ≤ 200 ms; re-promise ≤ 60 s).

Nothing is kept: one transaction, rolled back at the end.
"""

from __future__ import annotations

import time

import frappe
from frappe.utils import add_days, cint, now_datetime, nowdate

from order_mgmt.benchmarks.intake import Recorder, instrumented_db, percentile
from order_mgmt.fulfilment.promising import promise_rows, repromise_pairs
from order_mgmt.tests.utils import company, make_item, make_purchase_order, warehouse

ITEMS = 500


def _insert_lines(open_lines: int, hot_lines: int, hot_item: str, the_warehouse: str) -> None:
	now = now_datetime()
	line_fields = ["name", "creation", "modified", "owner", "modified_by", "parent", "parenttype", "parentfield",
		"idx", "item_code", "qty", "stock_qty", "shortage_qty", "warehouse"]  # fmt: skip
	promise_fields = ["name", "creation", "modified", "owner", "modified_by", "customer_order", "order_item",
		"item_code", "warehouse", "qty", "promised_on", "original_promised_on", "status", "from_stock", "priority"]  # fmt: skip
	lines, promises = [], []
	for index in range(open_lines):
		hot = index < hot_lines
		item = hot_item if hot else f"BENCH-PROMISE-ITEM-{index % ITEMS:03d}"
		line_name = f"BENCH-COI-{index:06d}"
		order = f"BENCH-CO-{index // 5:06d}"
		on = add_days(nowdate(), 5 + index % 30)
		qty = 1 if hot else 2
		lines.append((line_name, now, now, "Administrator", "Administrator", order, "Customer Order", "items",
			index % 5 + 1, item, qty, qty, qty, the_warehouse))  # fmt: skip
		promises.append((f"BENCH-DP-{index:06d}", now, now, "Administrator", "Administrator", order, line_name,
			item, the_warehouse, qty, on, on, "Open", 0, "Normal"))  # fmt: skip
	order_fields = ["name", "creation", "modified", "owner", "modified_by", "docstatus", "customer", "company",
		"status", "order_date"]  # fmt: skip
	customer = frappe.get_all("Customer", pluck="name", limit=1)[0]
	orders = [(f"BENCH-CO-{index:06d}", now, now, "Administrator", "Administrator", 1, customer, company(),
		"Approved", nowdate()) for index in range((open_lines + 4) // 5)]  # fmt: skip
	frappe.db.bulk_insert("Customer Order", order_fields, orders, chunk_size=5000)
	frappe.db.bulk_insert("Customer Order Item", line_fields, lines, chunk_size=5000)
	frappe.db.bulk_insert("Delivery Promise", promise_fields, promises, chunk_size=5000)


def run(open_lines: int = 50000, hot_lines: int = 1000, samples: int = 100) -> dict:
	open_lines, hot_lines, samples = cint(open_lines), cint(hot_lines), cint(samples)
	frappe.db.rollback()
	frappe.flags.in_test = True  # factories' naming; nothing is committed
	try:
		hot_item = make_item(stock_qty=0)
		po = make_purchase_order(hot_item, hot_lines * 2, add_days(nowdate(), 4))
		started = time.perf_counter()
		_insert_lines(open_lines, hot_lines, hot_item, warehouse())
		inserted_in = time.perf_counter() - started

		row = {
			"idx": 1,
			"item_code": hot_item,
			"warehouse": warehouse(),
			"stock_qty": 5,
			"delivery_date": None,
		}
		for _ in range(5):
			promise_rows(company(), [row])
		recorder = Recorder()
		timings, statements = [], []
		with instrumented_db(recorder):
			for _ in range(samples):
				elapsed, counter = recorder.timed(lambda: promise_rows(company(), [row]))
				timings.append(elapsed * 1000)
				statements.append(sum(counter.values()))
		example = promise_rows(company(), [row])[0]["promise"]

		# The Purchase Order slips past every promise on it: re-promise the whole item.
		frappe.db.set_value(
			"Purchase Order Item", {"parent": po.name}, "schedule_date", add_days(nowdate(), 60)
		)
		started = time.perf_counter()
		moved = repromise_pairs([(hot_item, warehouse())], "benchmark slip")
		repromise_seconds = time.perf_counter() - started

		result = {
			"open_lines": open_lines,
			"hot_item_lines": hot_lines,
			"insert_seconds": round(inserted_in, 1),
			"promise_p50_ms": round(percentile(timings, 0.5), 1),
			"promise_p95_ms": round(percentile(timings, 0.95), 1),
			"promise_statements": max(statements),
			"example": example,
			"repromised_lines": len(moved),
			"repromise_seconds": round(repromise_seconds, 1),
		}
	finally:
		frappe.db.rollback()
	for key, value in result.items():
		print(f"{key:>22}: {value}")
	return result
