"""Replay of delivery promising over a generated year (pure Python, no site):

    python -m order_mgmt.benchmarks.promise_replay [--orders 20000] [--items 40] [--seed 7]

Day by day: suppliers announce slips (a few working days ahead), incoming Purchase Orders arrive on
their actual date, new order lines are promised by `fulfilment/promise.py` against stock on hand,
open Purchase Orders and earlier promises, slipped promises are re-promised (the alert), and lines
ship first-promised-first as stock allows. Printed: promise-kept rate where supply did not slip,
over-promises found by the daily audit, the gap between each promise and the earliest date that
was feasible in hindsight, and how many of the lines that went late were flagged at least two
working days ahead (recall) and how many flagged lines did go late (precision).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from order_mgmt.fulfilment.promise import (
	Commitment,
	Ledger,
	Supply,
	WorkCalendar,
	over_promised,
	promise_line,
	repromise,
)

CALENDAR = WorkCalendar()  # Monday to Friday
START = date(2026, 1, 5)


@dataclass
class PurchaseOrder:
	name: str
	item: int
	qty: float
	planned: date
	actual: date
	notice: date  # the day the supplier tells the new date (== planned when it does not slip)
	created: date  # the day the Purchase Order is placed (visible to promising from then on)

	@property
	def slipped(self) -> bool:
		return self.actual > self.planned


@dataclass
class Line:
	name: str
	item: int
	qty: float
	ordered: date
	requested: date
	original: date | None = None
	promised: date | None = None
	shipped: date | None = None
	flagged_on: date | None = None
	repromised: int = 0
	hindsight: date | None = None
	pegged: set = field(default_factory=set)


def working_days(start: date, count: int) -> list[date]:
	days, day = [], start
	while len(days) < count:
		if CALENDAR.is_working_day(day):
			days.append(day)
		day += timedelta(days=1)
	return days


def run(
	orders: int = 20000,
	items: int = 40,
	seed: int = 7,
	slip_share: float = 0.2,
	unannounced_share: float = 0.1,
) -> dict:
	"""`slip_share` of Purchase Orders arrive 1–8 working days late; the supplier announces the new
	date five working days after ordering, except for `unannounced_share` of the slips, found only
	when the goods do not come on the planned day."""
	rng = random.Random(seed)
	days = working_days(START, 260)
	per_day = orders / len(days)
	mean_qty = 10.5
	daily_demand = per_day / items * mean_qty

	stock = [daily_demand * 10 for _ in range(items)]
	purchase_orders: list[PurchaseOrder] = []
	for item in range(items):
		for index, created in enumerate(days[::10]):
			planned = CALENDAR.add_working_days(created, 10)
			slip = rng.randint(1, 8) if rng.random() < slip_share else 0
			actual = CALENDAR.add_working_days(planned, slip)
			announced = slip and rng.random() >= unannounced_share
			notice = CALENDAR.add_working_days(created, 5) if announced else planned
			purchase_orders.append(
				PurchaseOrder(
					f"PO-{item}-{index}",
					item,
					round(daily_demand * 10 * 1.05),
					planned,
					actual,
					notice,
					created,
				)
			)
	known_date = {po.name: po.planned for po in purchase_orders}
	open_pos = {item: [po for po in purchase_orders if po.item == item] for item in range(items)}
	lines: dict[str, Line] = {}
	open_lines: dict[int, list[Line]] = {item: [] for item in range(items)}
	unpromised: dict[int, list[Line]] = {item: [] for item in range(items)}
	over = 0
	counter = 0
	started = time.perf_counter()

	def ledger(item: int, today: date, actual: bool = False) -> Ledger:
		supplies = tuple(
			Supply(po.actual if actual else known_date[po.name], po.qty, "Purchase Order", po.name)
			for po in open_pos[item]
			if po.created <= today
		)
		commitments = tuple(
			Commitment(line.promised, line.qty, line.name) for line in open_lines[item] if line.promised
		)
		return Ledger(stock[item], supplies, commitments)

	for today in days:
		# 1. Slips announced today: the supply's date moves, promises on it are re-checked.
		for item in range(items):
			slipped = [
				po for po in open_pos[item] if po.slipped and po.notice == today and po.notice < po.planned
			]
			if not slipped:
				continue
			for po in slipped:
				known_date[po.name] = po.actual
			for moved in repromise(ledger(item, today), CALENDAR, today):
				line = lines[moved.line]
				line.promised = moved.new_on
				line.repromised += 1
				line.flagged_on = line.flagged_on or today
		# 2. Arrivals (a slip nobody announced is discovered on the planned day: the PO is just late).
		for item in range(items):
			for po in [po for po in open_pos[item] if po.actual == today]:
				stock[item] += po.qty
				open_pos[item].remove(po)
			for po in open_pos[item]:
				if po.planned == today and po.slipped and known_date[po.name] == po.planned:
					known_date[po.name] = po.actual
					for moved in repromise(ledger(item, today), CALENDAR, today):
						line = lines[moved.line]
						line.promised, line.repromised = moved.new_on, line.repromised + 1
						line.flagged_on = line.flagged_on or today
		# 3. New order lines, promised as they are entered (and yesterday's unpromised ones again).
		for _ in range(rng.randint(int(per_day * 0.7), int(per_day * 1.3))):
			counter += 1
			item = rng.randrange(items)
			line = Line(
				f"L{counter}",
				item,
				float(rng.randint(1, 20)),
				today,
				CALENDAR.add_working_days(today, rng.randint(3, 15)),
			)
			lines[line.name] = line
			unpromised[item].append(line)
		for item in range(items):
			waiting, unpromised[item] = unpromised[item], []
			for line in waiting:
				result = promise_line(ledger(item, today), CALENDAR, today, line.qty, line.requested)
				if result.earliest_full_date is None:
					unpromised[item].append(line)
					continue
				line.promised = line.original = result.earliest_full_date
				hindsight = promise_line(
					ledger(item, today, actual=True), CALENDAR, today, line.qty, line.requested
				)
				line.hindsight = hindsight.earliest_full_date
				open_lines[item].append(line)
		# 4. Audit, then ship what is due, first promised first.
		for item in range(items):
			if over_promised(ledger(item, today), CALENDAR, today):
				over += 1
			for line in sorted(open_lines[item], key=lambda line: (line.promised, line.name)):
				if line.promised <= today and stock[item] >= line.qty:
					stock[item] -= line.qty
					line.shipped = today
					open_lines[item].remove(line)

	elapsed = time.perf_counter() - started
	promised = [line for line in lines.values() if line.original and line.shipped]
	unslipped = [line for line in promised if not line.repromised]
	kept_unslipped = [line for line in unslipped if line.shipped <= line.original]
	late = [line for line in promised if line.shipped > line.original]
	flagged = [line for line in promised if line.flagged_on]

	def ahead(line: Line) -> bool:
		return CALENDAR.working_days_between(line.flagged_on, line.original) >= 2

	flagged_ahead_late = [line for line in late if line.flagged_on and ahead(line)]
	gaps = [
		abs(CALENDAR.working_days_between(line.hindsight, line.original))
		for line in promised
		if line.hindsight
	]
	return {
		"lines": len(lines),
		"promised_and_shipped": len(promised),
		"never_promised": sum(1 for line in lines.values() if not line.original),
		"kept_rate_unslipped": round(100 * len(kept_unslipped) / max(len(unslipped), 1), 2),
		"kept_rate_all": round(100 * (len(promised) - len(late)) / max(len(promised), 1), 2),
		"over_promise_audits_failed": over,
		"median_gap_days": statistics.median(gaps) if gaps else None,
		"p90_gap_days": statistics.quantiles(gaps, n=10)[-1] if len(gaps) > 10 else None,
		"late_lines": len(late),
		"alert_recall": round(100 * len(flagged_ahead_late) / max(len(late), 1), 1),
		"alert_precision": round(
			100 * len([line for line in flagged if line in late]) / max(len(flagged), 1), 1
		),
		"seconds": round(elapsed, 1),
	}


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--orders", type=int, default=20000)
	parser.add_argument("--items", type=int, default=40)
	parser.add_argument("--seed", type=int, default=7)
	parser.add_argument("--unannounced", type=float, default=0.1, help="share of slips nobody announces")
	args = parser.parse_args()
	for key, value in run(args.orders, args.items, args.seed, unannounced_share=args.unannounced).items():
		print(f"{key:>28}: {value}")


if __name__ == "__main__":
	main()
