"""Review performance (pure): submitted orders and their Order Reviews into weekly KPI rows, and per
stage, per reviewer and per hold rule.

Definitions (one order counts once per measure):
- an order belongs to the week (Monday) of its order date;
- auto-approved: its review decision is "Auto-approved" and no Order Review exists for it (an order
  ERPNext refused on hand-off is put on hold and is no longer auto-approved);
- manual intervention: a person decided something on it — at least one Order Review was decided, or
  it was put on hold ("Held for Review" without any review). Orders still waiting for their first
  decision are neither auto-approved nor manual, so the two rates need not add up to 100 %;
- rejected / returned for changes: at least one of its reviews has that decision;
- an SLA breach is a review marked overdue by the hourly job, decided after its SLA due time, or
  still pending after it (as of `now`);
- review time: decided − requested, in hours, of decided reviews; medians per week and per stage;
- holds per rule: the rule names of the order's hold reasons (never their figures).

The Frappe side (the Review Performance report) gathers orders, hold rule names and reviews with a
few queries and formats these rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from order_mgmt.analytics.stats import median, percentile_counted, rate

AUTO_APPROVED = "Auto-approved"
HELD = "Held for Review"
PENDING = "Pending"
APPROVED = "Approved"
REJECTED = "Rejected"
RETURNED = "Returned for Changes"
CANCELLED = "Cancelled"  # closed by the order's cancellation: not a decision


@dataclass(frozen=True)
class OrderFact:
	name: str
	order_date: date
	review_decision: str | None = None
	hold_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewFact:
	customer_order: str
	stage: str | None
	decision: str
	reviewer: str | None = None
	requested_on: datetime | None = None
	decided_on: datetime | None = None
	sla_due: datetime | None = None
	is_overdue: bool = False
	escalated: bool = False

	@property
	def decided(self) -> bool:
		return self.decision not in (PENDING, CANCELLED) and self.decided_on is not None


def week_of(day: date) -> date:
	"""The Monday of the day's week."""
	if isinstance(day, datetime):
		day = day.date()
	return day - timedelta(days=day.weekday())


def review_hours(review: ReviewFact) -> float | None:
	if not review.decided or review.requested_on is None:
		return None
	return max(0.0, (review.decided_on - review.requested_on).total_seconds() / 3600)


def is_breach(review: ReviewFact, now: datetime) -> bool:
	if review.is_overdue:
		return True
	if review.sla_due is None:
		return False
	if review.decided or review.decision == CANCELLED:
		return review.decided_on is not None and review.decided_on > review.sla_due
	return now > review.sla_due


def is_auto_approved(order: OrderFact, reviews: Sequence[ReviewFact]) -> bool:
	return order.review_decision == AUTO_APPROVED and not reviews


def is_manual(order: OrderFact, reviews: Sequence[ReviewFact]) -> bool:
	return any(r.decided for r in reviews) or (order.review_decision == HELD and not reviews)


def _by_order(reviews: Iterable[ReviewFact]) -> dict[str, list[ReviewFact]]:
	result: dict[str, list[ReviewFact]] = defaultdict(list)
	for review in reviews:
		result[review.customer_order].append(review)
	return result


def weekly_rows(orders: Iterable[OrderFact], reviews: Iterable[ReviewFact], now: datetime) -> list[dict]:
	"""One row per week that has orders, oldest first. Reviews of orders not given are ignored."""
	reviews_of = _by_order(reviews)
	weeks: dict[date, list[OrderFact]] = defaultdict(list)
	for order in orders:
		weeks[week_of(order.order_date)].append(order)
	return [{"week": week, **_kpis(weeks[week], reviews_of, now)} for week in sorted(weeks)]


def total_row(orders: Iterable[OrderFact], reviews: Iterable[ReviewFact], now: datetime) -> dict:
	"""The same measures over all the orders given (rates and medians of the whole, not sums of the
	weeks')."""
	return _kpis(list(orders), _by_order(reviews), now)


def _kpis(orders: list[OrderFact], reviews_of: dict[str, list[ReviewFact]], now: datetime) -> dict:
	"""The weekly measures in one pass over the orders and their reviews."""
	auto = manual = held = rejected = returned = decisions = breaches = escalated = 0
	hours = []
	for order in orders:
		reviews = reviews_of.get(order.name, ())
		auto += is_auto_approved(order, reviews)
		manual += is_manual(order, reviews)
		held += bool(order.hold_rules)
		rejected += any(r.decision == REJECTED for r in reviews)
		returned += any(r.decision == RETURNED for r in reviews)
		for review in reviews:
			decisions += review.decided
			breaches += is_breach(review, now)
			escalated += review.escalated
			hours.append(review_hours(review))
	return {
		"orders": len(orders),
		"auto_approved": auto,
		"auto_approval_rate": rate(auto, len(orders)),
		"manual": manual,
		"manual_rate": rate(manual, len(orders)),
		"held": held,
		"rejected": rejected,
		"returned": returned,
		"decisions": decisions,
		"sla_breaches": breaches,
		"escalated": escalated,
		"median_review_hours": median(hours),
	}


def stage_rows(reviews: Iterable[ReviewFact], now: datetime) -> list[dict]:
	"""Per review stage: reviews, decisions by kind, SLA breaches and the median review time."""
	per_stage: dict[str, list[ReviewFact]] = defaultdict(list)
	for review in reviews:
		per_stage[review.stage or ""].append(review)
	return [_decision_row("stage", stage, per_stage[stage], now) for stage in sorted(per_stage)]


def reviewer_rows(reviews: Iterable[ReviewFact], now: datetime) -> list[dict]:
	"""Per reviewer: the reviews they decided, most decisions first."""
	per_reviewer: dict[str, list[ReviewFact]] = defaultdict(list)
	for review in reviews:
		if review.decided and review.reviewer:
			per_reviewer[review.reviewer].append(review)
	rows = [_decision_row("reviewer", who, per_reviewer[who], now) for who in per_reviewer]
	return sorted(rows, key=lambda row: (-row["decisions"], row["reviewer"]))


def _decision_row(key: str, value: str, reviews: list[ReviewFact], now: datetime) -> dict:
	decisions = Counter(r.decision for r in reviews if r.decided)
	return {
		key: value,
		"reviews": len(reviews),
		"decisions": sum(decisions.values()),
		"approved": decisions[APPROVED],
		"rejected": decisions[REJECTED],
		"returned": decisions[RETURNED],
		"pending": sum(1 for r in reviews if r.decision == PENDING),
		"sla_breaches": sum(1 for r in reviews if is_breach(r, now)),
		"median_review_hours": median(review_hours(r) for r in reviews),
	}


def hold_rule_rows(orders: Iterable[OrderFact]) -> list[dict]:
	"""Per hold rule: the orders it held and their share of all the orders given, most first."""
	orders = list(orders)
	held = Counter(rule for o in orders for rule in set(o.hold_rules) if rule)
	rows = [{"rule": rule, "orders": n, "share": rate(n, len(orders))} for rule, n in held.items()]
	return sorted(rows, key=lambda row: (-row["orders"], row["rule"]))


# Counted form: the report's SQL counts the orders' flags (kept per order in the Order Analytics
# Facts, from order_flags) and their reviews' measures per order date, and each review time per order
# date, so that a period of any length comes back as a few rows per day.
@dataclass(frozen=True)
class DayReviews:
	day: date
	orders: int = 0
	auto_approved: int = 0
	manual: int = 0
	held: int = 0
	rejected: int = 0
	returned: int = 0
	decisions: int = 0
	sla_breaches: int = 0
	escalated: int = 0


DAY_COUNTS = ("orders", "auto_approved", "manual", "held", "rejected", "returned")
REVIEW_COUNTS = ("decisions", "sla_breaches", "escalated")


def order_flags(order: OrderFact, reviews: Sequence[ReviewFact]) -> dict[str, bool]:
	"""What an order counts for in the weekly measures (not depending on the day it is looked at)."""
	return {
		"auto_approved": is_auto_approved(order, reviews),
		"manual": is_manual(order, reviews),
		"held": bool(order.hold_rules),
		"rejected": any(r.decision == REJECTED for r in reviews),
		"returned": any(r.decision == RETURNED for r in reviews),
	}


def review_hours_between(microseconds: int) -> float:
	"""A decided review's time from the microseconds between its request and its decision, as
	review_hours gives it."""
	return max(0.0, microseconds / 10**6 / 3600)


def day_counts(
	orders: Iterable[OrderFact], reviews: Iterable[ReviewFact], now: datetime
) -> tuple[list[DayReviews], dict[date, Counter]]:
	"""The counts per order date and the review times per order date (the definitions the report's
	SQL follows). Reviews of orders not given are ignored."""
	reviews_of = _by_order(reviews)
	counts: dict[date, Counter] = defaultdict(Counter)
	hours: dict[date, Counter] = defaultdict(Counter)
	for order in orders:
		reviews = reviews_of.get(order.name, ())
		day = counts[order.order_date]
		day["orders"] += 1
		day.update({key: int(flag) for key, flag in order_flags(order, reviews).items()})
		for review in reviews:
			day["decisions"] += review.decided
			day["sla_breaches"] += is_breach(review, now)
			day["escalated"] += review.escalated
			if review_hours(review) is not None:
				hours[order.order_date][review_hours(review)] += 1
	days = [DayReviews(day, **{k: v for k, v in c.items()}) for day, c in sorted(counts.items())]
	return days, dict(hours)


def _count_kpis(days: list[DayReviews], hours: Counter) -> dict:
	total = {key: sum(getattr(day, key) for day in days) for key in (*DAY_COUNTS, *REVIEW_COUNTS)}
	return {
		"orders": total["orders"],
		"auto_approved": total["auto_approved"],
		"auto_approval_rate": rate(total["auto_approved"], total["orders"]),
		"manual": total["manual"],
		"manual_rate": rate(total["manual"], total["orders"]),
		"held": total["held"],
		"rejected": total["rejected"],
		"returned": total["returned"],
		"decisions": total["decisions"],
		"sla_breaches": total["sla_breaches"],
		"escalated": total["escalated"],
		"median_review_hours": percentile_counted(hours, 50),
	}


def _hours_of(hours: dict[date, Counter], days) -> Counter:
	total: Counter = Counter()
	for day in days:
		total.update(hours.get(day, {}))
	return total


def weekly_count_rows(days: Iterable[DayReviews], hours: dict[date, Counter]) -> list[dict]:
	"""As weekly_rows, from counts per order date (a day may come more than once: they add up)."""
	weeks: dict[date, list[DayReviews]] = defaultdict(list)
	for day in days:
		weeks[week_of(day.day)].append(day)
	return [
		{"week": week, **_count_kpis(weeks[week], _hours_of(hours, {d.day for d in weeks[week]}))}
		for week in sorted(weeks)
		if sum(d.orders for d in weeks[week])
	]


def total_count_row(days: Iterable[DayReviews], hours: dict[date, Counter]) -> dict:
	days = list(days)
	return _count_kpis(days, _hours_of(hours, {d.day for d in days}))


def hold_rule_count_rows(held: dict[str, int], orders: int) -> list[dict]:
	"""As hold_rule_rows, from the orders held per rule name and the number of orders."""
	rows = [{"rule": rule, "orders": n, "share": rate(n, orders)} for rule, n in held.items() if rule]
	return sorted(rows, key=lambda row: (-row["orders"], row["rule"]))
