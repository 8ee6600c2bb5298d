"""Order statistics shared by the analytics aggregations (pure): median and percentiles."""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float | None], p: float) -> float | None:
	"""The p-th percentile (0–100) of the values that are not None, linearly interpolated between the
	two nearest ranks (as a spreadsheet's PERCENTILE.INC); None when there are no values."""
	ordered = sorted(v for v in values if v is not None)
	if not ordered:
		return None
	position = (len(ordered) - 1) * p / 100
	lower = int(position)
	upper = min(lower + 1, len(ordered) - 1)
	return round(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower), 2)


def median(values: Iterable[float | None]) -> float | None:
	return percentile(values, 50)


def rate(part: int, whole: int) -> float:
	"""part as a percentage of whole, two decimals; 0 when whole is 0."""
	return round(part * 100 / whole, 2) if whole else 0.0
