"""Sales analysis for the Sales Analysis report: margin, average order value, monthly revenue and
trend per group and per month."""

from datetime import date

from order_mgmt.analytics.sales import Figures, group_rows, month_key, month_rows, months_between, total_row

MONTHS = months_between(date(2026, 9, 15), date(2026, 11, 2))


def test_months_between_spans_years():
	assert MONTHS == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
	assert months_between(date(2025, 12, 31), date(2026, 1, 1)) == [date(2025, 12, 1), date(2026, 1, 1)]


def test_group_rows():
	totals = {
		"Acme": Figures(revenue=600, cost=400, orders=3, ordered=700),
		"Zed": Figures(revenue=900, cost=300, orders=1),
	}
	monthly = {
		("Acme", date(2026, 10, 1)): 200,
		("Acme", date(2026, 11, 1)): 400,
		("Zed", date(2026, 9, 1)): 900,
	}
	zed, acme = group_rows(totals, monthly, MONTHS)
	assert (zed["key"], zed["margin"], zed["margin_rate"], zed["trend"]) == ("Zed", 600, 66.67, None)
	assert (acme["average_order_value"], acme["ordered"], acme["trend"]) == (200, 700, 100.0)
	assert [acme[month_key(m)] for m in MONTHS] == [0, 200, 400]
	total = total_row(Figures(revenue=1500, cost=700, orders=3), [zed, acme], MONTHS)
	assert (total["margin"], total["average_order_value"], total["m_2026_09"], total["m_2026_11"]) == (
		800,
		500,
		900,
		400,
	)


def test_month_rows_include_empty_months_and_the_change():
	rows = month_rows(
		{date(2026, 9, 1): Figures(100, 50, 2), date(2026, 11, 1): Figures(150, 100, 1)}, MONTHS
	)
	assert [(r["revenue"], r["trend"]) for r in rows] == [(100, None), (0, -100.0), (150, None)]
	assert rows[0]["average_order_value"] == 50
	assert rows[1]["margin_rate"] == 0.0


def test_a_loss_has_a_negative_margin():
	(row,) = group_rows({"X": Figures(revenue=100, cost=150, orders=1)}, {}, MONTHS)
	assert (row["margin"], row["margin_rate"]) == (-50, -50.0)
