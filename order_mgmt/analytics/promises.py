"""Promise performance (pure): was each delivery promise kept against its original date?

Rows in (one per Delivery Promise: the group it belongs to, the original promised date, when the
line was delivered in full, how often it was re-promised), KPI rows out; unit-tested in
tests/test_promise_kpis.py. The Promise Performance report gathers the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PromiseRow:
	group: str
	original_on: date | None
	delivered_on: date | None
	repromised: int = 0


def outcome(row: PromiseRow, today: date) -> str:
	"""kept: delivered on or before the original promise; late: delivered after it, or not
	delivered and the date has passed; open: not delivered, not yet due; unpromised: no date."""
	if row.original_on is None:
		return "unpromised"
	if row.delivered_on is not None:
		return "kept" if row.delivered_on <= row.original_on else "late"
	return "late" if today > row.original_on else "open"


def performance(rows: Iterable[PromiseRow], today: date) -> list[dict]:
	groups: dict[str, dict] = {}
	for row in rows:
		entry = groups.setdefault(
			row.group,
			{
				"group": row.group,
				"promises": 0,
				"kept": 0,
				"late": 0,
				"open": 0,
				"unpromised": 0,
				"repromised": 0,
			},
		)
		entry["promises"] += 1
		entry[outcome(row, today)] += 1
		entry["repromised"] += int(row.repromised > 0)
	result = []
	for entry in sorted(groups.values(), key=lambda e: e["group"]):
		result.append({**entry, **_rates(entry)})
	return result


def total(rows: list[Mapping]) -> dict:
	entry = {
		key: sum(r[key] for r in rows)
		for key in ("promises", "kept", "late", "open", "unpromised", "repromised")
	}
	return {"group": None, **entry, **_rates(entry)}


def _rates(entry: Mapping) -> dict:
	decided = entry["kept"] + entry["late"]
	return {
		"kept_rate": round(100.0 * entry["kept"] / decided, 1) if decided else None,
		"repromise_rate": round(100.0 * entry["repromised"] / entry["promises"], 1)
		if entry["promises"]
		else None,
	}
