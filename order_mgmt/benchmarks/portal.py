"""Benchmark: the customer portal's order list, /my-orders, with many orders in the database.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.portal.run \
      --kwargs '{"others": 50000, "mine": 500, "renders": 200}'

or scripts/benchmark.sh portal. It inserts `others` Customer Orders of 1,000 other customers and
`mine` of one portal customer (bulk inserts of the order rows only — the list reads no lines —
spread over two years, every status), then renders /my-orders as that customer through Frappe's
website router (the same path as a browser request, minus the HTTP server) `renders` times per
scenario after a few warm-up renders: the first page, a later page, a status filter, a date range
and a search by PO reference — and Frappe's own /me page as a baseline. It reports the median (p50)
and p95 render time per scenario (wall and this process's CPU time: on a busy machine the wall time
also counts waiting for a core), the same for order_list() alone (the app's query and rows), and the
query plan of the list's query.

Nothing it makes is kept: the whole run is one transaction, rolled back at the end (a commit
attempted during the run aborts it).
"""

from __future__ import annotations

import os
import random
import time
from urllib.parse import urlencode

import frappe
from frappe.utils import add_days, cint, now_datetime, nowdate

from order_mgmt.benchmarks.intake import BenchmarkError, Recorder, instrumented_db, percentile
from order_mgmt.orders import status as order_status
from order_mgmt.portal.orders import order_list
from order_mgmt.tests.utils import company, make_customer

DOCTYPE = "Customer Order"
STATUSES = (
	order_status.PENDING_REVIEW,
	order_status.APPROVED,
	order_status.TO_DELIVER,
	order_status.PARTLY_DELIVERED,
	order_status.DELIVERED,
	order_status.COMPLETED,
	order_status.CANCELLED,
	order_status.REJECTED,
)
FIELDS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"customer",
	"customer_name",
	"company",
	"currency",
	"order_date",
	"delivery_date",
	"status",
	"workflow_state",
	"channel",
	"grand_total",
	"net_total",
	"payment_status",
	"per_delivered",
	"customer_po",
)
OTHER_CUSTOMERS = 1000
DAYS = 730
TARGET_P95_MS = 200.0
BASELINE = "baseline: /me"


def order_rows(prefix: str, count: int, customer_of, currency: str) -> list[tuple]:
	rng = random.Random(prefix)
	today = nowdate()
	now = now_datetime()
	the_company = company()
	rows = []
	for index in range(count):
		status = STATUSES[index % len(STATUSES)]
		order_date = add_days(today, -rng.randrange(DAYS))
		customer = customer_of(index)
		rows.append(
			(
				f"{prefix}-{index:06d}",
				now,
				now,
				"Administrator",
				"Administrator",
				2 if status == order_status.CANCELLED else 1,
				customer,
				customer,
				the_company,
				currency,
				order_date,
				add_days(order_date, 5),
				status,
				status,
				"Portal",
				1000 + index % 997,
				1000 + index % 997,
				"Unpaid",
				100 if status in (order_status.DELIVERED, order_status.COMPLETED) else 0,
				f"PO-{prefix}-{index:06d}",
			)
		)
	return rows


def render(path: str, user: str, query: dict) -> tuple[float, float]:
	"""Seconds to render `path` as `user` through Frappe's website router: wall time, and this
	process's CPU time (the Python side only; on a busy machine the wall time also counts waiting
	for a core)."""
	from frappe.utils import set_request
	from frappe.website.serve import get_response

	frappe.set_user(user)
	set_request(method="GET", path=path, query_string=urlencode(query))
	frappe.local.form_dict = frappe._dict(query)
	frappe.local.flags.redirect_location = None
	started, cpu_started = time.perf_counter(), time.process_time()
	response = get_response()
	elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
	if response.status_code != 200:
		raise BenchmarkError(f"{path}?{urlencode(query)} answered {response.status_code}")
	return elapsed, cpu


def query_plan(customer: str) -> list[dict]:
	return frappe.db.sql(
		"""explain select name, order_date, status, currency, grand_total, payment_status, per_delivered,
			customer_po from `tabCustomer Order`
		where customer in (%s) and docstatus in (1, 2)
		order by order_date desc, creation desc limit 21""",
		customer,
		as_dict=True,
	)


def run(others: int = 50000, mine: int = 500, renders: int = 200, warmup: int = 10) -> dict:
	"""Render /my-orders `renders` times per scenario with `others` orders of other customers and
	`mine` of the portal customer in the database; print and return p50/p95 (ms) per scenario."""
	from order_mgmt.tests.test_portal import make_portal_user

	others, mine, renders, warmup = cint(others), cint(mine), cint(renders), cint(warmup)
	if mine < 1 or renders < 1:
		raise BenchmarkError("mine and renders must be at least 1")
	frappe.set_user("Administrator")
	frappe.db.rollback()
	recorder = Recorder()
	results: dict = {}
	try:
		with instrumented_db(recorder):
			currency = frappe.get_cached_value("Company", company(), "default_currency")
			customer = make_customer()
			user = make_portal_user(customer, key="bench-portal")
			prefix = f"BENCH-{frappe.generate_hash(length=5).upper()}"
			started = time.perf_counter()
			frappe.db.bulk_insert(
				DOCTYPE,
				FIELDS,
				order_rows(
					f"{prefix}-O", others, lambda i: f"{prefix}-CUST-{i % OTHER_CUSTOMERS:04d}", currency
				),
				chunk_size=5000,
			)
			frappe.db.bulk_insert(
				DOCTYPE,
				FIELDS,
				order_rows(f"{prefix}-M", mine, lambda _i: customer, currency),
				chunk_size=5000,
			)
			inserted = time.perf_counter() - started
			print(f"inserted {others} + {mine} orders in {inserted:.1f} s")
			scenarios = {
				"first page": {},
				"page 5": {"page": 5},
				"status filter": {"status": order_status.DELIVERED},
				"date range (90 days)": {"from_date": add_days(nowdate(), -90), "to_date": nowdate()},
				"search PO reference": {"q": f"{prefix}-M-0004"},
			}
			pages = {label: ("/my-orders", query) for label, query in scenarios.items()}
			pages[BASELINE] = ("/me", {})
			for label, (path, query) in pages.items():
				for _ in range(warmup):
					render(path, user, query)
				timings = [render(path, user, query) for _ in range(renders)]
				samples = [wall * 1000 for wall, _cpu in timings]
				cpu = [cpu * 1000 for _wall, cpu in timings]
				results[label] = {
					"p50_ms": round(percentile(samples, 0.5), 1),
					"p95_ms": round(percentile(samples, 0.95), 1),
					"max_ms": round(max(samples), 1),
					"cpu_p50_ms": round(percentile(cpu, 0.5), 1),
					"cpu_p95_ms": round(percentile(cpu, 0.95), 1),
				}
			# the app's own part of the page: the list query and its rows, without Frappe's page machinery
			frappe.set_user(user)
			for label, query in scenarios.items():
				timings = []
				for _ in range(renders):
					started = time.perf_counter()
					order_list(query.get("page") or 1, filters=query)
					timings.append((time.perf_counter() - started) * 1000)
				results[label]["list_p50_ms"] = round(percentile(timings, 0.5), 1)
				results[label]["list_p95_ms"] = round(percentile(timings, 0.95), 1)
			frappe.set_user("Administrator")
			plan = query_plan(customer)
	finally:
		frappe.set_user("Administrator")
		frappe.db.rollback()
	print(
		f"/my-orders with {others} orders of other customers and {mine} of this customer, {renders} renders each:"
	)
	print(
		f"{'scenario':<26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'CPU p50':>9}{'CPU p95':>9}"
		f"{'list p50':>10}{'list p95':>10}"
	)
	for label, row in results.items():
		print(
			f"{label:<26}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
			f"{row['cpu_p50_ms']:>9}{row['cpu_p95_ms']:>9}"
			f"{row.get('list_p50_ms', '-'):>10}{row.get('list_p95_ms', '-'):>10}"
		)
	print(
		"p50/p95/max: wall time of a render through Frappe's website router; CPU: this process's share;"
		f" list: order_list() alone (the app's query and rows); {BASELINE}: Frappe's own /me page"
	)
	print(
		f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
	)
	worst = max(row["p95_ms"] for label, row in results.items() if label != BASELINE)
	print(
		f"worst p95: {worst} ms (target < {TARGET_P95_MS:g} ms): {'OK' if worst < TARGET_P95_MS else 'TOO SLOW'}"
	)
	print("query plan of the first page:")
	for row in plan:
		print(
			f"  {row.get('table')}: type={row.get('type')} key={row.get('key')} rows={row.get('rows')} {row.get('Extra') or ''}"
		)
	return {"others": others, "mine": mine, "renders": renders, "results": results, "worst_p95_ms": worst}
