"""Benchmark: the memory of the bulk jobs — one batch Pick List and invoicing — over 100 and 500 orders.

  bench --site test-order-mgmt.localhost execute order_mgmt.benchmarks.memory.run \
      --kwargs '{"sizes": "100,500"}'

or scripts/benchmark.sh memory [SIZES]. For each size, in one transaction rolled back at the end (as
the intake benchmark), each job measured in this process as the RQ worker would run it:

- pick:    that many auto-approved one-line orders of a stock item (stock reserved at approval), and
  `fulfilment.picking.build_pick_list` over all of them (what the job `build_pick_list_job` runs);
- deliver: `fulfilment.picking.deliver_pick_list` of that Pick List (a Delivery Note per order), at
  the smallest size only: ERPNext maps each Delivery Note from the whole Pick List, so its time grows
  with the square of the batch (39 s for 100 orders, over 10 minutes for 500 on this machine);
- invoice: that many auto-approved one-line orders of a service item (invoiced from the Sales Order,
  nothing to deliver), and `accounting.invoicing.invoice_orders` over all of them (the job
  `create_sales_invoices` queues), with its progress bar.

For each job: the resident set size (RSS, from /proc, sampled every 10 ms by a thread) when it starts,
its peak while it runs and the growth (peak less start), and the process's peak RSS so far
(getrusage). A flat profile: the growth at 500 orders about that at 100, not five times it. With
`python=1` also the peak of Python's own allocations during each job (slower).
"""

from __future__ import annotations

import os
import resource
import threading
import time
import tracemalloc
from contextlib import contextmanager

import frappe
from frappe.utils import cint

from order_mgmt.accounting.invoicing import invoice_orders
from order_mgmt.benchmarks.intake import SETTINGS, BenchmarkError, settings_for_auto_approval
from order_mgmt.fulfilment.picking import build_pick_list, deliver_pick_list
from order_mgmt.tests.utils import make_customer, make_item, order_doc

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def rss_bytes() -> int:
	with open("/proc/self/statm") as statm:
		return int(statm.read().split()[1]) * PAGE


class PeakRSS:
	"""The largest RSS of this process while the block runs (a thread samples /proc/self/statm)."""

	def __init__(self, interval: float = 0.01):
		self.interval = interval
		self.start = self.peak = rss_bytes()
		self._stop = threading.Event()
		self._thread = threading.Thread(target=self._sample, daemon=True)

	def _sample(self) -> None:
		while not self._stop.is_set():
			self.peak = max(self.peak, rss_bytes())
			self._stop.wait(self.interval)

	def __enter__(self):
		self._thread.start()
		return self

	def __exit__(self, *exc):
		self._stop.set()
		self._thread.join()
		self.peak = max(self.peak, rss_bytes())


@contextmanager
def measured(results: dict, key: str, trace: bool):
	if trace:
		tracemalloc.start()
	started = time.perf_counter()
	with PeakRSS() as peak:
		yield
	seconds = time.perf_counter() - started
	row = {
		"seconds": round(seconds, 1),
		"rss_start_mb": round(peak.start / MB, 1),
		"rss_peak_mb": round(peak.peak / MB, 1),
		"rss_growth_mb": round((peak.peak - peak.start) / MB, 1),
		# ru_maxrss is in kilobytes on Linux: the process's peak so far.
		"process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
	}
	if trace:
		row["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / MB, 1)
		tracemalloc.stop()
	results[key] = row
	print(f"  {key:<14} {row}", flush=True)


def _approved_orders(customer: str, item: str, count: int) -> list[str]:
	names = []
	for index in range(count):
		order = order_doc(
			customer,
			[{"item_code": item, "qty": 1}],
			customer_po=f"BENCH-MEM-{index}-{frappe.generate_hash(length=6)}",
		)
		order.insert()
		order.submit()
		if not order.sales_order:
			raise BenchmarkError(f"{order.name} was not approved: {order.status}")
		names.append(order.name)
		if index % 50 == 49:
			frappe.local.message_log = []
	return names


def run(sizes: str | list = "100,500", python: int = 0) -> dict:
	sizes = [cint(size) for size in (sizes.split(",") if isinstance(sizes, str) else sizes)]
	if not sizes or min(sizes) < 1:
		raise BenchmarkError("sizes: whole numbers of orders, e.g. 100,500")
	trace = bool(cint(python))
	frappe.set_user("Administrator")
	frappe.db.rollback()
	results: dict = {}
	try:
		settings_for_auto_approval()
		customer = make_customer()
		item = make_item(stock_qty=sum(sizes) * 2 + 100)
		service = make_item(is_stock_item=0, stock_qty=0)
		for size in sizes:
			print(f"\n{size} orders: making them", flush=True)
			names = _approved_orders(customer, item, size)
			holder: dict = {}
			with measured(results, f"{size}.pick", trace):
				holder["pick_list"] = build_pick_list(names)
			if size == min(sizes):
				with measured(results, f"{size}.deliver", trace):
					notes = deliver_pick_list(holder["pick_list"])
				if len(notes) != size:
					raise BenchmarkError(f"{len(notes)} Delivery Notes for {size} orders")
			names = _approved_orders(customer, service, size)
			with measured(results, f"{size}.invoice", trace):
				outcome = invoice_orders(names, progress=True)
			if outcome["failed"] or len(outcome["created"]) != size:
				raise BenchmarkError(f"Invoicing refused orders: {list(outcome['failed'].items())[:3]}")
	finally:
		frappe.db.rollback()
		frappe.clear_document_cache(SETTINGS, SETTINGS)
	print("\nPeak RSS of the bulk jobs (MB; growth = peak while the job ran less RSS when it started)")
	print(f"{'job':<16}{'orders':>8}{'seconds':>9}{'start':>9}{'peak':>9}{'growth':>9}")
	for key, row in results.items():
		size, job = key.split(".")
		print(
			f"{job:<16}{size:>8}{row['seconds']:>9}{row['rss_start_mb']:>9}{row['rss_peak_mb']:>9}"
			f"{row['rss_growth_mb']:>9}"
		)
	return results
