"""Which delivered lines a customer may return, and how much (pure: no Frappe, unit-tested in
tests/test_return_rules.py).

The Frappe side (returns/deliveries.py, returns/validation.py) gathers the facts into these
dataclasses and turns each Problem into a translatable message naming the row and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

QTY_TOLERANCE = 1e-9

# Problem codes (the Frappe side has one message per code).
NO_LINES = "no_lines"
QTY_NOT_POSITIVE = "qty_not_positive"
NOT_DELIVERED = "not_delivered"
OTHER_DELIVERY_NOTE = "other_delivery_note"
ITEM_MISMATCH = "item_mismatch"
BEFORE_DELIVERY = "before_delivery"
OUTSIDE_WINDOW = "outside_window"
QTY_EXCEEDS = "qty_exceeds"
NOT_RETURNABLE = "not_returnable"
REASON_MISSING = "reason_missing"
REASON_DISABLED = "reason_disabled"
PHOTO_REQUIRED = "photo_required"


@dataclass(frozen=True)
class DeliveredLine:
	"""A line of a submitted (non-return) Delivery Note of the order."""

	name: str
	"""The Delivery Note Item."""
	delivery_note: str
	item_code: str
	delivered_qty: float
	delivered_on: date
	rate: float = 0.0
	returned_qty: float = 0.0
	"""On submitted ERPNext return Delivery Notes against this line."""
	requested_qty: float = 0.0
	"""On other open Return Requests (not yet on a return Delivery Note)."""

	@property
	def already_returned_qty(self) -> float:
		return self.returned_qty + self.requested_qty

	@property
	def returnable_qty(self) -> float:
		return max(0.0, self.delivered_qty - self.already_returned_qty)


@dataclass(frozen=True)
class RequestLine:
	"""A row of the Return Request as entered."""

	row: int
	item_code: str | None
	qty: float
	delivery_note: str | None = None
	delivery_note_item: str | None = None
	reason: str | None = None
	has_photo: bool = False


@dataclass(frozen=True)
class ReasonRule:
	enabled: bool = True
	requires_photo: bool = False


@dataclass(frozen=True)
class Policy:
	requested_on: date
	window_days: int = 30
	"""Days after the Delivery Note's posting date; 0 means no limit."""
	delivery_note: str | None = None
	"""Set on the request: only lines of this Delivery Note."""


@dataclass(frozen=True)
class Problem:
	row: int | None
	"""The request row (idx), None for the request as a whole."""
	field: str
	code: str
	args: tuple = ()


def match_delivered_lines(
	lines: Iterable[RequestLine], delivered: Iterable[DeliveredLine], delivery_note: str | None = None
) -> list[RequestLine]:
	"""Rows entered without a Delivery Note line (API, import) get the first delivered line of their
	item, on their Delivery Note or the request's if given, that still has quantity to return after
	the rows before them. Rows that name a line keep it; rows that match nothing stay unmatched."""
	delivered = list(delivered)
	used: dict[str, float] = {}
	for line in lines:
		if line.delivery_note_item:
			used[line.delivery_note_item] = used.get(line.delivery_note_item, 0.0) + float(line.qty or 0)
	matched = []
	for line in lines:
		if line.delivery_note_item or not line.item_code:
			matched.append(line)
			continue
		note = line.delivery_note or delivery_note
		candidates = [
			d for d in delivered if d.item_code == line.item_code and (not note or d.delivery_note == note)
		]
		chosen = next(
			(d for d in candidates if d.returnable_qty - used.get(d.name, 0.0) > QTY_TOLERANCE),
			candidates[0] if candidates else None,
		)
		if chosen is None:
			matched.append(line)
			continue
		used[chosen.name] = used.get(chosen.name, 0.0) + float(line.qty or 0)
		matched.append(replace(line, delivery_note=chosen.delivery_note, delivery_note_item=chosen.name))
	return matched


def days_since_delivery(delivered_on: date, requested_on: date) -> int:
	return (requested_on - delivered_on).days


def is_within_window(delivered_on: date, requested_on: date, window_days: int) -> bool:
	"""The last day of the window is still in (30 days: a delivery on the 1st may be returned on the 31st)."""
	return not window_days or days_since_delivery(delivered_on, requested_on) <= window_days


def check_lines(
	lines: Iterable[RequestLine],
	delivered: Mapping[str, DeliveredLine],
	returnable_items: Mapping[str, bool],
	reasons: Mapping[str, ReasonRule],
	policy: Policy,
) -> list[Problem]:
	"""Every problem of the request's lines, in row order.

	`delivered` holds the order's delivered lines by Delivery Note Item; `returnable_items` the
	Item's is_returnable flag (items missing from it count as returnable); `reasons` the Return
	Reasons by name (a reason missing from it is unknown, i.e. not enabled). Several rows for one
	delivered line share its returnable quantity.
	"""
	lines = list(lines)
	if not lines:
		return [Problem(None, "items", NO_LINES)]
	problems: list[Problem] = []
	claimed: dict[str, float] = {}
	for line in lines:
		problems.extend(_check_line(line, delivered, returnable_items, reasons, policy, claimed))
	return problems


def _check_line(
	line: RequestLine,
	delivered: Mapping[str, DeliveredLine],
	returnable_items: Mapping[str, bool],
	reasons: Mapping[str, ReasonRule],
	policy: Policy,
	claimed: dict[str, float],
) -> list[Problem]:
	found: list[Problem] = []
	qty = float(line.qty or 0)
	if qty <= 0:
		found.append(Problem(line.row, "qty", QTY_NOT_POSITIVE, (line.qty,)))

	source = delivered.get(line.delivery_note_item or "")
	if source is None:
		found.append(Problem(line.row, "item_code", NOT_DELIVERED, (line.item_code, line.delivery_note)))
	elif policy.delivery_note and source.delivery_note != policy.delivery_note:
		found.append(
			Problem(
				line.row, "delivery_note", OTHER_DELIVERY_NOTE, (source.delivery_note, policy.delivery_note)
			)
		)
	elif line.item_code and line.item_code != source.item_code:
		found.append(
			Problem(
				line.row, "item_code", ITEM_MISMATCH, (line.item_code, source.delivery_note, source.item_code)
			)
		)
	else:
		found.extend(_check_against_delivery(line, qty, source, policy, claimed))

	if line.item_code and not returnable_items.get(line.item_code, True):
		found.append(Problem(line.row, "item_code", NOT_RETURNABLE, (line.item_code,)))

	if not line.reason:
		found.append(Problem(line.row, "reason", REASON_MISSING))
	else:
		reason = reasons.get(line.reason)
		if reason is None or not reason.enabled:
			found.append(Problem(line.row, "reason", REASON_DISABLED, (line.reason,)))
		elif reason.requires_photo and not line.has_photo:
			found.append(Problem(line.row, "photo", PHOTO_REQUIRED, (line.reason,)))
	return found


def _check_against_delivery(
	line: RequestLine, qty: float, source: DeliveredLine, policy: Policy, claimed: dict[str, float]
) -> list[Problem]:
	found = []
	days = days_since_delivery(source.delivered_on, policy.requested_on)
	if days < 0:
		found.append(
			Problem(line.row, "delivery_note", BEFORE_DELIVERY, (source.delivery_note, source.delivered_on))
		)
	elif not is_within_window(source.delivered_on, policy.requested_on, policy.window_days):
		found.append(
			Problem(
				line.row,
				"delivery_note",
				OUTSIDE_WINDOW,
				(source.delivery_note, source.delivered_on, days, policy.window_days),
			)
		)
	if qty > 0:
		available = source.returnable_qty - claimed.get(source.name, 0.0)
		if qty > available + QTY_TOLERANCE:
			found.append(
				Problem(
					line.row,
					"qty",
					QTY_EXCEEDS,
					(qty, max(0.0, available), source.delivered_qty, source.already_returned_qty),
				)
			)
		claimed[source.name] = claimed.get(source.name, 0.0) + qty
	return found


def line_amount(qty: float, rate: float, precision: int = 2) -> float:
	return round(float(qty or 0) * float(rate or 0), precision)
