"""Return rates (pure): delivered and returned quantities per key into report rows."""

from __future__ import annotations


def return_rate(delivered: float, returned: float) -> float:
	"""Returned as a percentage of delivered; returns with nothing delivered in the period count as 100 %."""
	if returned <= 0:
		return 0.0
	if delivered <= 0:
		return 100.0
	return round(returned * 100 / delivered, 2)


def rate_rows(
	delivered: dict[str, float], returned: dict[str, float], reasons: dict[str, str] | None = None
) -> list[dict]:
	"""One row per key, highest return rate first, then by key."""
	reasons = reasons or {}
	rows = [
		{
			"key": key,
			"delivered_qty": delivered.get(key, 0.0),
			"returned_qty": returned.get(key, 0.0),
			"return_rate": return_rate(delivered.get(key, 0.0), returned.get(key, 0.0)),
			"top_reason": reasons.get(key),
		}
		for key in set(delivered) | set(returned)
		if key
	]
	return sorted(rows, key=lambda row: (-row["return_rate"], str(row["key"])))
