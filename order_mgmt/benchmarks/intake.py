"""Benchmark: a Customer Order's intake to its approved Sales Order, against a plain ERPNext Sales Order.

Run it on a site with ERPNext set up (the test site will do):

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.intake.run --kwargs '{"orders": 30}'

or scripts/benchmark.sh. On the same data (one known customer, 10 lines of distinct stocked items
with prices) it measures, order by order and alternating between the two:

- (a) a Sales Order built directly, inserted and submitted: the baseline;
- (b) a Customer Order inserted (validation, ERPNext pricing) and submitted (automatic review,
  auto-approval, Sales Order created and submitted): the full intake; also split into its
  insert and submit, (c).

For each it reports the median and p90 wall time per order and the SQL statements per order
(calls to frappe.db.sql, split into SELECT, writes and other statements such as savepoints). Each
step (insert, submit, approval: one request each) includes what its commit would run before
committing (frappe.db.before_commit callbacks, e.g. the analytics facts of the orders it touched).

Nothing it makes is kept: the whole run is one transaction, rolled back at the end (a commit
attempted during the run aborts it), and the rollback is checked before the results are returned.
"""

from __future__ import annotations

import cProfile
import io
import math
import os
import pstats
import re
import statistics
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import frappe
from erpnext.controllers.accounts_controller import (
	get_default_taxes_and_charges,
	get_taxes_and_charges,
)
from frappe.utils import add_days, cint, flt, nowdate

from order_mgmt.review.workflow import take_action
from order_mgmt.tests.utils import company, make_customer, make_item, order_doc, role_user, warehouse
from order_mgmt.utils import acting_as

LINES = 10
QTY_PER_LINE = 2
SETTINGS = "Order Management Settings"
TAX_TEMPLATE = "Sales Taxes and Charges Template"
BASELINE, INTAKE = "a", "b"
LABELS = {
	"a": "(a) Sales Order insert+submit",
	"a.insert": "    (a) insert",
	"a.submit": "    (a) submit",
	"b": "(b) Customer Order -> approved SO",
	"b.insert": "    (c) CO insert",
	"b.submit": "    (c) CO submit (review + SO)",
	"b.approve": "    (c) held CO approved (one stage)",
}
HELD_LABELS = {
	"b": "(b) held CO -> approved SO",
	"b.submit": "    (c) CO submit (held for review)",
}
WRITE_STATEMENTS = {"insert", "update", "delete", "replace"}
READ_STATEMENTS = {"select", "with"}
COUNTED_DOCTYPES = ("Sales Order", "Customer Order", "Customer", "Item", "Stock Entry", "Sales Invoice")


class BenchmarkError(Exception):
	pass


@dataclass
class Data:
	customer: str
	company: str
	warehouse: str
	lines: list[dict]
	"""item_code, qty, rate: the same lines for both scenarios."""
	items: list[str]
	taxes_and_charges: str | None
	"""The company's default template, which the Customer Order applies (and ERPNext's form would)."""
	taxes: list[dict]
	reserve_stock: int = 0
	"""1 when Stock Settings enable reservation: both scenarios then reserve the order's stock."""


@dataclass
class Recorder:
	"""Counts frappe.db.sql calls while `active` is set; refuses commits all the time."""

	active: Counter | None = None
	samples: dict[str, list[tuple[float, Counter]]] = field(default_factory=dict)
	created: dict[str, list[str]] = field(default_factory=dict)
	profile: Counter | None = None
	"""When set, statements of measured Customer Orders per calling app function (see `app_frame`)."""
	profiling: bool = False
	signatures: dict[str, Counter] | None = None
	"""When set, statements per scenario by verb and first table ("select Bin", "update Customer Order")."""
	scenario: str | None = None
	"""The measured scenario running (None: warm-up or setup)."""
	cprofiles: dict[str, cProfile.Profile] | None = None
	"""When set, a cProfile of each scenario's measured orders."""
	commit_work: bool = True
	"""Run (and count) the before-commit callbacks after each step, as its request's commit would."""

	def timed(self, call: Callable[[], object]) -> tuple[float, Counter]:
		"""Wall time and statements of one call, with what its request's commit would run first: the
		callbacks registered for before the commit (analytics facts, …; the run itself never commits)."""

		def with_commit_work():
			call()
			frappe.db.before_commit.run()

		return self._timed(with_commit_work if self.commit_work else call)

	def _timed(self, call: Callable[[], object]) -> tuple[float, Counter]:
		self.active = Counter()
		profiler = None
		if self.cprofiles is not None and self.scenario:
			profiler = self.cprofiles.setdefault(self.scenario, cProfile.Profile())
		start = time.perf_counter()
		try:
			if profiler:
				profiler.enable()
			call()
		finally:
			if profiler:
				profiler.disable()
			elapsed = time.perf_counter() - start
			queries, self.active = self.active, None
		return elapsed, queries

	def record(self, key: str | None, phases: list[tuple[float, Counter]]) -> None:
		"""Store each phase of one order and their sum under `key` (None: a warm-up order)."""
		if not key:
			return
		for name, sample in zip(("insert", "submit", "approve")[: len(phases)], phases, strict=True):
			self.samples.setdefault(f"{key}.{name}", []).append(sample)
		total = Counter()
		for _, queries in phases:
			total.update(queries)
		self.samples.setdefault(key, []).append((sum(seconds for seconds, _ in phases), total))

	def created_doc(self, doctype: str, name: str) -> None:
		self.created.setdefault(doctype, []).append(name)


def statement_kind(query: object) -> str:
	text = str(query).lstrip().lstrip("(").lstrip()
	while text.startswith("/*"):
		text = text.partition("*/")[2].lstrip().lstrip("(").lstrip()
	verb = text.split(None, 1)[0].lower() if text else ""
	if verb in READ_STATEMENTS:
		return "select"
	if verb in WRITE_STATEMENTS:
		return "write"
	if verb == "commit":
		return "commit"
	return "other"


TABLE = re.compile(r"`tab([^`]+)`|\btab([A-Z][A-Za-z ]*?)\b(?:\s|$)")


def statement_signature(query: object) -> str:
	"""The statement's kind and the first table it names: "select Bin", "select-for-update Bin"."""
	text = str(query).lstrip().lstrip("(").lstrip()
	verb = text.split(None, 1)[0].lower() if text else ""
	match = TABLE.search(text)
	table = (match.group(1) or match.group(2)) if match else ""
	if verb == "select" and re.search(r"for\s+update", text, re.IGNORECASE):
		verb = "select-for-update"
	return f"{verb} {table}".strip()


def app_frame(depth: int = 2) -> str:
	"""The innermost order_mgmt functions (outside this benchmark) on the stack, innermost first:
	module:function:line < its app caller."""
	found = []
	for frame in reversed(traceback.extract_stack()):
		path = frame.filename
		if "/order_mgmt/" in path and "/benchmarks/" not in path and "/tests/" not in path:
			found.append(f"{path.rpartition('/order_mgmt/')[2]}:{frame.name}:{frame.lineno}")
			if len(found) == depth:
				break
	return " < ".join(found) or "(ERPNext/Frappe, no app frame)"


@contextmanager
def instrumented_db(recorder: Recorder) -> Iterator[None]:
	"""Wrap the database class's sql() (as FrappeTestCase.assertQueryCount does) and commit()."""
	db_class = frappe.db.__class__
	original_sql, original_commit = db_class.sql, db_class.commit

	def sql(self, query, *args, **kwargs):
		kind = statement_kind(query)
		if kind == "commit":
			raise BenchmarkError(f"A COMMIT was issued during the benchmark: {str(query)[:200]}")
		if recorder.active is not None and kwargs.get("run", True):
			recorder.active[kind] += 1
			if recorder.profiling and recorder.profile is not None:
				recorder.profile[app_frame()] += 1
			if recorder.signatures is not None and recorder.scenario:
				recorder.signatures.setdefault(recorder.scenario, Counter())[statement_signature(query)] += 1
		return original_sql(self, query, *args, **kwargs)

	def commit(self):
		raise BenchmarkError("frappe.db.commit() was called during the benchmark; nothing may be committed")

	db_class.sql, db_class.commit = sql, commit
	try:
		yield
	finally:
		db_class.sql, db_class.commit = original_sql, original_commit


def make_data(stock_per_item: float, lines: int = LINES) -> Data:
	customer = make_customer()
	items = [
		make_item(rate=100.0 + 10 * index, stock_qty=stock_per_item, valuation_rate=40.0)
		for index in range(lines)
	]
	rates = dict(
		frappe.get_all(
			"Item Price",
			filters={"item_code": ("in", items), "price_list": "Standard Selling"},
			fields=["item_code", "price_list_rate"],
			as_list=True,
		)
	)
	lines = [{"item_code": item, "qty": QTY_PER_LINE, "rate": flt(rates[item])} for item in items]
	company_name = company()
	template = get_default_taxes_and_charges(TAX_TEMPLATE, company=company_name).get("taxes_and_charges")
	return Data(
		customer=customer,
		company=company_name,
		warehouse=warehouse(),
		lines=lines,
		items=items,
		taxes_and_charges=template,
		taxes=get_taxes_and_charges(TAX_TEMPLATE, template) if template else [],
		reserve_stock=cint(frappe.db.get_single_value("Stock Settings", "enable_stock_reservation")),
	)


def settings_for_auto_approval() -> dict:
	"""Turn off, inside this transaction only, the settings that would hold every benchmark order.

	The data passes the other checks by construction: no credit limit, stock well above demand,
	list-price rates (no discount, margin above cost), a customer with a prior invoice, and a
	distinct PO reference per order (the duplicate guard). Everything here is rolled back with
	the run.
	"""
	settings = frappe.get_doc(SETTINGS)
	overrides = {}
	if not cint(settings.auto_approve):
		overrides["auto_approve"] = 1
		settings.update(overrides)
		settings.save(ignore_permissions=True)
	# The "Large order" review rule would route a big order to sales: lift it for this run.
	for rule in frappe.get_all(
		"Order Review Rule", filters={"enabled": 1, "condition": "Grand Total At Least"}, pluck="name"
	):
		frappe.db.set_value("Order Review Rule", rule, "enabled", 0)
		overrides[f"rule:{rule}"] = "disabled"
	return overrides


def baseline_order(data: Data, recorder: Recorder, key: str | None, po_no: str) -> dict:
	"""(a): the Sales Order ERPNext users would enter themselves, with the same customer, lines and rates."""
	delivery_date = add_days(nowdate(), 5)
	holder = {}

	def insert():
		so = frappe.get_doc(
			{
				"doctype": "Sales Order",
				"customer": data.customer,
				"company": data.company,
				"order_type": "Sales",
				"transaction_date": nowdate(),
				"delivery_date": delivery_date,
				"po_no": po_no,
				# Approved orders reserve their stock; so does this Sales Order (ERPNext reserves on
				# submit when Stock Settings allow it), like for like.
				"reserve_stock": data.reserve_stock,
				"taxes_and_charges": data.taxes_and_charges,
				"taxes": [dict(tax) for tax in data.taxes],
				"items": [
					{
						**line,
						"warehouse": data.warehouse,
						"delivery_date": delivery_date,
						"reserve_stock": data.reserve_stock,
					}
					for line in data.lines
				],
			}
		)
		so.insert()
		holder["so"] = so

	recorder.scenario = key
	try:
		phases = [recorder.timed(insert), recorder.timed(lambda: holder["so"].submit())]
	finally:
		recorder.scenario = None
	recorder.record(key, phases)
	so = holder["so"]
	recorder.created_doc("Sales Order", so.name)
	row = frappe.db.get_value("Sales Order", so.name, ["docstatus", "status", "grand_total"], as_dict=True)
	if row.docstatus != 1:
		raise BenchmarkError(f"Baseline Sales Order {so.name} is not submitted: {row}")
	return row


def intake_order(data: Data, recorder: Recorder, key: str | None, po_no: str) -> dict:
	"""(b): a Customer Order through validation, pricing, review and auto-approval to its Sales Order."""
	holder = {}

	def insert():
		order = order_doc(data.customer, data.lines, customer_po=po_no)
		order.insert()
		holder["order"] = order

	recorder.profiling = bool(key)
	recorder.scenario = key
	try:
		phases = [recorder.timed(insert), recorder.timed(lambda: holder["order"].submit())]
	finally:
		recorder.profiling = False
		recorder.scenario = None
	recorder.record(key, phases)
	name = holder["order"].name
	recorder.created_doc("Customer Order", name)
	row = frappe.db.get_value(
		"Customer Order", name, ["status", "review_decision", "sales_order", "grand_total"], as_dict=True
	)
	if row.sales_order:
		recorder.created_doc("Sales Order", row.sales_order)
	so = row.sales_order and frappe.db.get_value(
		"Sales Order", row.sales_order, ["docstatus", "status", "grand_total"], as_dict=True
	)
	if row.status != "To Deliver" or not so or so.docstatus != 1:
		reasons = frappe.get_all(
			"Customer Order Hold Reason", filters={"parent": name}, fields=["rule", "message"]
		)
		raise BenchmarkError(
			f"Customer Order {name} did not reach an approved Sales Order: status {row.status!r}, "
			f"decision {row.review_decision!r}, sales_order {row.sales_order!r}, hold reasons {reasons}"
		)
	return so


def held_order(data: Data, recorder: Recorder, key: str | None, po_no: str, approver: str) -> dict:
	"""(b) held: a Customer Order held for one review stage (automatic approval off), then approved by
	that stage's reviewer through the workflow action (Order Review written, ToDo closed, owner told,
	Sales Order made and submitted, stock reserved)."""
	holder = {}

	def insert():
		order = order_doc(data.customer, data.lines, customer_po=po_no)
		order.insert()
		holder["order"] = order

	def approve():
		order = holder["order"]
		with acting_as(approver):
			holder["result"] = take_action(order.name, "Approve", None, expected_state=order.workflow_state)

	recorder.scenario = key
	recorder.profiling = bool(key)
	try:
		phases = [
			recorder.timed(insert),
			recorder.timed(lambda: holder["order"].submit()),
			recorder.timed(approve),
		]
	finally:
		recorder.scenario = None
		recorder.profiling = False
	recorder.record(key, phases)
	name = holder["order"].name
	recorder.created_doc("Customer Order", name)
	sales_order = holder["result"].get("sales_order")
	if sales_order:
		recorder.created_doc("Sales Order", sales_order)
	so = sales_order and frappe.db.get_value(
		"Sales Order", sales_order, ["docstatus", "status", "grand_total"], as_dict=True
	)
	if not so or so.docstatus != 1:
		raise BenchmarkError(
			f"Held Customer Order {name} was not approved to a Sales Order: {holder['result']}"
		)
	return so


def held_approver() -> str:
	"""A reviewer of the first enabled stage (not the orders' creator: four-eyes)."""
	stage = frappe.get_all(
		"Order Review Stage",
		filters={"enabled": 1},
		fields=["name", "role"],
		order_by="sequence asc",
		limit=1,
	)
	if not stage:
		raise BenchmarkError("No enabled Order Review Stage: nothing to hold an order for")
	return role_user(f"bench-{frappe.scrub(stage[0].name)}", [stage[0].role])


def percentile(values: list[float], fraction: float) -> float:
	"""Nearest-rank percentile."""
	ordered = sorted(values)
	return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarise(samples: list[tuple[float, Counter]]) -> dict:
	milliseconds = [seconds * 1000 for seconds, _ in samples]
	totals = [sum(queries.values()) for _, queries in samples]
	count = len(samples)
	return {
		"median_ms": round(statistics.median(milliseconds), 1),
		"queries_median": statistics.median(totals),
		"p90_ms": round(percentile(milliseconds, 0.9), 1),
		"mean_ms": round(statistics.fmean(milliseconds), 1),
		"queries": round(sum(totals) / count, 1),
		"queries_min": min(totals),
		"queries_max": max(totals),
		"select": round(sum(queries["select"] for _, queries in samples) / count, 1),
		"write": round(sum(queries["write"] for _, queries in samples) / count, 1),
		"other": round(sum(queries["other"] for _, queries in samples) / count, 1),
	}


def print_table(
	results: dict, ratios: dict, orders: int, warmup: int, lines: int, labels: dict | None = None
) -> None:
	labels = labels or LABELS
	header = (
		f"{'per order':<36}{'median ms':>10}{'mean ms':>9}{'p90 ms':>9}{'queries':>9}{'median q':>9}"
		f"{'select':>8}{'write':>7}{'other':>7}"
	)
	print(f"\nIntake benchmark: {orders} orders per scenario after {warmup} warm-up, {lines} lines each")
	print(header)
	print("-" * len(header))
	for key in labels:
		if key not in results:
			continue
		row = results[key]
		print(
			f"{labels[key]:<36}{row['median_ms']:>10.1f}{row['mean_ms']:>9.1f}{row['p90_ms']:>9.1f}"
			f"{row['queries']:>9.1f}{row['queries_median']:>9.1f}{row['select']:>8.1f}{row['write']:>7.1f}{row['other']:>7.1f}"
		)
	print(
		f"\n(b)/(a): time x{ratios['median_time']:.2f} (median), x{ratios['p90_time']:.2f} (p90); "
		f"queries x{ratios['queries']:.2f} (select x{ratios['select']:.2f}, write x{ratios['write']:.2f}); "
		f"added per order: {ratios['added_queries']:+.1f} statements, {ratios['added_ms']:+.1f} ms\n"
	)


def print_profile(profile: Counter, orders: int, top: int) -> None:
	print(f"Customer Order path: statements per order by calling app function (top {top})")
	for where, count in profile.most_common(top):
		print(f"{count / orders:>9.1f}  {where}")
	print(f"{sum(profile.values()) / orders:>9.1f}  (all)\n")


def print_signatures(signatures: dict[str, Counter], orders: int, top: int) -> None:
	"""Statements per order by kind and table, both scenarios, the largest differences first."""
	a, b = signatures.get(BASELINE, Counter()), signatures.get(INTAKE, Counter())
	keys = sorted(set(a) | set(b), key=lambda key: (-(b[key] - a[key]), key))
	print(f"Statements per order by kind and table, (b) - (a) (top {top}, then the largest savings)")
	print(f"{'(a)':>8}{'(b)':>8}{'added':>8}  statement")
	shown = keys[:top] + [key for key in keys[-5:] if key not in keys[:top] and b[key] < a[key]]
	for key in shown:
		print(f"{a[key] / orders:>8.1f}{b[key] / orders:>8.1f}{(b[key] - a[key]) / orders:>+8.1f}  {key}")
	print()


def print_cprofile(cprofiles: dict[str, cProfile.Profile], orders: int, top: int) -> None:
	"""The functions with the most cumulative time per order on each path (cProfile)."""
	for scenario in (BASELINE, INTAKE):
		profiler = cprofiles.get(scenario)
		if not profiler:
			continue
		out = io.StringIO()
		stats = pstats.Stats(profiler, stream=out)
		stats.sort_stats("cumulative").print_stats(top)
		print(f"cProfile {LABELS[scenario].strip()} ({orders} orders, cumulative seconds over all of them)")
		print(out.getvalue().split("\n\n", 1)[-1])


def counts() -> dict[str, int]:
	return {doctype: frappe.db.count(doctype) for doctype in COUNTED_DOCTYPES}


def check_rolled_back(recorder: Recorder, before: dict[str, int]) -> dict:
	"""After the rollback none of the run's documents may exist (counts are shown, not enforced:
	someone else may be adding documents to the site meanwhile)."""
	left = {
		doctype: [name for name in names if frappe.db.exists(doctype, name)]
		for doctype, names in recorder.created.items()
	}
	left = {doctype: names for doctype, names in left.items() if names}
	if left:
		raise BenchmarkError(f"Documents of the run are still there after the rollback: {left}")
	after = counts()
	return {
		"documents_checked": sum(len(names) for names in recorder.created.values()),
		"counts_before": before,
		"counts_after": after,
		"counts_unchanged": before == after,
	}


def run(
	orders: int = 30,
	warmup: int = 3,
	lines: int | None = None,
	profile: int | None = None,
	cprofile: int | None = None,
	held: int = 0,
	commit_work: int = 1,
) -> dict:
	"""Benchmark `orders` orders of each scenario after `warmup` unmeasured ones, `lines` lines each
	(default: env BENCH_LINES or 10); with `profile` (or env BENCH_PROFILE) > 0, also print that many
	top calling app functions by SQL statements of the Customer Order path. Returns the results."""
	orders, warmup = cint(orders), cint(warmup)
	lines = cint(lines or os.environ.get("BENCH_LINES") or LINES)
	profile = cint(profile if profile is not None else os.environ.get("BENCH_PROFILE") or 0)
	if orders < 1 or lines < 1:
		raise BenchmarkError("orders and lines must be at least 1")
	frappe.set_user("Administrator")
	frappe.db.rollback()  # start from a clean transaction
	before = counts()
	cprofile = cint(cprofile if cprofile is not None else os.environ.get("BENCH_CPROFILE") or 0)
	recorder = Recorder(
		profile=Counter() if profile > 0 else None,
		signatures={} if profile > 0 else None,
		cprofiles={} if cprofile > 0 else None,
		commit_work=bool(cint(commit_work)),
	)
	totals: dict[str, set[float]] = {BASELINE: set(), INTAKE: set()}
	overrides: dict = {}
	data: Data | None = None
	approver = None
	try:
		with instrumented_db(recorder):
			overrides = settings_for_auto_approval()
			if cint(held):
				# Every order waits for the first stage (automatic approval off), then one approval.
				settings = frappe.get_doc(SETTINGS)
				settings.auto_approve = 0
				settings.save(ignore_permissions=True)
				overrides["auto_approve"] = 0
				approver = held_approver()
			# Both scenarios draw stock (projected qty) from the same items: keep well clear of shortage.
			data = make_data(stock_per_item=QTY_PER_LINE * (orders + warmup) * 2 + 1000, lines=lines)
			recorder.created_doc("Customer", data.customer)
			for item in data.items:
				recorder.created_doc("Item", item)
			for index in range(warmup + orders):
				measured = index >= warmup
				# Alternate which scenario goes first, so neither always runs on the other's warm caches.
				sequence = (BASELINE, INTAKE) if index % 2 == 0 else (INTAKE, BASELINE)
				for scenario in sequence:
					po_no = f"BENCH-{scenario}-{index}-{frappe.generate_hash(length=6)}"
					key = scenario if measured else None
					if scenario == BASELINE:
						so = baseline_order(data, recorder, key, po_no)
					elif approver:
						so = held_order(data, recorder, key, po_no, approver)
					else:
						so = intake_order(data, recorder, key, po_no)
					totals[scenario].add(flt(so.grand_total))
	finally:
		frappe.db.rollback()
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		if data:
			frappe.clear_document_cache("Customer", data.customer)
			for item in data.items:
				frappe.clear_document_cache("Item", item)
	rollback = check_rolled_back(recorder, before)

	if len(totals[BASELINE] | totals[INTAKE]) != 1:
		raise BenchmarkError(f"The two scenarios made Sales Orders of different totals: {totals}")
	labels = {**LABELS, **HELD_LABELS} if approver else {k: v for k, v in LABELS.items() if k != "b.approve"}
	results = {key: summarise(recorder.samples[key]) for key in labels}
	a, b = results[BASELINE], results[INTAKE]
	ratios = {
		"median_time": round(b["median_ms"] / a["median_ms"], 2),
		"p90_time": round(b["p90_ms"] / a["p90_ms"], 2),
		"queries": round(b["queries"] / a["queries"], 2),
		"select": round(b["select"] / a["select"], 2),
		"write": round(b["write"] / a["write"], 2),
		"median_queries": round(b["queries_median"] / a["queries_median"], 2),
		"added_queries": round(b["queries"] - a["queries"], 1),
		"added_queries_per_line": round((b["queries"] - a["queries"]) / lines, 1),
		"added_ms": round(b["median_ms"] - a["median_ms"], 1),
	}
	print_table(results, ratios, orders, warmup, lines, labels)
	if recorder.profile is not None:
		print_profile(recorder.profile, orders, profile)
		print_signatures(recorder.signatures or {}, orders, profile)
	if recorder.cprofiles:
		print_cprofile(recorder.cprofiles, orders, cprofile)
	return {
		"orders": orders,
		"warmup": warmup,
		"lines_per_order": lines,
		"sales_order_grand_total": totals[BASELINE].pop(),
		"settings_overridden_in_transaction": overrides,
		"held_for_review": bool(approver),
		"before_commit_work_counted": recorder.commit_work,
		"results": {labels[key].strip(): value for key, value in results.items()},
		"ratios_b_over_a": ratios,
		"rollback": rollback,
	}
