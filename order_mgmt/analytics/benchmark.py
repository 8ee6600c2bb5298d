"""Benchmark: the analytics reports over many orders (not a test; nothing it makes is kept).

  bench --site SITE execute order_mgmt.analytics.benchmark.run --kwargs '{"orders": 100000}'

In one transaction, rolled back at the end: `orders` submitted Customer Orders of a made-up company
spread over two years (30 % held for review, with a hold reason and a decided Order Review each, a
few rejected, returned or late), written with bulk inserts straight into the tables (no
controllers); then each report view is run over the whole two years and timed (median of `repeat`
runs, seconds). Approved orders also get (straight into ERPNext's tables, no controllers) a Sales
Order of two lines promised five days after the order date, one or two Delivery Notes (most within
eight days, so about two thirds on time; 10 % in two shipments), a Sales Invoice per delivery with
the cost at delivery, a few shortages with decisions, cancellations with reasons, amendments and
Return Requests (wrong item / not as described): the Delivery Performance, Order Accuracy, Sales
Analysis and Order Cycle Time figures measure real joins. Payments are not generated. The Order
Analytics Facts of the generated orders are then filled by facts.backfill — what a site's patch runs —
and timed on their own (`facts_backfill_s`).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta

import frappe

from order_mgmt.analytics import facts

COMPANY = "OMT Analytics Benchmark Co"


def run(orders: int = 100000, repeat: int = 3, profile: str | None = None) -> dict:
	"""`profile`: case names (see time_reports), comma-separated, to run once under cProfile and print,
	instead of timing every case."""
	frappe.db.rollback()
	try:
		start = time.perf_counter()
		generate(orders)
		generate_fulfilment(orders)
		result = {"orders": orders, "generate_s": round(time.perf_counter() - start, 1)}
		start = time.perf_counter()
		facts.backfill(COMPANY)
		result["facts_backfill_s"] = round(time.perf_counter() - start, 1)
		result.update(time_upkeep(orders))
		if profile:
			import cProfile
			import pstats

			profiler = cProfile.Profile()
			profiler.enable()
			time_reports(1, only=profile)
			profiler.disable()
			pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
		else:
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


def time_upkeep(orders: int, samples: int = 200) -> dict:
	"""What the facts' upkeep adds to a commit that touched one order (its facts recomputed) or one
	invoice (its lines rewritten), in milliseconds, averaged over `samples` generated documents."""
	rng = random.Random(17)
	names = [f"OMT-BENCH-{rng.randrange(orders):07d}" for _i in range(samples)]
	start = time.perf_counter()
	for name in names:
		facts.refresh([name])
	per_order = (time.perf_counter() - start) / samples
	invoices = frappe.get_all(
		"Sales Invoice", filters={"company": COMPANY, "docstatus": 1}, pluck="name", limit=samples
	)
	start = time.perf_counter()
	for name in invoices:
		facts.refresh_sales("Sales Invoice", [name])
	per_invoice = (time.perf_counter() - start) / max(1, len(invoices))
	return {
		"facts_upkeep_per_order_ms": round(per_order * 1000, 1),
		"facts_upkeep_per_invoice_ms": round(per_invoice * 1000, 1),
	}


def time_reports(repeat: int, only: str | None = None) -> dict:
	from order_mgmt.order_mgmt.report.delivery_performance import delivery_performance
	from order_mgmt.order_mgmt.report.order_accuracy import order_accuracy
	from order_mgmt.order_mgmt.report.order_cycle_time import order_cycle_time
	from order_mgmt.order_mgmt.report.review_performance import review_performance
	from order_mgmt.order_mgmt.report.sales_analysis import sales_analysis

	filters = {"company": COMPANY, "from_date": date.today() - timedelta(days=730), "to_date": date.today()}
	cases = {
		"delivery_performance_week": (delivery_performance, {"view": "Week"}),
		"delivery_performance_order": (delivery_performance, {"view": "Order"}),
		"delivery_performance_shortage": (delivery_performance, {"view": "Shortage"}),
		"order_accuracy_week": (order_accuracy, {"view": "Week"}),
		"order_accuracy_reason": (order_accuracy, {"view": "Cancellation Reason"}),
		"sales_analysis_customer": (sales_analysis, {"group_by": "Customer"}),
		"sales_analysis_item": (sales_analysis, {"group_by": "Item"}),
		"sales_analysis_item_group": (sales_analysis, {"group_by": "Item Group"}),
		"sales_analysis_month": (sales_analysis, {"group_by": "Month"}),
		"review_performance_week": (review_performance, {"view": "Week"}),
		"review_performance_stage": (review_performance, {"view": "Stage"}),
		"review_performance_reviewer": (review_performance, {"view": "Reviewer"}),
		"review_performance_hold_rule": (review_performance, {"view": "Hold Rule"}),
		"order_cycle_time_week": (order_cycle_time, {"view": "Week"}),
		"order_cycle_time_step": (order_cycle_time, {"view": "Step"}),
	}
	result = {}
	for case, (module, extra) in cases.items():
		if only and case not in only.split(","):
			continue
		times = []
		for _attempt in range(repeat):
			start = time.perf_counter()
			module.execute({**filters, **extra})
			times.append(time.perf_counter() - start)
		result[case] = round(statistics.median(times), 2)
	if only:
		return result
	from order_mgmt.analytics.policy_replay import replay_policy

	draft = [{"name": "Draft", "condition": "Grand Total At Least", "stage": "Sales", "threshold": 5000}]
	times = []
	for _attempt in range(repeat):
		start = time.perf_counter()
		replay_policy(rules=draft, orders=10000, company=COMPANY)
		times.append(time.perf_counter() - start)
	result["policy_replay_10000"] = round(statistics.median(times), 2)
	return result


def replay(orders: int = 10000, repeat: int = 3) -> dict:
	"""The policy replay alone, over `orders` generated orders (rolled back like `run`);
	`bench --site SITE execute order_mgmt.analytics.benchmark.replay --kwargs '{"orders": 10000}'`.
	The held orders' reviews get frozen facts (a two-line JSON, as a submit freezes them), the
	auto-approved ones are rebuilt from the order record; timed: `replay_policy` (rules sent with the
	call) and a Review Policy replayed inline (`run_policy_replay`, result stored on the policy)."""
	from order_mgmt.analytics import policy_replay
	from order_mgmt.analytics.replay import facts_to_dict
	from order_mgmt.review.engine import LineFacts, OrderFacts

	frappe.db.rollback()
	try:
		start = time.perf_counter()
		generate(orders)
		generate_fulfilment(orders)
		facts = OrderFacts(
			grand_total=1200.0,
			lines=(
				LineFacts(1, "OMT-BENCH-ITEM-1", 2, projected_qty=50),
				LineFacts(2, "OMT-BENCH-ITEM-2", 1),
			),
			credit_limit=5000.0,
			outstanding=800.0,
		)
		frappe.db.sql(
			"""update `tabOrder Review` review join `tabCustomer Order` co on co.name = review.customer_order
			set review.decision_facts = %s where co.company = %s""",
			(frappe.as_json(facts_to_dict(facts), indent=None), COMPANY),
		)
		result = {"orders": orders, "generate_s": round(time.perf_counter() - start, 1)}
		rules = [
			{"name": "Draft", "condition": "Grand Total At Least", "stage": "Sales", "threshold": 5000},
			{"name": "Draft credit", "condition": "Credit Over Limit", "stage": "Finance"},
		]
		policy = frappe.get_doc(
			{
				"doctype": "Review Policy",
				"title": "OMT benchmark",
				"rules": [{**rule, "rule_name": rule["name"]} for rule in rules],
			}
		).insert(ignore_permissions=True)
		for case, call in (
			(
				"replay_policy",
				lambda: policy_replay.replay_policy(rules=rules, orders=orders, company=COMPANY),
			),
			(
				"review_policy_inline",
				lambda: policy_replay.run_policy_replay(policy.name, orders, company=COMPANY, progress=False),
			),
		):
			times = []
			for _attempt in range(repeat):
				begin = time.perf_counter()
				summary = call()
				times.append(time.perf_counter() - begin)
			result[f"{case}_{orders}_s"] = round(statistics.median(times), 2)
		result["replayed"], result["rebuilt"] = summary["orders"], summary["rebuilt"]
	finally:
		frappe.db.rollback()
	print(result)
	return result


ITEMS = 200
ITEM_GROUPS = ("OMT Bench Group A", "OMT Bench Group B", "OMT Bench Group C")
RETURN_REASONS = ("Wrong Item", "Not as Described", "Damaged in Transit")
SHORTAGE_ACTIONS = ("Backorder", "Ship Partially", "Substitute", "Cancel Line", "")


def generate_fulfilment(orders: int) -> None:
	"""Sales Orders, Delivery Notes, Sales Invoices, order lines, shortages, cancellations, amendments
	and Return Requests for the orders `generate` made (same seed: reproducible)."""
	rng = random.Random(16)
	now = datetime.now()
	rows: dict[str, list[tuple]] = {
		key: [] for key in ("so", "soi", "dn", "dni", "si", "sii", "coi", "rr", "rri")
	}
	order_updates: list[tuple] = []
	decisions = dict(
		frappe.db.sql("select name, review_decision from `tabCustomer Order` where company = %s", COMPANY)
	)
	days = dict(frappe.db.sql("select name, order_date from `tabCustomer Order` where company = %s", COMPANY))
	for i in range(orders):
		name = f"OMT-BENCH-{i:07d}"
		day, customer = days[name], f"OMT Bench Customer {i % 500}"
		lines = []
		for idx in (1, 2):
			code = rng.randrange(ITEMS)
			qty, rate = float(rng.randrange(1, 10)), float(10 + code)
			lines.append((f"{name}-L{idx}", f"OMT Bench Item {code}", ITEM_GROUPS[code % 3], qty, rate, idx))
		for line_name, item, _group, qty, rate, idx in lines:
			short = rng.random() < 0.05
			rows["coi"].append(
				(
					line_name,
					name,
					"Customer Order",
					"items",
					idx,
					item,
					qty,
					rate,
					qty * rate,
					f"{line_name}-SO",
					qty / 2 if short else 0,
					rng.choice(SHORTAGE_ACTIONS) if short else "",
					now,
					now,
				)
			)
		if decisions[name] in ("Rejected", "Returned for Changes"):
			continue
		outcome = rng.random()
		if outcome < 0.03:
			order_updates.append(
				(name, 2, "Customer changed mind" if outcome < 0.02 else "Duplicate order", None)
			)
			continue
		so = f"OMT-BSO-{i:07d}"
		order_updates.append((name, 1, None, so))
		promised = day + timedelta(days=5)
		total = sum(qty * rate for _l, _i, _g, qty, rate, _x in lines)
		rows["so"].append(
			(
				so,
				COMPANY,
				customer,
				day,
				promised,
				1,
				total,
				total,
				"All Territories",
				"All Customer Groups",
				now,
				now,
			)
		)
		delivered = rng.random() < 0.95
		for line_name, item, group, qty, rate, idx in lines:
			rows["soi"].append(
				(
					f"{line_name}-SO",
					so,
					"Sales Order",
					"items",
					idx,
					1,
					item,
					group,
					qty,
					qty if delivered else 0,
					promised,
					rate,
					qty * rate,
					qty * rate,
					now,
					now,
				)
			)
		if not delivered:
			continue
		shipments = 2 if rng.random() < 0.1 else 1
		for shipment in range(shipments):
			note, invoice = f"OMT-BDN-{i:07d}-{shipment}", f"OMT-BSI-{i:07d}-{shipment}"
			shipped_on = day + timedelta(days=rng.randrange(1, 9))
			shipped = lines if shipments == 1 else [lines[shipment]]
			rows["dn"].append((note, COMPANY, customer, shipped_on, 1, 0, now, now))
			rows["si"].append(
				(
					invoice,
					COMPANY,
					customer,
					shipped_on + timedelta(days=1),
					1,
					0,
					"All Territories",
					"All Customer Groups",
					now,
					now,
				)
			)
			for line_name, item, group, qty, rate, idx in shipped:
				rows["dni"].append(
					(
						f"{line_name}-DN",
						note,
						"Delivery Note",
						"items",
						idx,
						1,
						item,
						qty,
						qty,
						so,
						f"{line_name}-SO",
						rate * 0.6,
						now,
						now,
					)
				)
				rows["sii"].append(
					(
						f"{line_name}-SI",
						invoice,
						"Sales Invoice",
						"items",
						idx,
						1,
						item,
						group,
						qty,
						qty,
						qty * rate,
						so,
						f"{line_name}-SO",
						f"{line_name}-DN",
						0,
						now,
						now,
					)
				)
		if rng.random() < 0.04:
			request = f"OMT-BRR-{i:07d}"
			rows["rr"].append((request, COMPANY, customer, name, shipped_on, 1, "Approved", now, now))
			rows["rri"].append(
				(
					f"{request}-1",
					request,
					"Return Request",
					"items",
					1,
					lines[0][1],
					1,
					rng.choice(RETURN_REASONS),
					now,
					now,
				)
			)
	child = ["name", "parent", "parenttype", "parentfield", "idx"]
	frappe.db.bulk_insert(
		"Customer Order Item",
		[
			*child,
			"item_code",
			"qty",
			"rate",
			"amount",
			"sales_order_item",
			"shortage_qty",
			"shortage_action",
			"creation",
			"modified",
		],
		rows["coi"],
	)
	frappe.db.bulk_insert(
		"Sales Order",
		[
			"name",
			"company",
			"customer",
			"transaction_date",
			"delivery_date",
			"docstatus",
			"net_total",
			"base_net_total",
			"territory",
			"customer_group",
			"creation",
			"modified",
		],
		rows["so"],
	)
	frappe.db.bulk_insert(
		"Sales Order Item",
		[
			*child,
			"docstatus",
			"item_code",
			"item_group",
			"qty",
			"delivered_qty",
			"delivery_date",
			"rate",
			"amount",
			"base_net_amount",
			"creation",
			"modified",
		],
		rows["soi"],
	)
	frappe.db.bulk_insert(
		"Delivery Note",
		["name", "company", "customer", "posting_date", "docstatus", "is_return", "creation", "modified"],
		rows["dn"],
	)
	frappe.db.bulk_insert(
		"Delivery Note Item",
		[
			*child,
			"docstatus",
			"item_code",
			"qty",
			"stock_qty",
			"against_sales_order",
			"so_detail",
			"incoming_rate",
			"creation",
			"modified",
		],
		rows["dni"],
	)
	frappe.db.bulk_insert(
		"Sales Invoice",
		[
			"name",
			"company",
			"customer",
			"posting_date",
			"docstatus",
			"is_return",
			"territory",
			"customer_group",
			"creation",
			"modified",
		],
		rows["si"],
	)
	frappe.db.bulk_insert(
		"Sales Invoice Item",
		[
			*child,
			"docstatus",
			"item_code",
			"item_group",
			"qty",
			"stock_qty",
			"base_net_amount",
			"sales_order",
			"so_detail",
			"dn_detail",
			"incoming_rate",
			"creation",
			"modified",
		],
		rows["sii"],
	)
	frappe.db.bulk_insert(
		"Return Request",
		[
			"name",
			"company",
			"customer",
			"customer_order",
			"posting_date",
			"docstatus",
			"status",
			"creation",
			"modified",
		],
		rows["rr"],
	)
	frappe.db.bulk_insert(
		"Return Request Item",
		[*child, "item_code", "qty", "reason", "creation", "modified"],
		rows["rri"],
	)
	order = frappe.qb.DocType("Customer Order")
	for docstatus in (1, 2):
		batch = [u for u in order_updates if u[1] == docstatus]
		if docstatus == 2:
			for reason in {u[2] for u in batch}:
				names = [u[0] for u in batch if u[2] == reason]
				for start in range(0, len(names), 5000):
					frappe.qb.update(order).set(order.docstatus, 2).set(
						order.cancellation_reason, reason
					).where(order.name.isin(names[start : start + 5000])).run()
		else:
			# the Sales Order names follow the order names: one UPDATE … JOIN-free statement per batch
			for start in range(0, len(batch), 5000):
				names = [u[0] for u in batch[start : start + 5000]]
				frappe.db.sql(
					"""update `tabCustomer Order` set sales_order = concat('OMT-BSO-', substring(name, 11))
					where name in %(names)s""",
					{"names": names},
				)
	# 1 % of the delivered orders amend an approved order (a cancelled copy of it, with a Sales Order)
	amended = [u[0] for u in order_updates if u[1] == 1][: orders // 100]
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
			"sales_order",
			"cancellation_reason",
			"creation",
			"modified",
		],
		[
			(
				f"{name}-0",
				COMPANY,
				"OMT Bench Customer 0",
				days[name],
				2,
				"Auto-approved",
				"Desk",
				"Standard",
				f"OMT-BSO-{name[10:]}",
				"Changed",
				now,
				now,
			)
			for name in amended
		],
	)
	for start in range(0, len(amended), 5000):
		frappe.db.sql(
			"update `tabCustomer Order` set amended_from = concat(name, '-0') where name in %(names)s",
			{"names": amended[start : start + 5000]},
		)


def explain(orders: int = 5000, cases: str = "delivery_performance_week,sales_analysis_customer") -> None:
	"""Print MariaDB's plan of every SELECT the given cases run (or, for "upkeep", the facts' upkeep of
	one order and one invoice), over `orders` generated orders (rolled back): a diagnostic for slow
	reports."""
	frappe.db.rollback()
	captured: list[str] = []
	sql = frappe.db.sql

	def capture(query, *args, **kwargs):
		captured.append((str(query), args[0] if args else kwargs.get("values")))
		return sql(query, *args, **kwargs)

	try:
		generate(orders)
		generate_fulfilment(orders)
		facts.backfill(COMPANY)
		frappe.db.sql = capture
		if cases == "upkeep":  # the statements of one order's and one invoice's facts upkeep
			facts.refresh([f"OMT-BENCH-{orders // 2:07d}"])
			facts.refresh_sales("Sales Invoice", [f"OMT-BSI-{orders // 2:07d}-0"])
		else:
			time_reports(1, only=cases)
		frappe.db.sql = sql
		for query, values in captured:
			if query.lstrip().upper().startswith("SELECT"):
				start = time.perf_counter()
				sql(query, values)
				print(
					"====",
					round((time.perf_counter() - start) * 1000, 1),
					"ms",
					" ".join(query.split())[:400],
				)
				for row in sql("EXPLAIN " + query, values):
					print("   ", row[:10])
	finally:
		frappe.db.sql = sql
		frappe.db.rollback()
