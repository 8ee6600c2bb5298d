"""Order accuracy (pure): how many orders had to be changed, were cancelled or came back because the
wrong thing was sent — each as a share of the orders.

Definitions (one order counts once per measure):
- the orders: submitted (or later cancelled) Customer Orders of the period, except an order replaced
  by its amendment (the amendment counts in its place, so a changed order is one order);
- changed after approval: an Order Change Request of it was applied, or it amends an order that had
  already been handed off to a Sales Order;
- returned for changes: a reviewer returned it to its creator to change it (before approval);
- cancelled: cancelled and not replaced by an amendment, counted per reason (the reason as written,
  trimmed; "(no reason)" when empty);
- wrong item / not as described: a Return Request (submitted, not rejected or cancelled) of it has
  a line with that reason;
- accurate ("perfect") orders: none of the above.

The Frappe side (the Order Accuracy report) gathers these facts with a few queries.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from order_mgmt.analytics.review_kpis import week_of
from order_mgmt.analytics.stats import rate

WRONG_ITEM = "Wrong Item"
NOT_AS_DESCRIBED = "Not as Described"
NO_REASON = "(no reason)"


@dataclass(frozen=True)
class AccuracyFact:
	name: str
	order_date: date
	cancelled: bool = False
	cancellation_reason: str | None = None
	superseded: bool = False
	amends_approved: bool = False
	applied_changes: int = 0
	returned_for_changes: bool = False
	return_reasons: tuple[str, ...] = ()

	@property
	def changed(self) -> bool:
		return self.applied_changes > 0 or self.amends_approved

	@property
	def wrong_item(self) -> bool:
		return WRONG_ITEM in self.return_reasons

	@property
	def not_as_described(self) -> bool:
		return NOT_AS_DESCRIBED in self.return_reasons

	@property
	def accurate(self) -> bool:
		return not (
			self.changed
			or self.returned_for_changes
			or self.cancelled
			or self.wrong_item
			or self.not_as_described
		)


def counted(facts: Iterable[AccuracyFact]) -> list[AccuracyFact]:
	return [fact for fact in facts if not fact.superseded]


def _measures(facts: list[AccuracyFact]) -> dict:
	orders = len(facts)
	counts = {
		"changed": sum(f.changed for f in facts),
		"returned_for_changes": sum(f.returned_for_changes for f in facts),
		"cancelled": sum(f.cancelled for f in facts),
		"wrong_item": sum(f.wrong_item for f in facts),
		"not_as_described": sum(f.not_as_described for f in facts),
		"accurate": sum(f.accurate for f in facts),
	}
	return {
		"orders": orders,
		**{key: value for key, value in counts.items()},
		**{f"{key}_rate": rate(value, orders) for key, value in counts.items()},
	}


def weekly_rows(facts: Iterable[AccuracyFact]) -> list[dict]:
	"""Per week (Monday) of the order date, oldest first."""
	weeks: dict[date, list[AccuracyFact]] = defaultdict(list)
	for fact in counted(facts):
		weeks[week_of(fact.order_date)].append(fact)
	return [{"week": week, **_measures(weeks[week])} for week in sorted(weeks)]


def total_row(facts: Iterable[AccuracyFact]) -> dict:
	return _measures(counted(facts))


def cancellation_rows(facts: Iterable[AccuracyFact]) -> list[dict]:
	"""Per cancellation reason, most frequent first: cancelled orders and their share of all orders."""
	facts = counted(facts)
	reasons = Counter(
		(fact.cancellation_reason or "").strip() or NO_REASON for fact in facts if fact.cancelled
	)
	return [
		{"reason": reason, "orders": count, "share": rate(count, len(facts))}
		for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
	]


MEASURES = ("changed", "returned_for_changes", "cancelled", "wrong_item", "not_as_described", "accurate")


@dataclass(frozen=True)
class DayAccuracy:
	"""The counted orders of one order date, already counted per measure (the report's SQL does this
	over the Order Analytics Facts the way `day_counts` does from facts)."""

	day: date
	orders: int = 0
	changed: int = 0
	returned_for_changes: int = 0
	cancelled: int = 0
	wrong_item: int = 0
	not_as_described: int = 0
	accurate: int = 0


def day_counts(facts: Iterable[AccuracyFact]) -> list[DayAccuracy]:
	"""The counted orders per order date (the definition the report's SQL follows)."""
	per_day: dict[date, list[AccuracyFact]] = defaultdict(list)
	for fact in counted(facts):
		per_day[fact.order_date].append(fact)
	return [
		DayAccuracy(
			day,
			len(group),
			**{key: sum(bool(getattr(fact, key)) for fact in group) for key in MEASURES},
		)
		for day, group in sorted(per_day.items())
	]


def _count_measures(days: list[DayAccuracy]) -> dict:
	orders = sum(day.orders for day in days)
	counts = {key: sum(getattr(day, key) for day in days) for key in MEASURES}
	return {
		"orders": orders,
		**counts,
		**{f"{key}_rate": rate(value, orders) for key, value in counts.items()},
	}


def weekly_count_rows(days: Iterable[DayAccuracy]) -> list[dict]:
	"""As weekly_rows, from counts per order date (a day may come more than once: they add up)."""
	weeks: dict[date, list[DayAccuracy]] = defaultdict(list)
	for day in days:
		weeks[week_of(day.day)].append(day)
	return [{"week": week, **_count_measures(weeks[week])} for week in sorted(weeks)]


def total_count_row(days: Iterable[DayAccuracy]) -> dict:
	return _count_measures(list(days))


def cancellation_count_rows(reasons: dict[str | None, int], orders: int) -> list[dict]:
	"""As cancellation_rows, from the cancelled orders counted per reason as written and the number
	of counted orders."""
	merged = Counter()
	for reason, count in reasons.items():
		merged[(reason or "").strip() or NO_REASON] += count
	return [
		{"reason": reason, "orders": count, "share": rate(count, orders)}
		for reason, count in sorted(merged.items(), key=lambda item: (-item[1], item[0]))
	]
