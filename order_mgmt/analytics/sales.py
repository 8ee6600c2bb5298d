"""Sales analysis (pure): invoiced revenue, cost, margin, orders and average order value per customer,
item, item group, territory or month, with the revenue of each month of the period and its trend.

The figures come in already summed (the Frappe side groups ERPNext's submitted Sales Invoices, credit
notes included, and Sales Orders in a few SQL queries):
- revenue: the invoice lines' net amount in the company currency (credit notes subtract);
- cost: stock quantity × the valuation rate the stock ledger recorded at delivery; margin = revenue −
  cost, margin % of revenue;
- orders: distinct Sales Orders invoiced (an invoice without a Sales Order counts as one order);
  average order value = revenue ÷ orders;
- ordered: the net amount of the Sales Orders booked in the period (bookings beside billings);
- trend: the change of the last month's revenue against the month before, in % (None when that
  month had none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from order_mgmt.analytics.stats import rate


@dataclass(frozen=True)
class Figures:
	revenue: float = 0.0
	cost: float = 0.0
	orders: int = 0
	ordered: float = 0.0


def months_between(start: date, end: date) -> list[date]:
	"""The first day of every month from start's to end's, inclusive."""
	months, year, month = [], start.year, start.month
	while (year, month) <= (end.year, end.month):
		months.append(date(year, month, 1))
		year, month = (year + 1, 1) if month == 12 else (year, month + 1)
	return months


def month_key(month: date) -> str:
	return f"m_{month.year}_{month.month:02d}"


def change(current: float, previous: float) -> float | None:
	return round((current - previous) * 100 / abs(previous), 2) if previous else None


def _row(figures: Figures) -> dict:
	margin = round(figures.revenue - figures.cost, 2)
	return {
		"revenue": round(figures.revenue, 2),
		"cost": round(figures.cost, 2),
		"margin": margin,
		"margin_rate": rate(margin, figures.revenue) if figures.revenue > 0 else 0.0,
		"orders": figures.orders,
		"average_order_value": round(figures.revenue / figures.orders, 2) if figures.orders else 0.0,
		"ordered": round(figures.ordered, 2),
	}


def group_rows(
	totals: dict[str, Figures], monthly: dict[tuple[str, date], float], months: list[date]
) -> list[dict]:
	"""Per group, highest revenue first: its figures, its revenue per month of the period (columns
	named by month_key) and the trend of its last month."""
	rows = []
	for key, figures in totals.items():
		series = [round(monthly.get((key, month), 0.0), 2) for month in months]
		row = {"key": key, **_row(figures), **dict(zip((month_key(m) for m in months), series, strict=True))}
		row["trend"] = change(series[-1], series[-2]) if len(series) > 1 else None
		rows.append(row)
	return sorted(rows, key=lambda r: (-r["revenue"], r["key"]))


def month_rows(totals: dict[date, Figures], months: list[date]) -> list[dict]:
	"""Per month of the period, oldest first (months without sales too): the figures and the change of
	revenue against the month before."""
	rows, previous = [], None
	for month in months:
		row = {"month": month, **_row(totals.get(month, Figures()))}
		row["trend"] = change(row["revenue"], previous) if previous is not None else None
		previous = row["revenue"]
		rows.append(row)
	return rows


def total_row(overall: Figures, rows: Iterable[dict], months: list[date]) -> dict:
	"""The figures over everything (orders counted once however many groups they fall in) and the
	revenue per month summed over the groups."""
	rows = list(rows)
	total = _row(overall)
	for month in months:
		total[month_key(month)] = round(sum(r.get(month_key(month), 0.0) for r in rows), 2)
	return total
