"""Benchmark: the analytics reports over many orders (not a test).

  bench --site SITE execute order_mgmt.analytics.benchmark.run --kwargs '{"orders": 100000}'

Data: `orders` submitted Customer Orders of a made-up company (COMPANY) spread over two years (30 %
held for review, with a hold reason and a decided Order Review each, a few rejected, returned or
late), written with bulk inserts straight into the tables (no controllers). Approved orders also get
(straight into ERPNext's tables, no controllers) a Sales Order of two lines promised five days after
the order date, one or two Delivery Notes (most within eight days, so about two thirds on time; 10 %
in two shipments), a Sales Invoice per delivery with the cost at delivery, a few shortages with
decisions, cancellations with reasons, amendments and Return Requests (wrong item / not as
described): the Delivery Performance, Order Accuracy, Sales Analysis and Order Cycle Time figures
measure real joins. Payments are not generated. The Order and Sales Analytics Facts of the
generated rows are then filled by facts.backfill — what a site's patch runs — and timed on their own
(`facts_backfill_s`). Then each report view is run over the whole two years (median of `repeat`
runs, seconds), the policy replay over 10,000 orders, and the facts' upkeep of one order and one
invoice (`time_upkeep`, rolled back).

Two modes:
- committed (default): what a real site sees. The rows are COMMITTED in batches, so this mode runs
  only on a site made for tests (`allow_tests` in its site config, as run-tests.sh's sites have) —
  never on the demo or a production site. Afterwards the benchmark company's rows are deleted (in
  batches, committed) unless `keep=True`; a later run with the same `orders` finds them (and their
  facts) and reuses them, so timing can be repeated without the minutes of generating and
  backfilling 100k orders. `clear()` deletes them.
- `in_transaction=True`: generation, backfill and timing in ONE open transaction, rolled back at the
  end (nothing is kept; runs on any site). It measures reads of rows the reader's own open
  transaction wrote: InnoDB then cannot answer from a secondary index alone (every index page
  touched by the open transaction sends each row to the clustered index for its version), so
  covering indexes do not help and the times are higher than a site's.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta

import frappe
from frappe.query_builder.functions import Count

from order_mgmt.analytics import facts

COMPANY = "OMT Analytics Benchmark Co"
# name patterns of every row the benchmark writes (table, column, pattern); clear() deletes by them
GENERATED = (
	("Customer Order Item", "parent", "OMT-BENCH-%"),
	("Customer Order Hold Reason", "parent", "OMT-BENCH-%"),
	("Order Review", "customer_order", "OMT-BENCH-%"),
	("Order Analytics Fact", "customer_order", "OMT-BENCH-%"),
	("Sales Analytics Fact", "voucher", "OMT-BS%"),
	("Sales Order Item", "parent", "OMT-BSO-%"),
	("Delivery Note Item", "parent", "OMT-BDN-%"),
	("Sales Invoice Item", "parent", "OMT-BSI-%"),
	("Return Request Item", "parent", "OMT-BRR-%"),
	("Return Request", "name", "OMT-BRR-%"),
	("Sales Invoice", "name", "OMT-BSI-%"),
	("Delivery Note", "name", "OMT-BDN-%"),
	("Sales Order", "name", "OMT-BSO-%"),
	("Customer Order", "name", "OMT-BENCH-%"),
)
BATCH_ROWS = 10000


class BenchmarkSiteError(Exception):
	pass


def run(
	orders: int = 100000,
	repeat: int = 3,
	profile: str | None = None,
	keep: bool = False,
	in_transaction: bool = False,
) -> dict:
	"""Generate (or reuse, committed mode) the data, fill the facts, time every report view, the
	replay over 10,000 orders and the facts' upkeep; see the module docstring for the two modes.
	`profile`: case names (see time_reports), comma-separated, to run once under cProfile and print,
	instead of timing every case."""
	frappe.db.rollback()
	if in_transaction:
		check_nothing_kept()
		try:
			result = prepare(orders, commit=False)
			result.update(measure(orders, repeat, profile))
		finally:
			frappe.db.rollback()
		assert not frappe.db.exists("Customer Order", {"company": COMPANY}), (
			"the benchmark's orders were kept"
		)
	else:
		check_site()
		try:
			if generated(orders):
				result = {"orders": orders, "reused": True}
			else:
				clear()
				result = prepare(orders, commit=True)
			result.update(measure(orders, repeat, profile))
		finally:
			frappe.db.rollback()
			if not keep:
				clear()
		result["kept"] = keep
	result["mode"] = "in transaction" if in_transaction else "committed"
	print(result)
	return result


def check_site() -> None:
	if not frappe.conf.get("allow_tests"):
		raise BenchmarkSiteError(
			f"The committed benchmark writes {COMPANY}'s rows: run it on a test site (allow_tests), "
			"or pass in_transaction=True"
		)


def check_nothing_kept() -> None:
	"""The in-transaction runs write the same names as the committed one: not beside its kept rows."""
	if frappe.db.exists("Customer Order", {"company": COMPANY}):
		raise BenchmarkSiteError(f"{COMPANY}'s rows are kept on this site: run benchmark.clear first")


def prepare(orders: int, commit: bool) -> dict:
	"""Generate the orders and their documents and fill the facts (committed in batches if `commit`)."""
	start = time.perf_counter()
	generate(orders, commit)
	generate_fulfilment(orders, commit)
	result = {"orders": orders, "generate_s": round(time.perf_counter() - start, 1)}
	start = time.perf_counter()
	facts.backfill(COMPANY)
	if commit:
		frappe.db.commit()
	result["facts_backfill_s"] = round(time.perf_counter() - start, 1)
	return result


def measure(orders: int, repeat: int, profile: str | None) -> dict:
	"""The report views and the replay first (they only read), then the upkeep (it writes: rolled
	back)."""
	if profile:
		import cProfile
		import pstats

		profiler = cProfile.Profile()
		profiler.enable()
		time_reports(1, only=profile)
		profiler.disable()
		pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
		return {}
	result = time_reports(repeat)
	result.update(time_upkeep(orders))
	frappe.db.rollback()
	return result


def generated(orders: int) -> bool:
	"""Are `orders` generated orders committed, with their facts (a finished committed run kept)?"""
	order = frappe.qb.DocType("Customer Order")
	fact = frappe.qb.DocType(facts.FACT)
	count = Count("*")
	mine = (order.company == COMPANY) & order.name.like("OMT-BENCH-%")
	(made,) = frappe.qb.from_(order).select(count).where(mine & order.name.not_like("%-0")).run()[0]
	(submitted,) = frappe.qb.from_(order).select(count).where(mine & (order.docstatus >= 1)).run()[0]
	(with_facts,) = (
		frappe.qb.from_(fact)
		.select(count)
		.where((fact.company == COMPANY) & fact.customer_order.like("OMT-BENCH-%"))
		.run()[0]
	)
	sales = frappe.db.sql(
		"select count(*) from `tabSales Analytics Fact` where voucher like 'OMT-BSI-%%' limit 1"
	)[0][0]
	return made == orders and with_facts == submitted and sales > 0


def clear() -> None:
	"""Delete every row the committed benchmark wrote (in batches, each committed)."""
	for doctype, column, pattern in GENERATED:
		while True:
			frappe.db.sql(
				f"delete from `tab{doctype}` where `{column}` like %s limit {BATCH_ROWS}",  # nosec: constants
				(pattern,),
			)
			deleted = frappe.db._cursor.rowcount
			frappe.db.commit()
			if deleted < BATCH_ROWS:
				break


def insert(doctype: str, fields: list[str], rows: list[tuple], commit: bool) -> None:
	"""Bulk insert, BATCH_ROWS rows a statement, committing each batch if `commit`."""
	for start in range(0, len(rows), BATCH_ROWS):
		frappe.db.bulk_insert(doctype, fields, rows[start : start + BATCH_ROWS], chunk_size=BATCH_ROWS)
		if commit:
			frappe.db.commit()


def generate(orders: int, commit: bool = False) -> None:
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
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
		"Customer Order Hold Reason",
		["name", "parent", "parenttype", "parentfield", "rule", "creation", "modified"],
		hold_rows,
		commit,
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
	"""The policy replay alone, over `orders` generated orders (in one transaction, rolled back, as
	`run(in_transaction=True)`: nothing is kept, so it runs on any site);
	`bench --site SITE execute order_mgmt.analytics.benchmark.replay --kwargs '{"orders": 10000}'`.
	The held orders' reviews get frozen facts (a two-line JSON, as a submit freezes them), the
	auto-approved ones are rebuilt from the order record; timed: `replay_policy` (rules sent with the
	call) and a Review Policy replayed inline (`run_policy_replay`, result stored on the policy)."""
	from order_mgmt.analytics import policy_replay
	from order_mgmt.analytics.replay import facts_to_dict
	from order_mgmt.review.engine import LineFacts, OrderFacts

	check_nothing_kept()
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
		frozen = frappe.as_json(facts_to_dict(facts), indent=None)
		frappe.db.sql(
			"""update `tabOrder Review` review join `tabCustomer Order` co on co.name = review.customer_order
			set review.decision_facts = %s where co.company = %s""",
			(frozen, COMPANY),
		)
		# every submitted order keeps its own copy (held or approved at once), as the submit writes it
		frappe.db.sql(
			"update `tabCustomer Order` set decision_facts = %s where company = %s and docstatus > 0",
			(frozen, COMPANY),
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


def generate_fulfilment(orders: int, commit: bool = False) -> None:
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
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
		"Delivery Note",
		["name", "company", "customer", "posting_date", "docstatus", "is_return", "creation", "modified"],
		rows["dn"],
		commit,
	)
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
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
		commit,
	)
	insert(
		"Return Request Item",
		[*child, "item_code", "qty", "reason", "creation", "modified"],
		rows["rri"],
		commit,
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
					if commit:
						frappe.db.commit()
		else:
			# the Sales Order names follow the order names: one UPDATE … JOIN-free statement per batch
			for start in range(0, len(batch), 5000):
				names = [u[0] for u in batch[start : start + 5000]]
				frappe.db.sql(
					"""update `tabCustomer Order` set sales_order = concat('OMT-BSO-', substring(name, 11))
					where name in %(names)s""",
					{"names": names},
				)
				if commit:
					frappe.db.commit()
	# 1 % of the delivered orders amend an approved order (a cancelled copy of it, with a Sales Order)
	amended = [u[0] for u in order_updates if u[1] == 1][: orders // 100]
	insert(
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
		commit,
	)
	for start in range(0, len(amended), 5000):
		frappe.db.sql(
			"update `tabCustomer Order` set amended_from = concat(name, '-0') where name in %(names)s",
			{"names": amended[start : start + 5000]},
		)
		if commit:
			frappe.db.commit()


def explain(orders: int = 5000, cases: str = "delivery_performance_week,sales_analysis_customer") -> None:
	"""Print MariaDB's plan of every SELECT the given cases run (or, for "upkeep", the facts' upkeep of
	one order and one invoice), over `orders` generated orders (in one transaction, rolled back): a
	diagnostic for slow reports. The plans are those of the in-transaction mode (module docstring):
	for a site's, run `run` with `keep=True` and EXPLAIN / ANALYZE FORMAT=JSON the printed queries.
	The times printed are run inside the open transaction."""
	check_nothing_kept()
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
