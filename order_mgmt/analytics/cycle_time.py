"""Order cycle time (pure): each order's milestones into step durations, per order and per week, with
the median and 90th percentile of each step.

Milestones (None when not reached):
- submitted: when the order was submitted (its first review was requested, or it was auto-approved);
- approved: when its Sales Order was created (the hand-off after the last approval);
- delivered: posting date of its first Delivery Note (not a return);
- invoiced: posting date of its first Sales Invoice (not a return);
- paid: posting date of the last payment, once the order is paid in full.

Steps: review = submitted → approved, in hours; delivery = approved → delivered, invoicing =
delivered → invoiced, payment = invoiced → paid, total = submitted → paid, in days. A step is only
measured when both its milestones are reached; a step whose end came first (an order invoiced before
it was delivered) counts 0, so that steps never go negative.

The Frappe side (the Order Cycle Time report) gathers the milestones with a few queries and formats
these rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from order_mgmt.analytics.review_kpis import week_of
from order_mgmt.analytics.stats import median, percentile, percentile_counted

# step: (start milestone, end milestone, unit)
STEPS = {
	"review": ("submitted", "approved", "hours"),
	"delivery": ("approved", "delivered", "days"),
	"invoicing": ("delivered", "invoiced", "days"),
	"payment": ("invoiced", "paid", "days"),
	"total": ("submitted", "paid", "days"),
}


@dataclass(frozen=True)
class OrderMilestones:
	name: str
	order_date: date
	submitted: datetime | None = None
	approved: datetime | None = None
	delivered: date | None = None
	invoiced: date | None = None
	paid: date | None = None


def _day(value: date | datetime) -> date:
	return value.date() if isinstance(value, datetime) else value


def step_duration(order: OrderMilestones, step: str) -> float | None:
	start_field, end_field, unit = STEPS[step]
	start, end = getattr(order, start_field), getattr(order, end_field)
	if start is None or end is None:
		return None
	if unit == "hours":
		if not isinstance(start, datetime) or not isinstance(end, datetime):
			return None
		return round(max(0.0, (end - start).total_seconds() / 3600), 2)
	return float(max(0, (_day(end) - _day(start)).days))


def order_rows(orders: Iterable[OrderMilestones]) -> list[dict]:
	"""One row per order, oldest order date first: its milestones and step durations."""
	rows = []
	for order in sorted(orders, key=lambda o: (o.order_date, o.name)):
		row = {
			"order": order.name,
			"order_date": order.order_date,
			"submitted": order.submitted,
			"approved": order.approved,
			"delivered": order.delivered,
			"invoiced": order.invoiced,
			"paid": order.paid,
		}
		row.update({step: step_duration(order, step) for step in STEPS})
		rows.append(row)
	return rows


def _stats(orders: list[OrderMilestones]) -> dict:
	row: dict = {"orders": len(orders)}
	for step in STEPS:
		values = [step_duration(o, step) for o in orders]
		row[f"{step}_median"] = median(values)
		row[f"{step}_p90"] = percentile(values, 90)
	return row


def weekly_rows(orders: Iterable[OrderMilestones]) -> list[dict]:
	"""Per week of the order date, oldest first: orders, and the median and p90 of every step."""
	weeks: dict[date, list[OrderMilestones]] = defaultdict(list)
	for order in orders:
		weeks[week_of(order.order_date)].append(order)
	return [{"week": week, **_stats(weeks[week])} for week in sorted(weeks)]


def total_row(orders: Iterable[OrderMilestones]) -> dict:
	"""Orders, and the median and p90 of every step, over all the orders given."""
	return _stats(list(orders))


def step_rows(orders: Iterable[OrderMilestones]) -> list[dict]:
	"""Per step, over all orders: how many orders completed it, its median and p90, and its unit;
	the step with the highest median (among the day-measured ones) is marked slowest."""
	orders = list(orders)
	rows = []
	for step, (_start, _end, unit) in STEPS.items():
		values = [v for v in (step_duration(o, step) for o in orders) if v is not None]
		rows.append(
			{
				"step": step,
				"unit": unit,
				"orders": len(values),
				"median": median(values),
				"p90": percentile(values, 90),
				"slowest": 0,
			}
		)
	candidates = [r for r in rows if r["step"] != "total" and r["median"] is not None]
	if candidates:
		# compare in hours so that the review step competes with the others
		slowest = max(candidates, key=lambda r: r["median"] * (1 if r["unit"] == "hours" else 24))
		slowest["slowest"] = 1
	return rows


# Counted form (the report's SQL counts each step's durations per order date, so that a period of any
# length comes back as a few thousand rows): a step's durations as {order date: {duration: orders}}.
StepCounts = dict[date, Counter]


def hours_between(microseconds: int) -> float:
	"""A review step's duration from the microseconds between its milestones, as step_duration gives
	it."""
	return round(max(0.0, microseconds / 10**6 / 3600), 2)


def _merged(per_day: StepCounts, days) -> Counter:
	total: Counter = Counter()
	for day in days:
		total.update(per_day.get(day, {}))
	return total


def _counted_stats(orders: int, steps: dict[str, StepCounts], days) -> dict:
	row: dict = {"orders": orders}
	for step in STEPS:
		values = _merged(steps.get(step, {}), days)
		row[f"{step}_median"] = percentile_counted(values, 50)
		row[f"{step}_p90"] = percentile_counted(values, 90)
	return row


def weekly_count_rows(orders_per_day: dict[date, int], steps: dict[str, StepCounts]) -> list[dict]:
	"""As weekly_rows, from the orders per order date and each step's counted durations."""
	weeks: dict[date, list[date]] = defaultdict(list)
	for day in orders_per_day:
		weeks[week_of(day)].append(day)
	return [
		{"week": week, **_counted_stats(sum(orders_per_day[d] for d in weeks[week]), steps, weeks[week])}
		for week in sorted(weeks)
	]


def total_count_row(orders_per_day: dict[date, int], steps: dict[str, StepCounts]) -> dict:
	"""As total_row, from counts."""
	return _counted_stats(sum(orders_per_day.values()), steps, list(orders_per_day))


def step_count_rows(steps: dict[str, StepCounts]) -> list[dict]:
	"""As step_rows, from each step's counted durations."""
	rows = []
	for step, (_start, _end, unit) in STEPS.items():
		per_day = steps.get(step, {})
		values = _merged(per_day, per_day)
		rows.append(
			{
				"step": step,
				"unit": unit,
				"orders": sum(values.values()),
				"median": percentile_counted(values, 50),
				"p90": percentile_counted(values, 90),
				"slowest": 0,
			}
		)
	candidates = [r for r in rows if r["step"] != "total" and r["median"] is not None]
	if candidates:
		slowest = max(candidates, key=lambda r: r["median"] * (1 if r["unit"] == "hours" else 24))
		slowest["slowest"] = 1
	return rows
