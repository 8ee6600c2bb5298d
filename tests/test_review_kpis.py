"""Review performance KPIs for the Review Performance report: auto-approval and manual intervention,
holds per rule, rejections and returns, decisions per reviewer, SLA breaches, review times."""

from datetime import date, datetime

from order_mgmt.analytics.review_kpis import (
	OrderFact,
	ReviewFact,
	hold_rule_rows,
	is_breach,
	review_hours,
	reviewer_rows,
	stage_rows,
	total_row,
	week_of,
	weekly_rows,
)
from order_mgmt.analytics.stats import median, percentile, rate

NOW = datetime(2026, 11, 20, 12, 0)


def review(order, stage="Sales", decision="Approved", reviewer="r1@x", hours=2.0, due_hours=24, **kw):
	requested = datetime(2026, 11, 2, 9, 0)
	decided = None if decision == "Pending" else datetime.fromtimestamp(requested.timestamp() + hours * 3600)
	due = datetime.fromtimestamp(requested.timestamp() + due_hours * 3600)
	return ReviewFact(order, stage, decision, reviewer, requested, decided, due, **kw)


def test_median_percentile_and_rate():
	assert median([]) is None
	assert median([None, 3]) == 3
	assert median([1, 3, 2, 10]) == 2.5
	assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9.1
	assert percentile([5], 90) == 5
	assert rate(1, 3) == 33.33
	assert rate(1, 0) == 0.0


def test_week_is_the_monday():
	assert week_of(date(2026, 11, 2)) == date(2026, 11, 2)  # a Monday
	assert week_of(date(2026, 11, 8)) == date(2026, 11, 2)  # its Sunday
	assert week_of(datetime(2026, 11, 9, 23, 0)) == date(2026, 11, 9)


def test_weekly_rows_count_auto_manual_pending_rejected_returned():
	orders = [
		OrderFact("A", date(2026, 11, 2), "Auto-approved"),
		OrderFact("B", date(2026, 11, 3), "Approved", ("Large Order",)),
		OrderFact("C", date(2026, 11, 4), "Rejected", ("Large Order", "Credit Over Limit")),
		OrderFact("D", date(2026, 11, 5), "Held for Review", ("Stock Short",)),  # waiting
		OrderFact("E", date(2026, 11, 6), "Held for Review", ("Sales Order",)),  # hand-off refused
		OrderFact("F", date(2026, 11, 10), "Returned for Changes", ("Large Order",)),
	]
	reviews = [
		review("B", hours=1),
		review("B", stage="Finance", reviewer="r2@x", hours=3),
		review("C", decision="Rejected", hours=30),  # decided after its 24 h SLA
		review("D", stage="Warehouse", decision="Pending"),  # pending past its SLA at NOW
		review("F", decision="Returned for Changes", hours=5),
		review("Z", hours=100),  # an order not in the report: ignored
	]
	first, second = weekly_rows(orders, reviews, NOW)
	assert first == {
		"week": date(2026, 11, 2),
		"orders": 5,
		"auto_approved": 1,
		"auto_approval_rate": 20.0,
		"manual": 3,  # B, C decided; E on hold without review
		"manual_rate": 60.0,
		"held": 4,
		"rejected": 1,
		"returned": 0,
		"decisions": 3,
		"sla_breaches": 2,
		"escalated": 0,
		"median_review_hours": 3.0,
	}
	assert (second["week"], second["orders"], second["manual"], second["returned"]) == (
		date(2026, 11, 9),
		1,
		1,
		1,
	)
	assert second["median_review_hours"] == 5.0


def test_an_auto_approved_decision_with_a_review_is_not_auto_approved():
	"""Auto-approved means no person looked at it: a stray review record makes it manual."""
	orders = [OrderFact("A", date(2026, 11, 2), "Auto-approved")]
	(row,) = weekly_rows(orders, [review("A")], NOW)
	assert (row["auto_approved"], row["manual"]) == (0, 1)


def test_breaches_overdue_flag_late_decision_or_pending_past_due():
	assert is_breach(review("A", hours=1, is_overdue=True), NOW)
	assert is_breach(review("A", hours=25), NOW)
	assert not is_breach(review("A", hours=23), NOW)
	assert is_breach(review("A", decision="Pending"), NOW)
	assert not is_breach(review("A", decision="Pending"), datetime(2026, 11, 2, 10, 0))
	assert not is_breach(ReviewFact("A", "Sales", "Pending"), NOW)


def test_review_hours_only_for_decided_reviews():
	assert review_hours(review("A", hours=1.5)) == 1.5
	assert review_hours(review("A", decision="Pending")) is None


def test_stage_rows_split_decisions_and_median_per_stage():
	reviews = [
		review("A", hours=1),
		review("B", hours=3),
		review("C", decision="Rejected", hours=30),
		review("D", stage="Finance", decision="Pending"),
	]
	finance, sales = stage_rows(reviews, NOW)
	assert sales == {
		"stage": "Sales",
		"reviews": 3,
		"decisions": 3,
		"approved": 2,
		"rejected": 1,
		"returned": 0,
		"pending": 0,
		"sla_breaches": 1,
		"median_review_hours": 3.0,
	}
	assert (finance["stage"], finance["pending"], finance["decisions"], finance["median_review_hours"]) == (
		"Finance",
		1,
		0,
		None,
	)


def test_reviewer_rows_count_decided_reviews_most_first():
	reviews = [
		review("A", reviewer="b@x"),
		review("B", reviewer="a@x", decision="Rejected"),
		review("C", reviewer="b@x", decision="Returned for Changes"),
		review("D", reviewer=None, decision="Pending"),
	]
	rows = reviewer_rows(reviews, NOW)
	assert [(r["reviewer"], r["decisions"], r["approved"], r["returned"]) for r in rows] == [
		("b@x", 2, 1, 1),
		("a@x", 1, 0, 0),
	]


def test_hold_rule_rows_count_each_order_once_per_rule():
	orders = [
		OrderFact("A", date(2026, 11, 2), "Approved", ("Large Order", "Large Order")),  # two lines
		OrderFact("B", date(2026, 11, 2), "Approved", ("Large Order", "Stock Short")),
		OrderFact("C", date(2026, 11, 2), "Auto-approved"),
		OrderFact("D", date(2026, 11, 2), "Approved", ("Below Cost",)),
	]
	assert hold_rule_rows(orders) == [
		{"rule": "Large Order", "orders": 2, "share": 50.0},
		{"rule": "Below Cost", "orders": 1, "share": 25.0},
		{"rule": "Stock Short", "orders": 1, "share": 25.0},
	]


def test_total_row_takes_rates_and_medians_of_the_whole():
	orders = [
		OrderFact("A", date(2026, 11, 2), "Auto-approved"),
		OrderFact("B", date(2026, 11, 9), "Approved", ("Large Order",)),
		OrderFact("C", date(2026, 11, 16), "Approved", ("Large Order",)),
	]
	reviews = [review("B", hours=1), review("C", hours=5)]
	total = total_row(orders, reviews, NOW)
	assert "week" not in total
	assert (total["orders"], total["auto_approved"], total["auto_approval_rate"]) == (3, 1, 33.33)
	assert (total["manual_rate"], total["median_review_hours"]) == (66.67, 3.0)


def test_a_review_closed_by_the_orders_cancellation_is_neither_a_decision_nor_pending():
	cancelled = review("A", decision="Cancelled", reviewer=None, hours=1)
	assert not cancelled.decided
	assert review_hours(cancelled) is None
	assert not is_breach(cancelled, NOW)  # cancelled within its SLA: no breach however late it is now
	assert is_breach(review("A", decision="Cancelled", reviewer=None, hours=30), NOW)  # after it was due
	(sales,) = stage_rows([cancelled, review("B", hours=2)], NOW)
	assert (sales["reviews"], sales["decisions"], sales["approved"], sales["pending"]) == (2, 1, 1, 0)
	row = total_row([OrderFact("A", date(2026, 11, 2), "Held for Review")], [cancelled], NOW)
	assert (row["decisions"], row["sla_breaches"]) == (0, 0)
