"""Customer satisfaction: the ratings customers gave their delivered orders (portal/feedback.py),
by month and item group. Pure aggregation: rows in, report rows out (no database); the Script Report
customer_satisfaction gathers the rows.

An order whose lines fall in several item groups counts once in each of them (and once in the month's
total); within one group it counts once however many of its lines are in it. "Satisfied" is a rating
of 4 or 5, "dissatisfied" 1 or 2 (the usual CSAT split).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SATISFIED = (4, 5)
DISSATISFIED = (1, 2)
ALL_GROUPS = None
"""The item group of a month's total row."""


@dataclass(frozen=True)
class Rating:
	month: str
	"""YYYY-MM of the feedback."""
	item_group: str
	order: str
	rating: int


@dataclass(frozen=True)
class SatisfactionRow:
	month: str
	item_group: str | None
	"""None on a month's total row."""
	responses: int
	average: float
	satisfied: int
	dissatisfied: int
	satisfied_pct: float
	stars: tuple[int, int, int, int, int]
	"""How many ratings of 1, 2, 3, 4 and 5."""


def _row(month: str, group: str | None, ratings: list[int]) -> SatisfactionRow:
	responses = len(ratings)
	satisfied = sum(1 for r in ratings if r in SATISFIED)
	return SatisfactionRow(
		month=month,
		item_group=group,
		responses=responses,
		average=round(sum(ratings) / responses, 2) if responses else 0.0,
		satisfied=satisfied,
		dissatisfied=sum(1 for r in ratings if r in DISSATISFIED),
		satisfied_pct=round(100.0 * satisfied / responses, 1) if responses else 0.0,
		stars=tuple(sum(1 for r in ratings if r == star) for star in (1, 2, 3, 4, 5)),
	)


def satisfaction(rows: Iterable[Rating], with_totals: bool = True) -> list[SatisfactionRow]:
	"""Per month (oldest first) and item group (by name): responses, average rating, satisfied and
	dissatisfied counts, share satisfied; with `with_totals`, each month's total (its orders once
	each) after its groups. Ratings outside 1–5 are ignored."""
	by_group: dict[tuple[str, str], dict[str, int]] = {}
	by_month: dict[str, dict[str, int]] = {}
	for row in rows:
		if row.rating not in (1, 2, 3, 4, 5):
			continue
		by_group.setdefault((row.month, row.item_group), {})[row.order] = row.rating
		by_month.setdefault(row.month, {})[row.order] = row.rating
	result: list[SatisfactionRow] = []
	for month in sorted(by_month):
		for (m, group), orders in sorted(by_group.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
			if m == month:
				result.append(_row(month, group, list(orders.values())))
		if with_totals:
			result.append(_row(month, ALL_GROUPS, list(by_month[month].values())))
	return result
