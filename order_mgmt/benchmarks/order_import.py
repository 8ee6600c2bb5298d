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

It prints and returns lines and orders per second for each, and the ratio app / ERPNext. Unlike
benchmarks/intake.py it commits (both importers commit per document): run it on a test site.
"""

from __future__ import annotations

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


def erpnext_rows(customer: str, items: list[str], orders: int, qty: float) -> list[list]:
	header = [
		"customer",
		"transaction_date",
		"delivery_date",
		"company",
		"items.item_code",
		"items.qty",
		"items.delivery_date",
		"items.warehouse",
	]
	rows = [header]
	date, delivery = nowdate(), add_days(nowdate(), 5)
	for _order in range(orders):
		for position, item in enumerate(items):
			parent = [customer, date, delivery, company()] if position == 0 else ["", "", "", ""]
			rows.append([*parent, item, qty, delivery, warehouse()])
	return rows


def app_rows(customer: str, items: list[str], orders: int, qty: float) -> list[list]:
	rows = [["external_reference", "customer", "delivery_date", "item_code", "qty", "warehouse"]]
	prefix = unique("BENCH")
	delivery = add_days(nowdate(), 5)
	for order in range(orders):
		for item in items:
			rows.append([f"{prefix}-{order}", customer, delivery, item, qty, warehouse()])
	return rows


def run(orders: int = 100, lines: int = 5, qty: float = 1) -> dict:
	frappe.flags.mute_emails = True
	stock = 2 * orders * qty + 10  # both imports' orders in stock: the app's are not held as short
	# priced above their valuation (the "Priced below cost" rule would send every order to review)
	items = [make_item(rate=10, valuation_rate=5, stock_qty=stock) for _line in range(lines)]
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
			"import_file": attach(erpnext_rows(customer, items, orders, qty), f"{unique('so')}.csv"),
		}
	).insert()
	frappe.db.commit()
	started = time.perf_counter()
	start_import(data_import.name)
	erpnext_seconds = time.perf_counter() - started
	data_import.reload()
	erpnext_made = frappe.db.count("Sales Order", {"customer": customer, "docstatus": 1})

	# The app's import: Customer Orders, reviewed, approved, Sales Order, reservation
	from order_mgmt.orders import bulk_import

	order_import = frappe.get_doc(
		{
			"doctype": "Customer Order Import",
			"company": company(),
			"import_file": attach(app_rows(customer, items, orders, qty), f"{unique('co')}.csv"),
		}
	).insert()
	frappe.db.commit()
	started = time.perf_counter()
	summary = bulk_import.run(order_import.name)
	app_seconds = time.perf_counter() - started
	approved = frappe.db.count(
		"Customer Order", {"customer": customer, "docstatus": 1, "sales_order": ("is", "set")}
	)

	total_lines = orders * lines
	result = {
		"orders": orders,
		"lines": total_lines,
		"erpnext_data_import": {
			"status": data_import.status,
			"sales_orders_submitted": erpnext_made,
			"seconds": round(erpnext_seconds, 1),
			"lines_per_second": round(total_lines / erpnext_seconds, 2),
			"orders_per_second": round(orders / erpnext_seconds, 2),
		},
		"customer_order_import": {
			"created": len(summary["created"]),
			"refused": len(summary["refused"]),
			"approved_with_sales_order": approved,
			"seconds": round(app_seconds, 1),
			"lines_per_second": round(total_lines / app_seconds, 2),
			"orders_per_second": round(orders / app_seconds, 2),
		},
		"ratio_app_to_erpnext": round(erpnext_seconds / app_seconds, 2),
	}
	print(frappe.as_json(result))
	return result


# --- a worker killed mid-import (scripts: see the README's "Import orders") ----------------------------


def prepare(orders: int = 60, lines: int = 5) -> str:
	"""An import of `orders` orders ready to run; its name (printed)."""
	items = [make_item(rate=10, valuation_rate=5, stock_qty=orders + 10) for _line in range(lines)]
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
