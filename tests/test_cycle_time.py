"""Order cycle time for the Order Cycle Time report: step durations per order, median and p90 per
week and per step, the slowest step."""

from datetime import date, datetime

from order_mgmt.analytics.cycle_time import (
	OrderMilestones,
	order_rows,
	step_duration,
	step_rows,
	total_row,
	weekly_rows,
)


def order(name="A", day=date(2026, 11, 2), review_hours=2.0, delivery=1, invoicing=2, payment=10):
	submitted = datetime(day.year, day.month, day.day, 9, 0)
	approved = datetime.fromtimestamp(submitted.timestamp() + review_hours * 3600)
	delivered = date.fromordinal(approved.date().toordinal() + delivery) if delivery is not None else None
	invoiced = (
		date.fromordinal(delivered.toordinal() + invoicing) if delivered and invoicing is not None else None
	)
	paid = date.fromordinal(invoiced.toordinal() + payment) if invoiced and payment is not None else None
	return OrderMilestones(name, day, submitted, approved, delivered, invoiced, paid)


def test_steps_of_a_complete_order():
	o = order(review_hours=1.5, delivery=1, invoicing=2, payment=10)
	assert [step_duration(o, s) for s in ("review", "delivery", "invoicing", "payment", "total")] == [
		1.5,
		1.0,
		2.0,
		10.0,
		13.0,
	]


def test_unreached_milestones_leave_their_steps_empty():
	o = order(delivery=None)
	assert step_duration(o, "review") == 2.0
	assert [step_duration(o, s) for s in ("delivery", "invoicing", "payment", "total")] == [None] * 4
	assert step_duration(OrderMilestones("B", date(2026, 11, 2)), "review") is None


def test_a_step_whose_end_came_first_counts_zero():
	"""Invoiced (prepaid) before delivery: the invoicing step is 0, never negative."""
	o = OrderMilestones(
		"A",
		date(2026, 11, 2),
		datetime(2026, 11, 2, 9),
		datetime(2026, 11, 2, 10),
		date(2026, 11, 5),
		date(2026, 11, 3),
		date(2026, 11, 4),
	)
	assert (step_duration(o, "invoicing"), step_duration(o, "payment")) == (0.0, 1.0)


def test_order_rows_oldest_first():
	rows = order_rows([order("B", date(2026, 11, 9)), order("A", date(2026, 11, 2))])
	assert [r["order"] for r in rows] == ["A", "B"]
	assert rows[0]["review"] == 2.0 and rows[0]["total"] == 13.0


def test_weekly_median_and_p90():
	orders = [order(f"O{i}", date(2026, 11, 2), review_hours=i, payment=i) for i in range(1, 11)]
	orders.append(order("N", date(2026, 11, 10), review_hours=4, delivery=None))
	first, second = weekly_rows(orders)
	assert (first["week"], first["orders"]) == (date(2026, 11, 2), 10)
	assert (first["review_median"], first["review_p90"]) == (5.5, 9.1)
	assert (first["payment_median"], first["payment_p90"]) == (5.5, 9.1)
	assert (first["delivery_median"], first["delivery_p90"]) == (1.0, 1.0)
	assert (second["week"], second["orders"], second["review_median"]) == (date(2026, 11, 9), 1, 4.0)
	assert (second["delivery_median"], second["total_p90"]) == (None, None)


def test_step_rows_mark_the_slowest_step():
	rows = step_rows([order("A", payment=10), order("B", payment=20), order("C", delivery=None)])
	by_step = {r["step"]: r for r in rows}
	assert (by_step["review"]["orders"], by_step["review"]["unit"]) == (3, "hours")
	assert (by_step["payment"]["orders"], by_step["payment"]["median"]) == (2, 15.0)
	assert [r["step"] for r in rows if r["slowest"]] == ["payment"]


def test_a_long_review_can_be_the_slowest_step():
	rows = step_rows([order(review_hours=100, delivery=1, invoicing=1, payment=1)])
	assert [r["step"] for r in rows if r["slowest"]] == ["review"]


def test_total_row_over_all_weeks():
	orders = [order("A", date(2026, 11, 2), review_hours=1), order("B", date(2026, 11, 9), review_hours=3)]
	total = total_row(orders)
	assert (total["orders"], total["review_median"], total["review_p90"]) == (2, 2.0, 2.8)
