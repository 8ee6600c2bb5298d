"""Delivery performance for the Delivery Performance report: line and order outcomes, on-time rates,
partial shipments, shortages by decision and backorder age."""

from datetime import date

from order_mgmt.analytics.delivery import (
	LATE,
	ON_TIME,
	OPEN,
	OVERDUE,
	Delivery,
	LineFact,
	ShortageFact,
	delivered_on,
	line_outcome,
	order_outcome,
	order_rows,
	shortage_rows,
	total_row,
	weekly_rows,
)

MONDAY = date(2026, 11, 2)
TODAY = date(2026, 11, 20)


def line(order="A", name="1", qty=2.0, promised=date(2026, 11, 10), deliveries=(), day=MONDAY):
	return LineFact(order, day, name, qty, promised, tuple(deliveries))


def test_a_line_is_delivered_when_its_quantity_is_complete():
	partial = line(deliveries=[Delivery("DN1", date(2026, 11, 5), 1)])
	assert delivered_on(partial) is None
	complete = line(
		deliveries=[Delivery("DN2", date(2026, 11, 12), 1), Delivery("DN1", date(2026, 11, 5), 1)]
	)
	assert delivered_on(complete) == date(2026, 11, 12)


def test_line_outcomes():
	assert line_outcome(line(deliveries=[Delivery("D", date(2026, 11, 10), 2)]), TODAY) == ON_TIME
	assert line_outcome(line(deliveries=[Delivery("D", date(2026, 11, 11), 2)]), TODAY) == LATE
	assert line_outcome(line(), TODAY) == OVERDUE
	assert line_outcome(line(promised=date(2026, 11, 30)), TODAY) == OPEN
	assert line_outcome(line(qty=0), TODAY) is None  # a cancelled line


def test_order_outcome():
	assert order_outcome([ON_TIME, ON_TIME, None]) == ON_TIME
	assert order_outcome([ON_TIME, OPEN]) == OPEN
	assert order_outcome([ON_TIME, OPEN, OVERDUE]) == LATE
	assert order_outcome([None]) is None


def data():
	lines = [
		# A: both lines on time, in two notes (a partial shipment)
		line("A", "A1", deliveries=[Delivery("DN1", date(2026, 11, 4), 2)]),
		line("A", "A2", deliveries=[Delivery("DN2", date(2026, 11, 9), 2)]),
		# B: one line late, one open (not due)
		line("B", "B1", deliveries=[Delivery("DN3", date(2026, 11, 12), 2)]),
		line("B", "B2", promised=date(2026, 12, 1)),
		# C: overdue, in the next week
		line("C", "C1", day=date(2026, 11, 9)),
	]
	shortages = [
		ShortageFact("B", MONDAY, "B2", "X", 2, "Backorder"),
		ShortageFact("C", date(2026, 11, 9), "C1", "Y", 1, None),
		ShortageFact("A", MONDAY, "A2", "Z", 1, "Backorder", delivered=True),
	]
	return lines, shortages


def test_total_row():
	lines, shortages = data()
	total = total_row(lines, shortages, TODAY)
	assert {k: total[k] for k in ("orders", "lines", "on_time_lines", "late_lines", "overdue_lines")} == {
		"orders": 3,
		"lines": 5,
		"on_time_lines": 2,
		"late_lines": 1,
		"overdue_lines": 1,
	}
	assert total["open_lines"] == 1
	assert total["line_on_time_rate"] == 50.0  # 2 of 4 due
	assert (total["on_time_orders"], total["late_orders"], total["order_on_time_rate"]) == (1, 2, 33.33)
	assert total["partial_shipments"] == 1
	assert (total["shortage_lines"], total["open_backorders"]) == (3, 1)
	assert (total["backorder_age_median"], total["backorder_age_max"]) == (18.0, 18.0)


def test_weekly_rows():
	lines, shortages = data()
	first, second = weekly_rows(lines, shortages, TODAY)
	assert (first["week"], first["orders"], first["line_on_time_rate"]) == (MONDAY, 2, 66.67)
	assert (second["week"], second["orders"], second["overdue_lines"], second["order_on_time_rate"]) == (
		date(2026, 11, 9),
		1,
		1,
		0.0,
	)


def test_order_rows():
	lines, _ = data()
	rows = {row["order"]: row for row in order_rows(lines, TODAY)}
	assert (rows["A"]["outcome"], rows["A"]["deliveries"], rows["A"]["delivered"]) == (
		ON_TIME,
		2,
		date(2026, 11, 9),
	)
	assert (rows["B"]["outcome"], rows["B"]["late_lines"], rows["B"]["promised"]) == (
		LATE,
		1,
		date(2026, 12, 1),
	)


def test_shortage_rows_by_decision_undecided_last():
	_, shortages = data()
	rows = shortage_rows(shortages, TODAY)
	assert [(r["decision"], r["lines"], r["open_lines"], r["backorder_age_max"]) for r in rows] == [
		("Backorder", 2, 1, 18.0),
		("Undecided", 1, 1, None),
	]


def test_counts_per_day_give_the_same_rows_as_the_lines():
	from order_mgmt.analytics.delivery import day_counts, total_count_row, weekly_count_rows

	lines, shortages = data()
	days = day_counts(lines, TODAY)
	assert [(d.day, d.orders, d.partial_shipments) for d in days] == [
		(MONDAY, 2, 1),
		(date(2026, 11, 9), 1, 0),
	]
	assert weekly_count_rows(days, shortages, TODAY) == weekly_rows(lines, shortages, TODAY)
	assert total_count_row(days, shortages, TODAY) == total_row(lines, shortages, TODAY)
