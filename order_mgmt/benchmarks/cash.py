"""Benchmark: order to cash, the whole path per order, the app against ERPNext alone on the same data.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.cash.run --kwargs '{"orders": 10}'

or scripts/benchmark.sh cash [ORDERS [LINES]]. In one transaction, rolled back at the end (as the
intake benchmark), for `orders` orders of `lines` lines:

- (a) ERPNext alone, per order: a Sales Order reserving its stock (insert, submit), ERPNext's Unreserve
  (it refuses pick lists for reserved orders), its Pick List (insert, submit), the Delivery Note from
  the Pick List (submit), the Sales Invoice from the Delivery Note (insert, submit) and a Payment Entry
  for it (insert, submit);
- (b) the app: each order's intake to an auto-approved, reserved Sales Order; one batch Pick List over
  all the orders (`build_pick_list`) and its Delivery Notes (`deliver_pick_list`); each order's
  invoice (`create_sales_invoice`) and payment (`register_payment`).

Reported per order: wall time and SQL statements of each step and of the whole path, and (b)/(a).
"""

from __future__ import annotations

from collections import Counter

import frappe
from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
from erpnext.accounts.doctype.sales_invoice.sales_invoice import get_bank_cash_account
from erpnext.selling.doctype.sales_order.sales_order import create_pick_list as erpnext_create_pick_list
from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice as invoice_from_note
from erpnext.stock.doctype.pick_list.pick_list import create_delivery_note
from erpnext.stock.doctype.stock_reservation_entry.stock_reservation_entry import (
	cancel_stock_reservation_entries,
)
from frappe.utils import cint, flt, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.benchmarks.intake import (
	SETTINGS,
	BenchmarkError,
	Data,
	Recorder,
	baseline_order,
	instrumented_db,
	intake_order,
	make_data,
	settings_for_auto_approval,
)
from order_mgmt.fulfilment.picking import build_pick_list, deliver_pick_list

MODE_OF_PAYMENT = "Bank Transfer"
STEPS = ("order", "pick", "deliver", "invoice", "pay")


def _mode_of_payment() -> str:
	if frappe.db.exists("Mode of Payment", MODE_OF_PAYMENT):
		return MODE_OF_PAYMENT
	return frappe.get_all("Mode of Payment", filters={"enabled": 1}, pluck="name", limit=1)[0]


def _erpnext_path(data: Data, recorder: Recorder, index: int, mode: str, totals: dict) -> None:
	"""ERPNext's own documents for one order, step by step."""
	baseline_order(data, recorder, "a", f"CASH-a-{index}-{frappe.generate_hash(length=6)}")
	holder: dict = {"so": recorder.created["Sales Order"][-1]}

	def pick():
		cancel_stock_reservation_entries("Sales Order", holder["so"], notify=False)
		pick_list = erpnext_create_pick_list(holder["so"])
		pick_list.insert()
		pick_list.submit()
		holder["pick_list"] = pick_list.name

	def deliver():
		note = create_delivery_note(holder["pick_list"])
		note.submit()
		holder["note"] = note.name

	def invoice():
		si = invoice_from_note(holder["note"])
		si.insert()
		si.submit()
		holder["invoice"] = si

	def pay():
		si = holder["invoice"]
		account = get_bank_cash_account(mode, si.company)["account"]
		entry = get_payment_entry("Sales Invoice", si.name, bank_account=account)
		entry.mode_of_payment = mode
		entry.reference_no = si.name
		entry.reference_date = nowdate()
		entry.insert()
		entry.submit()

	for step, call in (("pick", pick), ("deliver", deliver), ("invoice", invoice), ("pay", pay)):
		totals[step].append(recorder.timed(call))


def _app_orders(data: Data, recorder: Recorder, orders: int) -> list[str]:
	names = []
	for index in range(orders):
		intake_order(data, recorder, "b", f"CASH-b-{index}-{frappe.generate_hash(length=6)}")
		names.append(recorder.created["Customer Order"][-1])
	return names


def run(orders: int = 10, lines: int = 3) -> dict:
	orders, lines = cint(orders), cint(lines)
	if orders < 1 or lines < 1:
		raise BenchmarkError("orders and lines must be at least 1")
	frappe.set_user("Administrator")
	frappe.db.rollback()
	recorder = Recorder()
	erpnext: dict[str, list] = {step: [] for step in STEPS}
	app: dict[str, list] = {step: [] for step in STEPS}
	try:
		with instrumented_db(recorder):
			settings_for_auto_approval()
			data = make_data(stock_per_item=lines * orders * 10 + 1000, lines=lines)
			mode = _mode_of_payment()
			# (a) ERPNext alone, order by order.
			for index in range(orders):
				_erpnext_path(data, recorder, index, mode, erpnext)
			erpnext["order"] = recorder.samples.pop("a")
			for key in ("a.insert", "a.submit"):
				recorder.samples.pop(key, None)
			# (b) the app: intake per order, then the batch pick list and delivery, invoice and payment.
			names = _app_orders(data, recorder, orders)
			app["order"] = recorder.samples.pop("b")
			holder: dict = {}
			app["pick"].append(recorder.timed(lambda: holder.update(pick_list=build_pick_list(names))))
			app["deliver"].append(recorder.timed(lambda: deliver_pick_list(holder["pick_list"])))
			for name in names:
				app["invoice"].append(
					recorder.timed(lambda name=name: holder.update(si=create_sales_invoice(name)))
				)
				grand_total = flt(frappe.db.get_value("Sales Invoice", holder["si"], "grand_total"))
				app["pay"].append(
					recorder.timed(lambda name=name, amount=grand_total: register_payment(name, amount, mode))
				)
			unpaid = frappe.get_all(
				"Customer Order",
				filters={"name": ("in", names), "payment_status": ("!=", "Paid")},
				pluck="name",
			)
			if unpaid:
				raise BenchmarkError(f"Orders not paid at the end of the app's path: {unpaid}")
	finally:
		frappe.db.rollback()
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	def per_order(samples: list[tuple[float, Counter]]) -> tuple[float, float]:
		return (
			sum(seconds for seconds, _ in samples) * 1000 / orders,
			sum(sum(queries.values()) for _, queries in samples) / orders,
		)

	results: dict = {"orders": orders, "lines_per_order": lines, "steps": {}}
	print(f"\nOrder to cash, per order ({orders} orders x {lines} lines): ms, SQL statements")
	print(f"{'step':<10}{'ERPNext ms':>12}{'q':>8}{'app ms':>10}{'q':>8}{'time x':>9}{'SQL x':>8}")
	whole_a, whole_b = [0.0, 0.0], [0.0, 0.0]
	for step in STEPS:
		a, b = per_order(erpnext[step]), per_order(app[step])
		whole_a = [whole_a[0] + a[0], whole_a[1] + a[1]]
		whole_b = [whole_b[0] + b[0], whole_b[1] + b[1]]
		results["steps"][step] = {
			"erpnext_ms": round(a[0], 1),
			"erpnext_q": round(a[1], 1),
			"app_ms": round(b[0], 1),
			"app_q": round(b[1], 1),
		}
		print(
			f"{step:<10}{a[0]:>12.1f}{a[1]:>8.1f}{b[0]:>10.1f}{b[1]:>8.1f}{b[0] / a[0]:>9.2f}{b[1] / a[1]:>8.2f}"
		)
	results["whole"] = {
		"erpnext_ms": round(whole_a[0], 1),
		"erpnext_q": round(whole_a[1], 1),
		"app_ms": round(whole_b[0], 1),
		"app_q": round(whole_b[1], 1),
		"time_ratio": round(whole_b[0] / whole_a[0], 2),
		"sql_ratio": round(whole_b[1] / whole_a[1], 2),
	}
	print(
		f"{'whole':<10}{whole_a[0]:>12.1f}{whole_a[1]:>8.1f}{whole_b[0]:>10.1f}{whole_b[1]:>8.1f}"
		f"{results['whole']['time_ratio']:>9.2f}{results['whole']['sql_ratio']:>8.2f}\n"
	)
	return results
