"""Benchmark: throughput of concurrent clients, the app's intake against plain reserving Sales Orders.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.concurrency.run \
      --kwargs '{"orders": 200, "clients": 8}'

or scripts/benchmark.sh concurrency [ORDERS [CLIENTS]]. `clients` processes (each its own database
connection, as web workers are) share `orders` orders of one line each, every order its own
transaction, committed. Three scenarios, each run for (a) plain ERPNext Sales Orders reserving their
stock on submit and (b) auto-approved Customer Orders to approved, reserved Sales Orders:

- a: every client orders its own item (nothing shared but the site);
- b: every client orders one hot item with enough stock for all orders;
- c: every client orders one hot item with stock for half of the orders.

Each client is a customer of its own (as clients are). A deadlock or lock wait timeout is counted and
the order tried again (up to RETRIES times, as the review action does); an order that still fails is
"refused". Reported: orders per second, refused orders, deadlocks and lock waits seen, and for the hot
item the stock reserved against the stock there is (never more).

Unlike the intake benchmark this one COMMITS: its items, customers and orders stay on the site (run it
on a test site). The settings it needs (automatic approval, stock reservation) are set for the run and
put back afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import frappe
from frappe.utils import add_days, cint, flt, nowdate

from order_mgmt.tests.utils import company, make_customer, make_item, order_doc, warehouse

RETRIES = 3
SCENARIOS = {
	"a": "own item per client",
	"b": "one hot item, enough stock",
	"c": "one hot item, stock for half",
}
KINDS = {"plain": "plain reserving Sales Order", "app": "Customer Order -> approved SO"}
SETTINGS = "Order Management Settings"


class BenchmarkError(Exception):
	pass


def _is_busy(error: Exception) -> str | None:
	from order_mgmt.review.actions import DatabaseBusyError

	text = str(error).lower()
	if isinstance(error, frappe.QueryDeadlockError) or "deadlock" in text:
		return "deadlock"
	if isinstance(error, frappe.QueryTimeoutError) or "lock wait" in text:
		return "lock_wait"
	if isinstance(error, DatabaseBusyError):
		return "busy"
	return None


def _plain_order(customer: str, item: str, rate: float, po_no: str) -> str:
	delivery_date = add_days(nowdate(), 5)
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"order_type": "Sales",
			"transaction_date": nowdate(),
			"delivery_date": delivery_date,
			"po_no": po_no,
			"reserve_stock": 1,
			"items": [
				{
					"item_code": item,
					"qty": 1,
					"rate": rate,
					"warehouse": warehouse(),
					"delivery_date": delivery_date,
					"reserve_stock": 1,
				}
			],
		}
	)
	so.insert()
	so.submit()
	return "approved"


def _app_order(customer: str, item: str, rate: float, po_no: str) -> str:
	order = order_doc(customer, [{"item_code": item, "qty": 1}], customer_po=po_no)
	order.insert()
	order.submit()
	return "approved" if order.sales_order else "held"


def _client(
	site: str, sites_path: str, kind: str, customer: str, items: list[str], rate: float, tag: str, barrier
) -> dict:
	"""One client: its orders one after another, each committed; returns what happened and when its
	first order started and its last ended (the clients start together, once all are connected)."""
	frappe.init(site=site, sites_path=sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	make = _plain_order if kind == "plain" else _app_order
	barrier.wait()
	started = time.time()
	outcome = {
		"approved": 0,
		"held": 0,
		"refused": 0,
		"deadlock": 0,
		"lock_wait": 0,
		"busy": 0,
		"errors": [],
		"busy_at": [],
	}
	try:
		for index, item in enumerate(items):
			for attempt in range(1, RETRIES + 1):
				try:
					result = make(customer, item, rate, f"CONC-{tag}-{index}-{attempt}")
					frappe.db.commit()
					outcome[result] += 1
					break
				except Exception as error:
					frappe.db.rollback()
					busy = _is_busy(error)
					if busy:
						outcome[busy] += 1
						if len(outcome["busy_at"]) < 3:
							outcome["busy_at"].append(_where(error))
					if not busy or attempt == RETRIES:
						outcome["refused"] += 1
						outcome["errors"].append(f"{type(error).__name__}: {str(error)[:200]}")
						break
					time.sleep(0.05 * attempt)
	finally:
		outcome["started"], outcome["ended"] = started, time.time()
		frappe.destroy()
	return outcome


def _where(error: Exception) -> str:
	"""The statement a deadlock or lock wait hit, and the app/ERPNext frames that issued it."""
	import traceback

	frames = [
		f"{frame.filename.rpartition('/apps/')[2] or frame.filename}:{frame.name}"
		for frame in traceback.extract_tb(error.__traceback__)
		if "/frappe/model/" not in frame.filename and "/frappe/database/" not in frame.filename
	]
	return " > ".join(frames[-4:])


def _settings_for_run() -> dict:
	"""Automatic approval on, the large-order rule off, stock reservation on; returns what to restore."""
	restore = {
		"auto_approve": cint(frappe.db.get_single_value(SETTINGS, "auto_approve")),
		"enable_stock_reservation": cint(
			frappe.db.get_single_value("Stock Settings", "enable_stock_reservation")
		),
		"rules": frappe.get_all(
			"Order Review Rule", filters={"enabled": 1, "condition": "Grand Total At Least"}, pluck="name"
		),
	}
	frappe.db.set_single_value(SETTINGS, "auto_approve", 1)
	frappe.db.set_single_value("Stock Settings", "enable_stock_reservation", 1)
	for rule in restore["rules"]:
		frappe.db.set_value("Order Review Rule", rule, "enabled", 0)
	frappe.db.commit()
	frappe.clear_cache()
	return restore


def _restore_settings(restore: dict) -> None:
	frappe.db.set_single_value(SETTINGS, "auto_approve", restore["auto_approve"])
	frappe.db.set_single_value(
		"Stock Settings", "enable_stock_reservation", restore["enable_stock_reservation"]
	)
	for rule in restore["rules"]:
		frappe.db.set_value("Order Review Rule", rule, "enabled", 1)
	frappe.db.commit()
	frappe.clear_cache()


def _reserved(item: str) -> float:
	sre = frappe.qb.DocType("Stock Reservation Entry")
	rows = (
		frappe.qb.from_(sre)
		.select(frappe.query_builder.functions.Sum(sre.reserved_qty - sre.delivered_qty))
		.where(
			(sre.item_code == item) & (sre.docstatus == 1) & (sre.status.notin(["Delivered", "Cancelled"]))
		)
	).run()
	return flt(rows[0][0]) if rows else 0.0


def _scenario(scenario: str, kind: str, orders: int, clients: int, customers: list[str]) -> dict:
	per_client = [orders // clients + (1 if index < orders % clients else 0) for index in range(clients)]
	rate = 100.0
	if scenario == "a":
		items = [make_item(rate=rate, stock_qty=count * 2 + 10, valuation_rate=40.0) for count in per_client]
		plans = [[items[index]] * count for index, count in enumerate(per_client)]
		hot, stock = None, None
	else:
		stock = orders * 2 + 10 if scenario == "b" else orders // 2
		hot = make_item(rate=rate, stock_qty=stock, valuation_rate=40.0)
		plans = [[hot] * count for count in per_client]
	frappe.db.commit()
	site, sites_path = frappe.local.site, frappe.local.sites_path
	context = multiprocessing.get_context("spawn")
	with context.Manager() as manager, ProcessPoolExecutor(max_workers=clients, mp_context=context) as pool:
		barrier = manager.Barrier(clients)
		futures = [
			pool.submit(
				_client,
				site,
				sites_path,
				kind,
				customers[index],
				plans[index],
				rate,
				f"{scenario}-{kind}-{index}-{frappe.generate_hash(length=6)}",
				barrier,
			)
			for index in range(clients)
		]
		outcomes = [future.result() for future in futures]
	# From the first order's start to the last one's end (process start-up and connecting left out).
	elapsed = max(o["ended"] for o in outcomes) - min(o["started"] for o in outcomes)
	total = {
		key: sum(o[key] for o in outcomes)
		for key in ("approved", "held", "refused", "deadlock", "lock_wait", "busy")
	}
	total["errors"] = [error for o in outcomes for error in o["errors"]][:5]
	total["busy_at"] = [where for o in outcomes for where in o["busy_at"]][:4]
	total["seconds"] = round(elapsed, 2)
	total["orders_per_second"] = round(orders / elapsed, 2) if elapsed else 0.0
	if hot:
		frappe.db.rollback()  # a fresh snapshot: the clients' commits
		reserved = _reserved(hot)
		actual = flt(frappe.db.get_value("Bin", {"item_code": hot, "warehouse": warehouse()}, "actual_qty"))
		total.update(
			stock=stock, actual_qty=actual, reserved=reserved, over_reserved=reserved > actual + 1e-9
		)
	return total


def _merged(rounds: list[dict]) -> dict:
	"""One scenario's rounds of one kind as one run: counts and seconds added up, orders per second
	over all of them; the hot items' stock and reservations added up (each round has its own)."""
	total = {
		key: sum(row[key] for row in rounds)
		for key in ("approved", "held", "refused", "deadlock", "lock_wait", "busy", "seconds")
	}
	total["seconds"] = round(total["seconds"], 2)
	orders = sum(row["orders"] for row in rounds)
	total["orders"] = orders
	total["orders_per_second"] = round(orders / total["seconds"], 2) if total["seconds"] else 0.0
	total["errors"] = [error for row in rounds for error in row["errors"]][:5]
	total["busy_at"] = [where for row in rounds for where in row["busy_at"]][:4]
	if all("reserved" in row for row in rounds):
		for key in ("stock", "actual_qty", "reserved"):
			total[key] = sum(row[key] for row in rounds)
		total["over_reserved"] = any(row["over_reserved"] for row in rounds)
	return total


def run(orders: int = 200, clients: int = 8, scenarios: str = "abc", rounds: int = 2) -> dict:
	"""Each scenario's orders run in `rounds` rounds, the app and plain Sales Orders taking turns
	(plain first in odd rounds, the app first in even ones), so that load from elsewhere on the machine
	falls on both alike; each round is its own set of clients, items and stock."""
	orders, clients, rounds = cint(orders), cint(clients), max(cint(rounds), 1)
	if orders < clients * rounds or clients < 1:
		raise BenchmarkError("orders must be at least clients times rounds, clients at least 1")
	frappe.set_user("Administrator")
	restore = _settings_for_run()
	results: dict = {}
	try:
		customers = [make_customer() for _ in range(clients)]
		frappe.db.commit()
		for scenario in scenarios:
			done: dict[str, list[dict]] = {"plain": [], "app": []}
			for index in range(rounds):
				count = orders // rounds + (1 if index < orders % rounds else 0)
				for kind in ("plain", "app") if index % 2 == 0 else ("app", "plain"):
					row = _scenario(scenario, kind, count, clients, customers)
					row["orders"] = count
					done[kind].append(row)
					# as it goes: a long run may be cut short
					print(f"{scenario}.{kind} round {index + 1}: {row}", flush=True)
			for kind in ("plain", "app"):
				results[f"{scenario}.{kind}"] = _merged(done[kind])
	finally:
		frappe.db.rollback()
		_restore_settings(restore)
	print(
		f"\nThroughput: {clients} concurrent clients, {orders} one-line orders per scenario and kind, "
		f"in {rounds} alternating rounds (pid {os.getpid()})"
	)
	header = (
		f"{'scenario':<30}{'kind':<32}{'orders/s':>9}{'approved':>9}{'held':>6}{'refused':>8}"
		f"{'deadlock':>9}{'lockwait':>9}{'reserved/stock':>16}"
	)
	print(header)
	print("-" * len(header))
	for scenario in scenarios:
		for kind in ("plain", "app"):
			row = results[f"{scenario}.{kind}"]
			reserved = f"{row['reserved']:g}/{row['actual_qty']:g}" if "reserved" in row else "-"
			print(
				f"{scenario + ') ' + SCENARIOS[scenario]:<30}{KINDS[kind]:<32}{row['orders_per_second']:>9.2f}"
				f"{row['approved']:>9}{row['held']:>6}{row['refused']:>8}{row['deadlock']:>9}"
				f"{row['lock_wait'] + row['busy']:>9}{reserved:>16}"
			)
		plain, app = results[f"{scenario}.plain"], results[f"{scenario}.app"]
		if plain["orders_per_second"]:
			ratio = app["orders_per_second"] / plain["orders_per_second"]
			results[f"{scenario}.ratio"] = round(ratio, 2)
			print(f"{'':<30}{'app / plain throughput':<32}{ratio:>9.2f}")
	for key, row in results.items():
		if isinstance(row, dict) and row.get("errors"):
			print(f"{key} errors (first): {row['errors']}")
		if isinstance(row, dict) and row.get("busy_at"):
			print(f"{key} deadlocks/lock waits at (first): {row['busy_at']}")
	print()
	return results
