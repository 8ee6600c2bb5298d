"""Delivery performance (pure): order lines and their deliveries into on-time rates per line and per
order, partial shipments, shortages by decision and backorder age.

Definitions:
- a line is a Sales Order line of the order (ERPNext's truth: a cancelled line is reduced, a
  substitute is a line of its own); its promised date is the line's delivery date (the customer's
  requested date, taken over from the Customer Order);
- a line is delivered on the posting date of the (non-return) Delivery Note that brought its
  delivered quantity up to the ordered quantity; a line whose ordered quantity is 0 (cancelled)
  does not count;
- line outcome: "On Time" (delivered on or before the promised date), "Late" (delivered after it),
  "Overdue" (not yet delivered and the promised date has passed, as of `today`), "Open" (not yet
  delivered, not yet due). The on-time rate is On Time against On Time + Late + Overdue: open lines
  are not measured yet;
- an order is on time when every measured line is and none is open; late when any line is Late or
  Overdue; else open. Its on-time rate is on time against on time + late;
- partial shipment: an order delivered in more than one Delivery Note;
- shortage: an order line that could not be fully reserved at approval, with the customer's decision
  ("Undecided" while none is recorded); an open backorder is a Backorder line not yet delivered,
  its age the days since the order date (as of `today`).

The Frappe side (the Delivery Performance report) gathers lines, deliveries and shortages with three
queries and formats these rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from order_mgmt.analytics.review_kpis import week_of
from order_mgmt.analytics.stats import median, rate

ON_TIME = "On Time"
LATE = "Late"
OVERDUE = "Overdue"
OPEN = "Open"
UNDECIDED = "Undecided"
BACKORDER = "Backorder"


@dataclass(frozen=True)
class Delivery:
	note: str
	posting_date: date
	qty: float


@dataclass(frozen=True)
class LineFact:
	order: str
	order_date: date
	line: str
	qty: float
	promised: date | None
	deliveries: tuple[Delivery, ...] = ()


@dataclass(frozen=True)
class ShortageFact:
	order: str
	order_date: date
	line: str
	item_code: str
	shortage_qty: float
	decision: str | None
	delivered: bool = False


def delivered_on(line: LineFact) -> date | None:
	"""The posting date of the delivery that completed the line, None while it is not complete."""
	done = 0.0
	for delivery in sorted(line.deliveries, key=lambda d: (d.posting_date, d.note)):
		done += delivery.qty
		if done >= line.qty - 1e-9:
			return delivery.posting_date
	return None


def line_outcome(line: LineFact, today: date) -> str | None:
	if line.qty <= 0:
		return None
	day = delivered_on(line)
	if day is not None:
		return ON_TIME if line.promised is None or day <= line.promised else LATE
	if line.promised is not None and line.promised < today:
		return OVERDUE
	return OPEN


def order_outcome(outcomes: Iterable[str | None]) -> str | None:
	outcomes = [o for o in outcomes if o]
	if not outcomes:
		return None
	if LATE in outcomes or OVERDUE in outcomes:
		return LATE
	if OPEN in outcomes:
		return OPEN
	return ON_TIME


def _orders(lines: Iterable[LineFact]) -> dict[str, list[LineFact]]:
	result: dict[str, list[LineFact]] = defaultdict(list)
	for line in lines:
		result[line.order].append(line)
	return result


def _measures(lines: list[LineFact], shortages: list[ShortageFact], today: date) -> dict:
	line_outcomes = [o for o in (line_outcome(line, today) for line in lines) if o]
	orders = _orders(lines)
	order_outcomes = [order_outcome(line_outcome(line, today) for line in rows) for rows in orders.values()]
	on_time_lines = line_outcomes.count(ON_TIME)
	due_lines = on_time_lines + line_outcomes.count(LATE) + line_outcomes.count(OVERDUE)
	on_time_orders = order_outcomes.count(ON_TIME)
	due_orders = on_time_orders + order_outcomes.count(LATE)
	partial = sum(
		1 for rows in orders.values() if len({d.note for line in rows for d in line.deliveries}) > 1
	)
	ages = backorder_ages(shortages, today)
	return {
		"orders": len(orders),
		"lines": len(line_outcomes),
		"on_time_lines": on_time_lines,
		"late_lines": line_outcomes.count(LATE),
		"overdue_lines": line_outcomes.count(OVERDUE),
		"open_lines": line_outcomes.count(OPEN),
		"line_on_time_rate": rate(on_time_lines, due_lines),
		"on_time_orders": on_time_orders,
		"late_orders": order_outcomes.count(LATE),
		"order_on_time_rate": rate(on_time_orders, due_orders),
		"partial_shipments": partial,
		"shortage_lines": len(shortages),
		"open_backorders": len(ages),
		"backorder_age_median": median(ages),
		"backorder_age_max": max(ages) if ages else None,
	}


def backorder_ages(shortages: Iterable[ShortageFact], today: date) -> list[float]:
	return [
		float((today - s.order_date).days) for s in shortages if s.decision == BACKORDER and not s.delivered
	]


@dataclass(frozen=True)
class DayCounts:
	"""The orders of one order date, already counted (the report's SQL does this for large periods
	the way `day_counts` does from lines): lines and orders per outcome, orders shipped in more than
	one Delivery Note."""

	day: date
	on_time_lines: int = 0
	late_lines: int = 0
	overdue_lines: int = 0
	open_lines: int = 0
	on_time_orders: int = 0
	late_orders: int = 0
	open_orders: int = 0
	partial_shipments: int = 0

	@property
	def orders(self) -> int:
		return self.on_time_orders + self.late_orders + self.open_orders


COUNTS = (
	"on_time_lines",
	"late_lines",
	"overdue_lines",
	"open_lines",
	"on_time_orders",
	"late_orders",
	"open_orders",
	"partial_shipments",
)


def day_counts(lines: Iterable[LineFact], today: date) -> list[DayCounts]:
	"""Lines counted per order date (the definition the report's SQL follows)."""
	per_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
	for rows in _orders(lines).values():
		outcomes = [line_outcome(line, today) for line in rows]
		counts = per_day[rows[0].order_date]
		outcome = order_outcome(outcomes)
		if outcome is None:
			continue
		for value, key in ((ON_TIME, "on_time"), (LATE, "late"), (OVERDUE, "overdue"), (OPEN, "open")):
			counts[f"{key}_lines"] += outcomes.count(value)
		counts[{ON_TIME: "on_time_orders", LATE: "late_orders", OPEN: "open_orders"}[outcome]] += 1
		if len({d.note for line in rows for d in line.deliveries}) > 1:
			counts["partial_shipments"] += 1
	return [DayCounts(day, **counts) for day, counts in sorted(per_day.items())]


def _count_measures(days: list[DayCounts], shortages: list[ShortageFact], today: date) -> dict:
	totals = {key: sum(getattr(day, key) for day in days) for key in COUNTS}
	ages = backorder_ages(shortages, today)
	due_lines = totals["on_time_lines"] + totals["late_lines"] + totals["overdue_lines"]
	return {
		"orders": sum(day.orders for day in days),
		"lines": due_lines + totals["open_lines"],
		**{key: totals[key] for key in COUNTS if key != "open_orders"},
		"line_on_time_rate": rate(totals["on_time_lines"], due_lines),
		"order_on_time_rate": rate(
			totals["on_time_orders"], totals["on_time_orders"] + totals["late_orders"]
		),
		"shortage_lines": len(shortages),
		"open_backorders": len(ages),
		"backorder_age_median": median(ages),
		"backorder_age_max": max(ages) if ages else None,
	}


def weekly_count_rows(
	days: Iterable[DayCounts], shortages: Iterable[ShortageFact], today: date
) -> list[dict]:
	"""As weekly_rows, from counts per order date."""
	day_weeks: dict[date, list[DayCounts]] = defaultdict(list)
	shortage_weeks: dict[date, list[ShortageFact]] = defaultdict(list)
	for day in days:
		day_weeks[week_of(day.day)].append(day)
	for shortage in shortages:
		shortage_weeks[week_of(shortage.order_date)].append(shortage)
	weeks = sorted(set(day_weeks) | set(shortage_weeks))
	return [{"week": week, **_count_measures(day_weeks[week], shortage_weeks[week], today)} for week in weeks]


def total_count_row(days: Iterable[DayCounts], shortages: Iterable[ShortageFact], today: date) -> dict:
	return _count_measures(list(days), list(shortages), today)


def weekly_rows(lines: Iterable[LineFact], shortages: Iterable[ShortageFact], today: date) -> list[dict]:
	"""Per week (Monday) of the order date, oldest first: the delivery measures of its orders."""
	line_weeks: dict[date, list[LineFact]] = defaultdict(list)
	shortage_weeks: dict[date, list[ShortageFact]] = defaultdict(list)
	for line in lines:
		line_weeks[week_of(line.order_date)].append(line)
	for shortage in shortages:
		shortage_weeks[week_of(shortage.order_date)].append(shortage)
	weeks = sorted(set(line_weeks) | set(shortage_weeks))
	return [{"week": week, **_measures(line_weeks[week], shortage_weeks[week], today)} for week in weeks]


def total_row(lines: Iterable[LineFact], shortages: Iterable[ShortageFact], today: date) -> dict:
	return _measures(list(lines), list(shortages), today)


def order_rows(lines: Iterable[LineFact], today: date) -> list[dict]:
	"""One row per order, oldest first: its lines by outcome, deliveries, its last delivery date and
	its outcome."""
	rows = []
	for name, order_lines in _orders(lines).items():
		outcomes = [line_outcome(line, today) for line in order_lines]
		done = [d for d in (delivered_on(line) for line in order_lines) if d]
		promised = [line.promised for line in order_lines if line.promised]
		rows.append(
			{
				"order": name,
				"order_date": order_lines[0].order_date,
				"promised": max(promised) if promised else None,
				"delivered": max(done) if done else None,
				"lines": len([o for o in outcomes if o]),
				"on_time_lines": outcomes.count(ON_TIME),
				"late_lines": outcomes.count(LATE) + outcomes.count(OVERDUE),
				"deliveries": len({d.note for line in order_lines for d in line.deliveries}),
				"outcome": order_outcome(outcomes),
			}
		)
	return sorted(rows, key=lambda r: (r["order_date"], r["order"]))


def shortage_rows(shortages: Iterable[ShortageFact], today: date) -> list[dict]:
	"""Per shortage decision (Undecided last): lines, short quantity, lines still open, and the median
	and oldest age of the open backorders."""
	groups: dict[str, list[ShortageFact]] = defaultdict(list)
	for shortage in shortages:
		groups[shortage.decision or UNDECIDED].append(shortage)
	rows = []
	for decision in sorted(groups, key=lambda d: (d == UNDECIDED, d)):
		group = groups[decision]
		ages = backorder_ages(group, today)
		rows.append(
			{
				"decision": decision,
				"lines": len(group),
				"shortage_qty": round(sum(s.shortage_qty for s in group), 3),
				"open_lines": sum(1 for s in group if not s.delivered),
				"backorder_age_median": median(ages),
				"backorder_age_max": max(ages) if ages else None,
			}
		)
	return rows


@dataclass(frozen=True)
class OrderDelivery:
	"""One order's delivery figures that do not depend on the day they are looked at (kept per order in
	the Order Analytics Facts): its Sales Order lines, the measured ones (quantity above 0) delivered on
	time or late, the promised dates of the measured lines not yet delivered (None: no promise), the
	latest promised date, the latest completion date and the Delivery Notes that brought its lines."""

	order: str
	order_date: date
	lines: int = 0
	measured: int = 0
	on_time: int = 0
	late: int = 0
	pending: tuple[date | None, ...] = ()
	promised: date | None = None
	delivered: date | None = None
	deliveries: int = 0

	def outcomes(self, today: date) -> dict[str, int]:
		"""The measured lines per outcome as line_outcome gives them on `today`."""
		overdue = sum(1 for day in self.pending if day is not None and day < today)
		return {ON_TIME: self.on_time, LATE: self.late, OVERDUE: overdue, OPEN: len(self.pending) - overdue}

	def outcome(self, today: date) -> str | None:
		"""The order's outcome as order_outcome gives it on `today`."""
		if not self.measured:
			return None
		counts = self.outcomes(today)
		if counts[LATE] or counts[OVERDUE]:
			return LATE
		return OPEN if counts[OPEN] else ON_TIME


def summarize(lines: Iterable[LineFact]) -> list[OrderDelivery]:
	"""Per order of the lines given: its OrderDelivery (the figures order_rows and day_counts take from
	the lines, with the day left out)."""
	result = []
	for name, order_lines in _orders(lines).items():
		measured = [line for line in order_lines if line.qty > 0]
		completed = {line.line: delivered_on(line) for line in order_lines}
		on_time = late = 0
		pending = []
		for line in measured:
			day = completed[line.line]
			if day is None:
				pending.append(line.promised)
			elif line.promised is None or day <= line.promised:
				on_time += 1
			else:
				late += 1
		promised = [line.promised for line in order_lines if line.promised]
		done = [day for day in completed.values() if day]
		result.append(
			OrderDelivery(
				name,
				order_lines[0].order_date,
				lines=len(order_lines),
				measured=len(measured),
				on_time=on_time,
				late=late,
				pending=tuple(sorted(pending, key=lambda d: (d is None, d))),
				promised=max(promised) if promised else None,
				delivered=max(done) if done else None,
				deliveries=len({d.note for line in order_lines for d in line.deliveries}),
			)
		)
	return result


def summary_order_rows(orders: Iterable[OrderDelivery], today: date) -> list[dict]:
	"""As order_rows, from the orders' summaries."""
	rows = []
	for order in orders:
		counts = order.outcomes(today)
		rows.append(
			{
				"order": order.order,
				"order_date": order.order_date,
				"promised": order.promised,
				"delivered": order.delivered,
				"lines": order.measured,
				"on_time_lines": counts[ON_TIME],
				"late_lines": counts[LATE] + counts[OVERDUE],
				"deliveries": order.deliveries,
				"outcome": order.outcome(today),
			}
		)
	return sorted(rows, key=lambda r: (r["order_date"], r["order"]))


def summary_day_counts(orders: Iterable[OrderDelivery], today: date) -> list[DayCounts]:
	"""As day_counts, from the orders' summaries (orders without a measured line are left out)."""
	per_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
	for order in orders:
		outcome = order.outcome(today)
		if outcome is None:
			continue
		counts = per_day[order.order_date]
		for line_outcome_, lines in order.outcomes(today).items():
			counts[KEYS[line_outcome_]] += lines
		counts[{ON_TIME: "on_time_orders", LATE: "late_orders", OPEN: "open_orders"}[outcome]] += 1
		if order.deliveries > 1:
			counts["partial_shipments"] += 1
	return [DayCounts(day, **counts) for day, counts in sorted(per_day.items())]


KEYS = {ON_TIME: "on_time_lines", LATE: "late_lines", OVERDUE: "overdue_lines", OPEN: "open_lines"}


def pack_dates(days: Iterable[date | None]) -> str:
	"""Promised dates as the facts keep them: ISO dates, "-" for none, comma-separated."""
	return ",".join(str(day) if day else "-" for day in days)


def unpack_dates(text: str | None) -> tuple[date | None, ...]:
	if not text:
		return ()
	return tuple(None if part == "-" else date.fromisoformat(part) for part in text.split(","))
