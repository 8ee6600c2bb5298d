"""The customer's order timeline (order_mgmt/orders/timeline.py): ordering and derived milestones."""

from datetime import date, datetime

import pytest

from order_mgmt.orders.timeline import Event, UnknownEventKindError, build_timeline

DAY1, DAY2, DAY3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)


def at(day: date, hour: int, minute: int = 0) -> datetime:
	return datetime(day.year, day.month, day.day, hour, minute)


def kinds(events) -> list[str]:
	return [event.kind for event in events]


def test_events_come_in_the_order_they_happened():
	events = [
		Event("invoiced", DAY3, "SINV-1"),
		Event("shipped", DAY2, "DN-1"),
		Event("approved", at(DAY1, 10)),
		Event("submitted", at(DAY1, 9)),
		Event("review_decision", at(DAY1, 9, 30), outcome="Approved", stage="Sales"),
	]
	assert kinds(build_timeline(events)) == [
		"submitted",
		"review_decision",
		"approved",
		"shipped",
		"invoiced",
	]


def test_within_a_day_the_step_decides_between_dated_records_whatever_the_clock():
	# A Delivery Note and an invoice of the same day carry no time: the shipment comes first; a
	# reservation made at 15:00 still follows an approval at 16:00 of the same day (one step later).
	events = [
		Event("invoiced", DAY2, "SINV-1"),
		Event("shipped", DAY2, "DN-1"),
		Event("stock_reserved", at(DAY1, 15)),
		Event("approved", at(DAY1, 16)),
	]
	assert kinds(build_timeline(events)) == ["approved", "stock_reserved", "shipped", "invoiced"]


def test_the_same_step_on_one_day_follows_the_clock_then_the_reference():
	events = [
		Event("review_decision", at(DAY1, 11), outcome="Approved", stage="Finance"),
		Event("review_decision", at(DAY1, 10), outcome="Approved", stage="Sales"),
		Event("shipped", DAY2, "DN-2"),
		Event("shipped", DAY2, "DN-1"),
	]
	timeline = build_timeline(events)
	assert [event.stage for event in timeline[:2]] == ["Sales", "Finance"]
	assert [event.reference for event in timeline[2:]] == ["DN-1", "DN-2"]


def test_delivered_is_derived_from_the_last_shipment_once_delivered_in_full():
	events = [Event("shipped", DAY1, "DN-1"), Event("shipped", DAY3, "DN-2"), Event("invoiced", DAY3, "S-1")]
	assert "delivered" not in kinds(build_timeline(events))
	timeline = build_timeline(events, fully_delivered=True)
	assert kinds(timeline) == ["shipped", "shipped", "delivered", "invoiced"]
	delivered = timeline[2]
	assert (delivered.on, delivered.reference) == (DAY3, "DN-2")
	# nothing shipped: nothing delivered, whatever the flag says
	assert build_timeline([Event("submitted", at(DAY1, 9))], fully_delivered=True)[-1].kind == "submitted"


def test_paid_is_derived_from_the_last_payment_once_paid_in_full():
	events = [
		Event("payment", DAY1, "PE-1", amount=300),
		Event("invoiced", DAY2, "SINV-1"),
		Event("payment", DAY3, "PE-2", amount=700),
	]
	assert "paid" not in kinds(build_timeline(events))
	timeline = build_timeline(events, fully_paid=True)
	assert kinds(timeline) == ["payment", "invoiced", "payment", "paid"]
	assert (timeline[-1].on, timeline[-1].reference) == (DAY3, "PE-2")


def test_reservations_are_shown_once_per_day_without_their_references():
	events = [
		Event("stock_reserved", at(DAY1, 10, 5), "SRE-2"),
		Event("stock_reserved", at(DAY1, 10, 1), "SRE-1"),
		Event("stock_reserved", at(DAY2, 8), "SRE-3"),
	]
	timeline = build_timeline(events)
	assert [(event.on, event.reference) for event in timeline] == [(at(DAY1, 10, 1), ""), (at(DAY2, 8), "")]


def test_duplicates_and_undated_events_are_dropped():
	shipped = Event("shipped", DAY2, "DN-1", details=(("carrier", "SF Express"),))
	events = [shipped, shipped, Event("invoiced", None, "SINV-1")]
	assert build_timeline(events) == [shipped]


def test_returns_follow_the_sale_and_a_cancellation_comes_last_of_its_day():
	events = [
		Event("refund", DAY3, "PE-9", amount=100),
		Event("credit_note", DAY3, "SINV-RET-1"),
		Event("goods_returned", DAY3, "DN-RET-1"),
		Event("return_decision", at(DAY2, 12), "RR-1", outcome="Approved"),
		Event("return_requested", DAY2, "RR-1"),
		Event("paid", DAY2, "PE-1"),
	]
	assert kinds(build_timeline(events)) == [
		"paid",
		"return_requested",
		"return_decision",
		"goods_returned",
		"credit_note",
		"refund",
	]
	cancelled = build_timeline([Event("cancelled", at(DAY1, 8)), Event("submitted", at(DAY1, 9))])
	assert kinds(cancelled) == ["submitted", "cancelled"]


def test_an_unknown_kind_is_refused():
	with pytest.raises(UnknownEventKindError):
		Event("teleported", DAY1)
