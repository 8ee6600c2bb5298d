"""The Customer Satisfaction aggregation (order_mgmt/analytics/satisfaction.py): by month and item
group, each order once per group and once per month."""

from order_mgmt.analytics.satisfaction import Rating, satisfaction


def test_ratings_by_month_and_item_group_count_each_order_once_per_group():
	rows = [
		Rating("2026-10", "Tools", "CO-1", 5),
		Rating("2026-10", "Tools", "CO-1", 5),  # a second line of the same order and group
		Rating("2026-10", "Paint", "CO-1", 5),  # the same order in another group
		Rating("2026-10", "Tools", "CO-2", 2),
		Rating("2026-11", "Paint", "CO-3", 3),
		Rating("2026-11", "Paint", "CO-4", 4),
	]
	result = satisfaction(rows)
	assert [(r.month, r.item_group, r.responses) for r in result] == [
		("2026-10", "Paint", 1),
		("2026-10", "Tools", 2),
		("2026-10", None, 2),
		("2026-11", "Paint", 2),
		("2026-11", None, 2),
	]
	tools = result[1]
	assert (tools.average, tools.satisfied, tools.dissatisfied, tools.satisfied_pct) == (3.5, 1, 1, 50.0)
	assert tools.stars == (0, 1, 0, 0, 1)
	october = result[2]
	assert (october.average, october.satisfied_pct) == (3.5, 50.0)
	november = result[4]
	assert (november.average, november.satisfied, november.dissatisfied) == (3.5, 1, 0)


def test_no_ratings_and_ratings_out_of_range():
	assert satisfaction([]) == []
	assert satisfaction([Rating("2026-10", "Tools", "CO-1", 0), Rating("2026-10", "Tools", "CO-2", 6)]) == []
	(row,) = satisfaction([Rating("2026-10", "Tools", "CO-1", 1)], with_totals=False)
	assert (row.responses, row.average, row.dissatisfied, row.satisfied_pct) == (1, 1.0, 1, 0.0)
