"""Benchmark: the app's spreadsheet import (Customer Orders, reviewed, approved, Sales Order created and
stock reserved) against ERPNext's own Data Import of the same lines as submitted Sales Orders.

  bench --site h-bulk.localhost execute order_mgmt.benchmarks.order_import.run \
      --kwargs '{"orders": 2000, "lines": 5}'

Both run in the same process on the same site, in one run: the same customer, items, quantities and
warehouse; ERPNext's Data Import imports a CSV in its own format (`Insert New Records`, *Submit After
Import*) through its importer (`frappe.core.doctype.data_import.data_import.start_import`, the job
function, run here in the foreground); the app imports a CSV of its template through
`order_mgmt.orders.bulk_import.run` (the job function), which also reviews each order (auto-approved:
a known customer within every rule), creates and submits its Sales Order and reserves its stock.

It prints and returns lines and orders per second for each, the ratio app / ERPNext and the load
average at the start, between the two imports and at the end. Unlike benchmarks/intake.py it commits
(both importers commit per document): run it on a test site — and run no test suite on that site
meanwhile: ERPNext's `before_tests` deletes every Item Price, after which the app's orders are priced at
0, held for review as priced below cost, and never reach a Sales Order (`approved_with_sales_order`
then falls short of `created`).
"""

from __future__ import annotations

import os
import time

import frappe
from frappe.utils import add_days, nowdate
from frappe.utils.csvutils import to_csv

from order_mgmt.tests.utils import company, make_customer, make_item, unique, warehouse


def attach(rows: list[list], name: str) -> str:
	return (
		frappe.get_doc({"doctype": "File", "file_name": name, "is_private": 1, "content": to_csv(rows)})
		.insert(ignore_permissions=True)
		.file_url
	)


def erpnext_rows(
	customer: str, items: list[str], orders: int, lines: int, qty: float, reserve: bool = False
) -> list[list]:
	header = [
		"customer",
		"transaction_date",
		"delivery_date",
		"company",
		"reserve_stock",
		"items.item_code",
		"items.qty",
		"items.delivery_date",
		"items.warehouse",
		"items.reserve_stock",
	]
	rows = [header]
	date, delivery = nowdate(), add_days(nowdate(), 5)
	for order in range(orders):
		for position, item in enumerate(order_items(items, order, lines)):
			parent = [customer, date, delivery, company(), int(reserve)] if position == 0 else [""] * 5
			rows.append([*parent, item, qty, delivery, warehouse(), int(reserve)])
	return rows


def app_rows(
	customer: str, items: list[str], orders: int, qty: float, lines: int | None = None
) -> list[list]:
	rows = [["external_reference", "customer", "delivery_date", "item_code", "qty", "warehouse"]]
	prefix = unique("BENCH")
	delivery = add_days(nowdate(), 5)
	for order in range(orders):
		for item in order_items(items, order, lines or len(items)):
			rows.append([f"{prefix}-{order}", customer, delivery, item, qty, warehouse()])
	return rows


def order_items(items: list[str], order: int, lines: int) -> list[str]:
	"""The order's `lines` items: the catalogue in turn (all of it when it has `lines` items)."""
	return [items[(order * lines + position) % len(items)] for position in range(lines)]


def catalogue(size: int, stock: float) -> list[str]:
	# priced above their valuation (the "Priced below cost" rule would send every order to review)
	return [make_item(rate=10, valuation_rate=5, stock_qty=stock) for _item in range(size)]


def drain_queued_jobs() -> float:
	"""Run the after-commit jobs the app's orders queued (Bin caches, analytics facts) here, as a worker
	would: their time is the import's too. Returns the seconds."""
	from order_mgmt.analytics import facts
	from order_mgmt.erpnext_bridge import stock_reservation

	started = time.perf_counter()
	stock_reservation.refresh_waiting_bins()
	facts.refresh_marked()
	frappe.db.commit()
	return time.perf_counter() - started


def run(
	orders: int = 100, lines: int = 5, qty: float = 1, items: int | None = None, erpnext_reserves: int = 0
) -> dict:
	"""`items`: how many different items the lines are drawn from (default `lines`: every order has the
	same items, the worst case for reservations: each item's open reservations grow with every order).
	`erpnext_reserves`: ERPNext's Data Import reserves stock too (the Sales Orders' *Reserve Stock*)."""
	frappe.flags.mute_emails = True
	size = items or lines
	per_item = orders * lines * qty / size + 10
	# Each side its own items, alike (rate, valuation, stock): neither pays for the other's Sales Orders
	# and reservations (ERPNext's submit sums every open Sales Order line of an item).
	erpnext_items, app_items = catalogue(size, per_item), catalogue(size, per_item)
	customer = make_customer()
	frappe.db.commit()

	# ERPNext's Data Import: Sales Orders, submitted after import
	from frappe.core.doctype.data_import.data_import import start_import

	data_import = frappe.get_doc(
		{
			"doctype": "Data Import",
			"reference_doctype": "Sales Order",
			"import_type": "Insert New Records",
			"submit_after_import": 1,
			"mute_emails": 1,
			"import_file": attach(
				erpnext_rows(customer, erpnext_items, orders, lines, qty, bool(erpnext_reserves)),
				f"{unique('so')}.csv",
			),
		}
	).insert()
	frappe.db.commit()
	load = [os.getloadavg()[0]]
	started = time.perf_counter()
	start_import(data_import.name)
	erpnext_seconds = time.perf_counter() - started
	data_import.reload()
	erpnext_made = frappe.db.count("Sales Order", {"customer": customer, "docstatus": 1})
	erpnext_reserved = frappe.db.count(
		"Stock Reservation Entry", {"item_code": ("in", erpnext_items), "docstatus": 1}
	)

	# The app's import: Customer Orders, reviewed, approved, Sales Order, reservation
	from order_mgmt.orders import bulk_import

	order_import = frappe.get_doc(
		{
			"doctype": "Customer Order Import",
			"company": company(),
			"import_file": attach(app_rows(customer, app_items, orders, qty, lines), f"{unique('co')}.csv"),
		}
	).insert()
	frappe.db.commit()
	load.append(os.getloadavg()[0])
	started = time.perf_counter()
	summary = bulk_import.run(order_import.name)
	jobs_seconds = drain_queued_jobs()
	app_seconds = time.perf_counter() - started
	load.append(os.getloadavg()[0])
	approved = frappe.db.count(
		"Customer Order", {"customer": customer, "docstatus": 1, "sales_order": ("is", "set")}
	)
	app_reserved = frappe.db.count(
		"Stock Reservation Entry", {"item_code": ("in", app_items), "docstatus": 1}
	)

	total_lines = orders * lines
	result = {
		"orders": orders,
		"lines": total_lines,
		"items_per_side": size,
		"erpnext_data_import": {
			"status": data_import.status,
			"reserves_stock": bool(erpnext_reserves),
			"sales_orders_submitted": erpnext_made,
			"reservation_entries": erpnext_reserved,
			"seconds": round(erpnext_seconds, 1),
			"lines_per_second": round(total_lines / erpnext_seconds, 2),
			"orders_per_second": round(orders / erpnext_seconds, 2),
		},
		"customer_order_import": {
			"created": len(summary["created"]),
			"refused": len(summary["refused"]),
			"approved_with_sales_order": approved,
			"reservation_entries": app_reserved,
			"seconds": round(app_seconds, 1),
			"of_which_queued_jobs_seconds": round(jobs_seconds, 1),
			"lines_per_second": round(total_lines / app_seconds, 2),
			"orders_per_second": round(orders / app_seconds, 2),
		},
		"ratio_app_to_erpnext": round(erpnext_seconds / app_seconds, 2),
		"load_average_1min": {"start": load[0], "between": load[1], "end": load[2]},
	}
	print(frappe.as_json(result))
	return result


# --- where an import's time goes ---------------------------------------------------------------------


def profile(orders: int = 30, lines: int = 5, top: int = 30) -> dict:
	"""Import `orders` orders under cProfile, counting statements per kind and table and per app function,
	and the time inside the order path (`external_intake.place`) against the import's own work. COMMITS."""
	import cProfile
	import io
	import pstats
	from collections import Counter

	from order_mgmt.benchmarks.intake import app_frame, statement_signature
	from order_mgmt.orders import bulk_import, external_intake

	frappe.flags.mute_emails = True
	name = prepare(orders, lines)
	db_class = frappe.db.__class__
	original_sql, original_place = db_class.sql, external_intake.place
	inside = {"seconds": 0.0, "depth": 0}
	signatures, frames, statements = Counter(), Counter(), Counter()

	def sql(self, query, *args, **kwargs):
		where = "order path" if inside["depth"] else "import"
		statements[where] += 1
		signatures[f"{where}: {statement_signature(query)}"] += 1
		if not inside["depth"]:
			frames[app_frame()] += 1
		return original_sql(self, query, *args, **kwargs)

	def place(*args, **kwargs):
		inside["depth"] += 1
		started = time.perf_counter()
		try:
			return original_place(*args, **kwargs)
		finally:
			inside["seconds"] += time.perf_counter() - started
			inside["depth"] -= 1

	profiler = cProfile.Profile()
	db_class.sql, external_intake.place = sql, place
	started = time.perf_counter()
	profiler.enable()
	try:
		summary = bulk_import.run(name)
	finally:
		profiler.disable()
		db_class.sql, external_intake.place = original_sql, original_place
	seconds = time.perf_counter() - started
	out = io.StringIO()
	stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
	stats.print_stats(top)
	# the app's steps on the order path (claim, order built, insert, submit, hand-off, reservation)
	stats.print_stats(r"order_mgmt/(orders|review|erpnext_bridge|order_mgmt/doctype/customer_order)/", top)
	print(out.getvalue())
	print("statements per order:")
	for key, value in signatures.most_common(top):
		print(f"{value / orders:>9.1f}  {key}")
	print("import statements per order by app function:")
	for key, value in frames.most_common(top):
		print(f"{value / orders:>9.1f}  {key}")
	result = {
		"orders": orders,
		"lines": orders * lines,
		"created": len(summary["created"]),
		"refused": len(summary["refused"]),
		"seconds": round(seconds, 2),
		"seconds_in_order_path": round(inside["seconds"], 2),
		"seconds_import_own": round(seconds - inside["seconds"], 2),
		"statements_per_order": {key: round(value / orders, 1) for key, value in statements.items()},
	}
	print(frappe.as_json(result))
	return result


# --- a worker killed mid-import (scripts: see the README's "Import orders") ----------------------------


def prepare(orders: int = 60, lines: int = 5) -> str:
	"""An import of `orders` orders ready to run; its name (printed)."""
	items = catalogue(lines, orders + 10)
	customer = make_customer()
	doc = frappe.get_doc(
		{
			"doctype": "Customer Order Import",
			"company": company(),
			"import_file": attach(app_rows(customer, items, orders, 1), f"{unique('kill')}.csv"),
		}
	).insert()
	frappe.db.commit()
	print(doc.name)
	return doc.name


def serve_queue(site: str, queue: str) -> None:
	"""An RQ worker as `bench worker` starts it (frappe.utils.background_jobs.start_worker: Frappe's
	jobs, run by `execute_job` in a forked work horse) on one queue of this bench, with the site's
	Redis — a queue of its own, so that a test's worker runs no job another test left in *long*.
	Run in the bench's sites folder: `python -c "...serve_queue('SITE', 'QUEUE')"`."""
	from frappe.utils.background_jobs import Worker, generate_qname, get_redis_conn

	with frappe.init_site(site):
		connection = get_redis_conn()
		queues = [generate_qname(queue)]
	Worker(queues, connection=connection).work(
		logging_level="INFO", date_format="%Y-%m-%d %H:%M:%S", log_format="%(asctime)s %(message)s"
	)


def state(name: str) -> dict:
	"""What an import left: its claimed references, the orders they name, and orders without a claim."""
	keys = frappe.get_all(
		"Order Intake Key", filters={"customer_order_import": name}, fields=["reference", "customer_order"]
	)
	orders = [key.customer_order for key in keys]
	references = frappe.db.get_value(DOCTYPE_IMPORT, name, "total_orders")
	customer_po = frappe.get_all(
		"Customer Order", filters={"name": ("in", orders or [""])}, pluck="customer_po"
	)
	result = {
		"claims": len(keys),
		"claims_without_order": sum(1 for key in keys if not key.customer_order),
		"orders": len(set(orders)),
		"submitted": frappe.db.count("Customer Order", {"name": ("in", orders or [""]), "docstatus": 1}),
		"duplicate_references": len(customer_po) - len(set(customer_po)),
		"orders_in_file": references,
		# a fresh customer per prepared import: every order of it must have its claim
		"orders_of_the_customer": frappe.db.count(
			"Customer Order", {"customer": frappe.db.get_value("Customer Order", orders[0], "customer")}
		)
		if orders
		else 0,
	}
	print(frappe.as_json(result))
	return result


DOCTYPE_IMPORT = "Customer Order Import"
