"""The counted forms the reports compute from the Order Analytics Facts give the same numbers as the
per-order functions they replace (random orders, fixed seeds)."""

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest

from order_mgmt.analytics import accuracy, cycle_time, delivery
from order_mgmt.analytics.accuracy import AccuracyFact
from order_mgmt.analytics.cycle_time import OrderMilestones
from order_mgmt.analytics.delivery import Delivery, LineFact
from order_mgmt.analytics.stats import percentile, percentile_counted

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize("seed", range(20))
def test_percentile_from_counts_equals_percentile(seed):
	rng = random.Random(seed)
	values = [rng.choice([None, *range(12), 0.25, 3.5]) for _ in range(rng.randrange(0, 40))]
	counts = Counter(v for v in values if v is not None)
	for p in (0, 10, 50, 90, 100):
		assert percentile_counted(counts, p) == percentile(values, p)


def random_lines(seed: int) -> list[LineFact]:
	rng = random.Random(seed)
	lines = []
	for o in range(60):
		day = TODAY - timedelta(days=rng.randrange(40))
		for n in range(rng.randrange(1, 4)):
			qty = rng.choice([0, 1, 2, 5])
			promised = rng.choice([None, day + timedelta(days=rng.randrange(-3, 12))])
			deliveries = tuple(
				Delivery(f"DN-{o}-{k}", day + timedelta(days=rng.randrange(0, 15)), rng.choice([1, 2, 3]))
				for k in range(rng.randrange(0, 3))
			)
			lines.append(LineFact(f"O-{o:03d}", day, f"O-{o:03d}-{n}", qty, promised, deliveries))
	return lines


@pytest.mark.parametrize("seed", range(10))
def test_order_summaries_give_the_per_line_rows(seed):
	lines = random_lines(seed)
	summaries = delivery.summarize(lines)
	assert delivery.summary_order_rows(summaries, TODAY) == delivery.order_rows(lines, TODAY)
	measured = [d for d in delivery.day_counts(lines, TODAY) if d.orders]
	assert delivery.summary_day_counts(summaries, TODAY) == measured
	packed = [delivery.unpack_dates(delivery.pack_dates(s.pending)) for s in summaries]
	assert packed == [s.pending for s in summaries]


@pytest.mark.parametrize("seed", range(10))
def test_accuracy_counts_give_the_per_order_rows(seed):
	rng = random.Random(seed)
	facts = [
		AccuracyFact(
			f"O-{i}",
			TODAY - timedelta(days=rng.randrange(30)),
			cancelled=rng.random() < 0.2,
			cancellation_reason=rng.choice([None, "", " Changed mind", "Changed mind", "Duplicate"]),
			superseded=rng.random() < 0.1,
			amends_approved=rng.random() < 0.1,
			applied_changes=rng.choice([0, 0, 1]),
			returned_for_changes=rng.random() < 0.1,
			return_reasons=tuple(
				sorted(rng.sample([accuracy.WRONG_ITEM, accuracy.NOT_AS_DESCRIBED], rng.randrange(3)))
			),
		)
		for i in range(80)
	]
	days = accuracy.day_counts(facts)
	assert accuracy.weekly_count_rows(days) == accuracy.weekly_rows(facts)
	assert accuracy.total_count_row(days) == accuracy.total_row(facts)
	reasons = Counter(f.cancellation_reason for f in accuracy.counted(facts) if f.cancelled)
	orders = sum(d.orders for d in days)
	assert accuracy.cancellation_count_rows(reasons, orders) == accuracy.cancellation_rows(facts)


@pytest.mark.parametrize("seed", range(10))
def test_cycle_time_counts_give_the_per_order_rows(seed):
	rng = random.Random(seed)
	orders = []
	for i in range(70):
		day = TODAY - timedelta(days=rng.randrange(30))
		submitted = rng.choice([None, datetime(day.year, day.month, day.day, 9, rng.randrange(60))])
		approved = submitted and rng.choice([None, submitted + timedelta(seconds=rng.randrange(200000))])
		delivered = rng.choice([None, day + timedelta(days=rng.randrange(-1, 9))])
		invoiced = delivered and rng.choice([None, delivered + timedelta(days=rng.randrange(-2, 4))])
		paid = invoiced and rng.choice([None, invoiced + timedelta(days=rng.randrange(20))])
		orders.append(OrderMilestones(f"O-{i}", day, submitted, approved, delivered, invoiced, paid))
	per_day = Counter(o.order_date for o in orders)
	steps: dict = {}
	for step, (start, end, unit) in cycle_time.STEPS.items():
		counted = defaultdict(Counter)
		for o in orders:
			a, b = getattr(o, start), getattr(o, end)
			if a is None or b is None:
				continue
			if unit == "hours":
				value = cycle_time.hours_between((b - a) // timedelta(microseconds=1))
			else:
				value = float(max(0, (cycle_time._day(b) - cycle_time._day(a)).days))
			counted[o.order_date][value] += 1
		steps[step] = counted
	assert cycle_time.weekly_count_rows(per_day, steps) == cycle_time.weekly_rows(orders)
	assert cycle_time.total_count_row(per_day, steps) == cycle_time.total_row(orders)
	assert cycle_time.step_count_rows(steps) == cycle_time.step_rows(orders)


@pytest.mark.parametrize("seed", range(10))
def test_review_counts_give_the_per_order_rows(seed):
	from order_mgmt.analytics import review_kpis
	from order_mgmt.analytics.review_kpis import OrderFact, ReviewFact

	rng = random.Random(seed)
	now = datetime(2026, 6, 15, 12)
	decisions = ["Auto-approved", "Held for Review", "Approved", "Rejected", None]
	orders = [
		OrderFact(
			f"O-{i}",
			TODAY - timedelta(days=rng.randrange(25)),
			rng.choice(decisions),
			tuple(rng.sample(["Credit", "Large order", "", "Custom"], rng.randrange(3))),
		)
		for i in range(80)
	]
	reviews = []
	for order in orders:
		for _n in range(rng.choice([0, 0, 1, 2])):
			requested = now - timedelta(hours=rng.randrange(1, 300), microseconds=rng.randrange(10**6))
			decided = rng.choice([None, requested + timedelta(seconds=rng.randrange(1, 200000))])
			reviews.append(
				ReviewFact(
					order.name,
					rng.choice(["Sales", "Credit"]),
					rng.choice(
						["Pending", "Approved", "Rejected", "Returned for Changes", "Cancelled", None]
					),
					"r@example.com",
					rng.choice([requested, None]),
					decided,
					rng.choice([None, requested + timedelta(hours=24)]),
					rng.random() < 0.1,
					rng.random() < 0.1,
				)
			)
	days, hours = review_kpis.day_counts(orders, reviews, now)
	assert review_kpis.weekly_count_rows(days, hours) == review_kpis.weekly_rows(orders, reviews, now)
	assert review_kpis.total_count_row(days, hours) == review_kpis.total_row(orders, reviews, now)
	held = Counter(rule for o in orders for rule in set(o.hold_rules))
	assert review_kpis.hold_rule_count_rows(held, len(orders)) == review_kpis.hold_rule_rows(orders)
