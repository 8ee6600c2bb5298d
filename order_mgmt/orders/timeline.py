"""An order's timeline as its customer sees it (pure): the events gathered from the order's records,
with the milestones they imply, in the order they happened.

The Frappe side (order_mgmt/portal/timeline.py) gathers one Event per record — the submission, each
review decision, the approval, stock reservations, pick lists, shipments (carrier, tracking number,
ship date), invoices, payments, return requests and their decisions, returned goods, credit notes,
refunds, a cancellation — and turns each kind into a translated label. Nothing a customer must not
see goes into an Event: no reviewer, no review comment, no credit or cost figure.

Order: by day; within a day by the step of the order's life (submitted, reviewed, approved, reserved,
picked, shipped, delivered, invoiced, paid, then returns), then by the time of day where an event has
one, then by reference. Many records carry only a posting date, so the step — not the clock — decides
between a shipment and an invoice of the same day.

Derived milestones: *delivered* once the order is delivered in full (on its last shipment's day),
*paid* once it is paid in full (on its last payment's day); stock reservations are shown once per day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time

KINDS = (
	"submitted",
	"in_review",
	"review_decision",
	"approved",
	"stock_reserved",
	"picked",
	"shipped",
	"delivered",
	"invoiced",
	"payment",
	"paid",
	"return_requested",
	"return_decision",
	"goods_returned",
	"credit_note",
	"refund",
	"cancelled",
)
"""Every kind of event, in the order of an order's life (the tie-break within a day)."""
STEP = {kind: index for index, kind in enumerate(KINDS)}
ONCE_PER_DAY = frozenset({"stock_reserved"})
"""Kinds shown once per day whatever the number of records (one reservation per order line)."""


class UnknownEventKindError(ValueError):
	pass


@dataclass(frozen=True)
class Event:
	"""One thing that happened to the order. `on` is a date or a datetime; `details` are (key, value)
	pairs the page shows (e.g. ("carrier", "SF Express")); `outcome` is a decision or a status."""

	kind: str
	on: date | datetime
	reference: str = ""
	outcome: str = ""
	stage: str = ""
	amount: float | None = None
	details: tuple[tuple[str, str], ...] = ()

	def __post_init__(self):
		if self.kind not in STEP:
			raise UnknownEventKindError(self.kind)


def day_of(moment: date | datetime) -> date:
	return moment.date() if isinstance(moment, datetime) else moment


def time_of(moment: date | datetime) -> time:
	return moment.time() if isinstance(moment, datetime) else time.min


def sort_key(event: Event) -> tuple:
	return (day_of(event.on), STEP[event.kind], time_of(event.on), event.reference, event.outcome)


def build_timeline(
	events: Iterable[Event], fully_delivered: bool = False, fully_paid: bool = False
) -> list[Event]:
	"""The order's events in order, without duplicates, with the derived milestones."""
	events = [event for event in events if event.on is not None]
	result = _once_per_day(_unique(events))
	if fully_delivered:
		result += _last_of("shipped", "delivered", result)
	if fully_paid:
		result += _last_of("payment", "paid", result)
	return sorted(result, key=sort_key)


def _unique(events: list[Event]) -> list[Event]:
	seen, result = set(), []
	for event in events:
		if event not in seen:
			seen.add(event)
			result.append(event)
	return result


def _once_per_day(events: list[Event]) -> list[Event]:
	"""The first event of each ONCE_PER_DAY kind and day, without a reference (it stands for many)."""
	first: dict[tuple[str, date], Event] = {}
	result = []
	for event in sorted(events, key=sort_key):
		if event.kind not in ONCE_PER_DAY:
			result.append(event)
			continue
		key = (event.kind, day_of(event.on))
		if key not in first:
			first[key] = replace(event, reference="", amount=None, details=())
			result.append(first[key])
	return result


def _last_of(source_kind: str, milestone: str, events: list[Event]) -> list[Event]:
	"""The milestone on the day of the last `source_kind` event (none without one)."""
	sources = [event for event in events if event.kind == source_kind]
	if not sources:
		return []
	last = max(sources, key=sort_key)
	return [Event(milestone, last.on, reference=last.reference)]
