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
	cause: str | None = None  # the DocType whose change last moved the promise


CAUSES = {
	"Purchase Order": "supply",
	"Work Order": "supply",
	"Material Request": "supply",
	"Purchase Receipt": "supply",
	"Stock Reconciliation": "stock",
	"Order Change Request": "change",
}


MOVED = ("supply", "stock", "change", "other")


def cause_of(row: PromiseRow) -> str:
	"""Why a re-promised line moved: a supply slip, a stock adjustment, a change request, or other
	(a user's re-check)."""
	return CAUSES.get(row.cause or "", "other")


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
				**{f"moved_{cause}": 0 for cause in MOVED},
			},
		)
		entry["promises"] += 1
		entry[outcome(row, today)] += 1
		if row.repromised > 0:
			entry["repromised"] += 1
			entry[f"moved_{cause_of(row)}"] += 1
	result = []
	for entry in sorted(groups.values(), key=lambda e: e["group"]):
		result.append({**entry, **_rates(entry)})
	return result


def total(rows: list[Mapping]) -> dict:
	entry = {
		key: sum(r[key] for r in rows)
		for key in (
			"promises",
			"kept",
			"late",
			"open",
			"unpromised",
			"repromised",
			*(f"moved_{c}" for c in MOVED),
		)
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
