"""Return rates (pure): delivered, requested and returned quantities per key into report rows.

Two sides of a return are shown side by side, each with its own most frequent reason:
- requested: the lines of Return Requests filed in the period (not rejected or cancelled), whether
  or not the goods came back yet;
- returned: what came back on return Delivery Notes in the period, with the reasons of the requests
  whose goods were received.
The return rate is based on what came back (returned against delivered).

The Frappe side (the Return Rate report) gathers the quantities and (key, reason, qty) triples with
a few queries and formats these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def return_rate(delivered: float, returned: float) -> float:
	"""Returned as a percentage of delivered; returns with nothing delivered in the period count as 100 %."""
	if returned <= 0:
		return 0.0
	if delivered <= 0:
		return 100.0
	return round(returned * 100 / delivered, 2)


def top_reasons(lines: Iterable[tuple[str | None, str | None, float]]) -> dict[str, str]:
	"""The most frequent reason per key, by quantity, from (key, reason, qty) triples (several triples
	of one key and reason add up). Ties go to the reason first in alphabetical order, so the answer
	does not depend on the order of the rows."""
	totals: dict[str, dict[str, float]] = {}
	for key, reason, qty in lines:
		if not key or not reason or not qty or qty <= 0:
			continue
		per_key = totals.setdefault(key, {})
		per_key[reason] = per_key.get(reason, 0.0) + qty
	return {
		key: min(reasons.items(), key=lambda item: (-item[1], item[0]))[0] for key, reasons in totals.items()
	}


def rate_rows(
	delivered: Mapping[str, float],
	returned: Mapping[str, float],
	requested: Mapping[str, float] | None = None,
	requested_reasons: Mapping[str, str] | None = None,
	returned_reasons: Mapping[str, str] | None = None,
) -> list[dict]:
	"""One row per key (delivered, requested or returned), highest return rate first, then most
	requested, then by key."""
	requested = requested or {}
	requested_reasons = requested_reasons or {}
	returned_reasons = returned_reasons or {}
	rows = [
		{
			"key": key,
			"delivered_qty": delivered.get(key, 0.0),
			"requested_qty": requested.get(key, 0.0),
			"top_requested_reason": requested_reasons.get(key),
			"returned_qty": returned.get(key, 0.0),
			"top_returned_reason": returned_reasons.get(key),
			"return_rate": return_rate(delivered.get(key, 0.0), returned.get(key, 0.0)),
		}
		for key in set(delivered) | set(returned) | set(requested)
		if key
	]
	return sorted(rows, key=lambda row: (-row["return_rate"], -row["requested_qty"], str(row["key"])))


def reason_rows(
	total_delivered: float, requested: Mapping[str, float], returned: Mapping[str, float]
) -> list[dict]:
	"""Per reason: quantity requested and returned for it, and the return rate against everything
	delivered in the period."""
	return [
		{**row, "delivered_qty": total_delivered}
		for row in rate_rows(
			{reason: total_delivered for reason in set(requested) | set(returned)}, returned, requested
		)
	]
