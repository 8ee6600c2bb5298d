"""Benchmark: the analytics reports over many orders (not a test; nothing it makes is kept).

  bench --site SITE execute order_mgmt.analytics.benchmark.run --kwargs '{"orders": 100000}'

In one transaction, rolled back at the end: `orders` submitted Customer Orders of a made-up company
spread over two years (30 % held for review, with a hold reason and a decided Order Review each, a
few rejected, returned or late), written with bulk inserts straight into the tables (no
controllers); then each report view is run over the whole two years and timed (median of `repeat`
runs, seconds). Deliveries, invoices and payments are not generated: the Order Cycle Time figures
measure its order, review and join queries over empty ERPNext tables only.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta

import frappe

COMPANY = "OMT Analytics Benchmark Co"


def run(orders: int = 100000, repeat: int = 3) -> dict:
	frappe.db.rollback()
	try:
		start = time.perf_counter()
		generate(orders)
		result = {"orders": orders, "generate_s": round(time.perf_counter() - start, 1)}
		result.update(time_reports(repeat))
	finally:
		frappe.db.rollback()
	assert not frappe.db.exists("Customer Order", {"company": COMPANY}), "the benchmark's orders were kept"
	print(result)
	return result


def generate(orders: int) -> None:
	rng = random.Random(15)
	first = date.today() - timedelta(days=730)
	order_rows, review_rows, hold_rows = [], [], []
	now = datetime.now()
	for i in range(orders):
		name = f"OMT-BENCH-{i:07d}"
		day = first + timedelta(days=rng.randrange(730))
		held = rng.random() < 0.3
		outcome = rng.random()
		decision = "Auto-approved"
		if held:
			decision = (
				"Rejected" if outcome < 0.05 else "Returned for Changes" if outcome < 0.1 else "Approved"
			)
		order_rows.append(
			(name, COMPANY, f"OMT Bench Customer {i % 500}", day, 1, decision, "Desk", "Standard", now, now)
		)
		if held:
			requested = datetime(day.year, day.month, day.day, 9) + timedelta(minutes=rng.randrange(480))
			decided = requested + timedelta(hours=rng.random() * 36)
			review_rows.append(
				(
					frappe.generate_hash(length=12),
					name,
					"Sales",
					decision,
					f"reviewer{rng.randrange(8)}@example.com",
					requested,
					decided,
					requested + timedelta(hours=24),
					0,
					now,
					now,
				)
			)
			hold_rows.append(
				(
					frappe.generate_hash(length=12),
					name,
					"Customer Order",
					"hold_reasons",
					"Large order",
					now,
					now,
				)
			)
	frappe.db.bulk_insert(
		"Customer Order",
		[
			"name",
			"company",
			"customer",
			"order_date",
			"docstatus",
			"review_decision",
			"channel",
			"order_type",
			"creation",
			"modified",
		],
		order_rows,
	)
	frappe.db.bulk_insert(
		"Order Review",
		[
			"name",
			"customer_order",
			"stage",
			"decision",
			"reviewer",
			"requested_on",
			"decided_on",
			"sla_due",
			"is_overdue",
			"creation",
			"modified",
		],
		review_rows,
	)
	frappe.db.bulk_insert(
		"Customer Order Hold Reason",
		["name", "parent", "parenttype", "parentfield", "rule", "creation", "modified"],
		hold_rows,
	)


def time_reports(repeat: int) -> dict:
	from order_mgmt.order_mgmt.report.order_cycle_time import order_cycle_time
	from order_mgmt.order_mgmt.report.review_performance import review_performance

	filters = {"company": COMPANY, "from_date": date.today() - timedelta(days=730), "to_date": date.today()}
	cases = {
		"review_performance_week": (review_performance, "Week"),
		"review_performance_stage": (review_performance, "Stage"),
		"review_performance_reviewer": (review_performance, "Reviewer"),
		"review_performance_hold_rule": (review_performance, "Hold Rule"),
		"order_cycle_time_week": (order_cycle_time, "Week"),
		"order_cycle_time_step": (order_cycle_time, "Step"),
	}
	result = {}
	for case, (module, view) in cases.items():
		times = []
		for _attempt in range(repeat):
			start = time.perf_counter()
			module.execute({**filters, "view": view})
			times.append(time.perf_counter() - start)
		result[case] = round(statistics.median(times), 2)
	return result
