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


def percentile_counted(counts: dict[float, int], p: float) -> float | None:
	"""As percentile, from each value's number of occurrences (the same ranks and interpolation)."""
	ordered = sorted((value, n) for value, n in counts.items() if value is not None and n > 0)
	total = sum(n for _value, n in ordered)
	if not total:
		return None
	position = (total - 1) * p / 100
	lower = int(position)
	upper = min(lower + 1, total - 1)
	at_lower = at_upper = None
	seen = 0
	for value, n in ordered:
		if at_lower is None and lower < seen + n:
			at_lower = value
		if upper < seen + n:
			at_upper = value
			break
		seen += n
	return round(at_lower + (at_upper - at_lower) * (position - lower), 2)
