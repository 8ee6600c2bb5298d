"""Available-to-promise: the earliest date an order line can ship, from a time-phased supply ledger.

Pure: a `Ledger` (free stock now, dated supply, promises already made) and a `WorkCalendar` in,
`Promise`s out; unit-tested in tests/test_promise.py. The Frappe side (`fulfilment/promising.py`)
reads the ledger from Bins, Purchase Orders, Work Orders and Material Requests and stores what is
committed; nothing here touches the database.

Netting is cumulative with look-ahead: a quantity `q` can be promised on date `t` only if, on
every date from `t` on, cumulative supply minus cumulative promises stays at or above `q`. So a
new promise can never take supply that an earlier (or later-dated) promise already rests on, and
`available_to_promise(t)` never decreases with `t`, which makes the earliest date the first
supply date at which it reaches the quantity.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

PRIORITY_RANK = {"Urgent": 0, "High": 1, "Normal": 2}

STOCK = "Stock"


class PromiseError(ValueError):
	"""A ledger or request that cannot be promised against (negative quantity, unknown priority…)."""


@dataclass(frozen=True)
class Supply:
	"""Stock expected on `on` (its expected receipt/completion date, before buffers)."""

	on: date
	qty: float
	source_doctype: str
	source_name: str
	# Material Requests are soft supply: counted only when the setting says to promise on them.
	soft: bool = False


@dataclass(frozen=True)
class Commitment:
	"""A quantity already promised to an order line for `on` (its promised ship date)."""

	on: date
	qty: float
	line: str
	priority: str = "Normal"


@dataclass(frozen=True)
class WorkCalendar:
	"""Working days: weekdays not in `weekly_off` (0 = Monday) and not holidays."""

	holidays: frozenset[date] = frozenset()
	weekly_off: frozenset[int] = frozenset({5, 6})
	# Working days between a supply's arrival and the day it can ship (receiving, quality check).
	buffer_days: int = 0

	def is_working_day(self, day: date) -> bool:
		return day.weekday() not in self.weekly_off and day not in self.holidays

	def on_or_after(self, day: date) -> date:
		for _ in range(3660):
			if self.is_working_day(day):
				return day
			day += timedelta(days=1)
		raise PromiseError("no working day within ten years")

	def add_working_days(self, day: date, days: int) -> date:
		day = self.on_or_after(day)
		for _ in range(days):
			day = self.on_or_after(day + timedelta(days=1))
		return day

	def working_days_between(self, start: date, end: date) -> int:
		"""Working days after `start` up to and including `end` (negative when `end` is earlier)."""
		if end < start:
			return -self.working_days_between(end, start)
		count, day = 0, start
		while day < end:
			day += timedelta(days=1)
			count += self.is_working_day(day)
		return count


@dataclass(frozen=True)
class Ledger:
	"""Supply and demand for one item in one warehouse."""

	free_now: float
	supplies: tuple[Supply, ...] = ()
	commitments: tuple[Commitment, ...] = ()
	use_soft_supply: bool = False


@dataclass(frozen=True)
class Peg:
	"""The part of a promise resting on one supply (`source_doctype` "Stock" for stock on hand)."""

	qty: float
	source_doctype: str
	source_name: str
	available_on: date


@dataclass(frozen=True)
class Promise:
	qty: float
	ship_on: date
	pegs: tuple[Peg, ...] = field(default=())


@dataclass(frozen=True)
class LinePromise:
	"""What can be promised for a line: one promise when the full quantity ships on one date;
	two when part ships by the requested date and the rest later; `short` when even all known
	supply does not cover the quantity."""

	requested_qty: float
	requested_on: date
	promises: tuple[Promise, ...]
	short_qty: float = 0.0

	@property
	def earliest_full_date(self) -> date | None:
		if self.short_qty > 0 or not self.promises:
			return None
		return max(p.ship_on for p in self.promises)

	@property
	def meets_request(self) -> bool:
		return self.short_qty <= 0 and all(p.ship_on <= self.requested_on for p in self.promises)


def _check(ledger: Ledger, qty: float) -> None:
	if not qty >= 0:  # also refuses NaN
		raise PromiseError("quantity to promise must be a number, not negative")
	for supply in ledger.supplies:
		if supply.qty < 0:
			raise PromiseError(f"supply {supply.source_name} has a negative quantity")


def _dated_supply(ledger: Ledger, calendar: WorkCalendar, today: date) -> list[tuple[date, Supply]]:
	"""Supply by the first day it can ship: stock now on the first working day from today;
	incoming supply after its buffer, and never before today."""
	dated = [(calendar.on_or_after(today), Supply(today, max(ledger.free_now, 0.0), STOCK, STOCK))]
	for supply in ledger.supplies:
		if supply.soft and not ledger.use_soft_supply:
			continue
		ships = calendar.add_working_days(max(supply.on, today), calendar.buffer_days)
		dated.append((ships, supply))
	dated.sort(key=lambda pair: (pair[0], pair[1].soft, pair[1].source_doctype != STOCK, pair[1].source_name))
	return dated


def _due(commitments: Iterable[Commitment], today: date) -> tuple[Commitment, ...]:
	"""A promise whose date has passed but is not shipped yet still needs its stock: it counts as
	due today (otherwise it would sit before today's stock and look like an over-promise)."""
	return tuple(c if c.on >= today else Commitment(today, c.qty, c.line, c.priority) for c in commitments)


def _candidate_days(dated: Sequence[tuple[date, Supply]], commitments: Iterable[Commitment]) -> list[date]:
	return sorted({day for day, _ in dated} | {c.on for c in commitments})


def available_to_promise(ledger: Ledger, calendar: WorkCalendar, today: date, on: date) -> float:
	"""The most that can be promised for shipping on `on` without touching any existing promise."""
	dated = _dated_supply(ledger, calendar, today)
	return _atp(dated, _due(ledger.commitments, today), on)


def _atp(dated: Sequence[tuple[date, Supply]], commitments: Sequence[Commitment], on: date) -> float:
	return _Curve(dated, commitments).atp(on)


class _Curve:
	"""Cumulative supply minus cumulative promises at each event day, with its running minimum from
	the end: available-to-promise on any day in O(log n) after an O(n log n) build (a ledger of
	thousands of open lines stays fast)."""

	def __init__(self, dated: Sequence[tuple[date, Supply]], commitments: Sequence[Commitment]):
		change: dict[date, float] = {}
		for day, supply in dated:
			change[day] = change.get(day, 0.0) + supply.qty
		for commitment in commitments:
			change[commitment.on] = change.get(commitment.on, 0.0) - commitment.qty
		self.days = sorted(change)
		self.net: list[float] = []
		running = 0.0
		for day in self.days:
			running += change[day]
			self.net.append(running)
		self.min_from: list[float] = [0.0] * len(self.net)
		low = float("inf")
		for index in range(len(self.net) - 1, -1, -1):
			low = min(low, self.net[index])
			self.min_from[index] = low

	def atp(self, on: date) -> float:
		after = bisect_right(self.days, on)  # first event strictly after `on`
		net_on = self.net[after - 1] if after else 0.0
		best = min(net_on, self.min_from[after]) if after < len(self.days) else net_on
		return max(best, 0.0)


def promise_line(
	ledger: Ledger, calendar: WorkCalendar, today: date, qty: float, requested_on: date | None = None
) -> LinePromise:
	"""The earliest date `qty` can ship in full; when that is after `requested_on`, the part that
	can ship by then and the rest on its earliest date."""
	_check(ledger, qty)
	requested = calendar.on_or_after(max(requested_on or today, today))
	dated = _dated_supply(ledger, calendar, today)
	commitments = _due(ledger.commitments, today)
	if qty == 0:
		return LinePromise(qty, requested, (Promise(0.0, requested),))

	days = [requested] + [day for day in _candidate_days(dated, commitments) if day > requested]
	curve = _Curve(dated, commitments)
	full_on = next((day for day in days if curve.atp(day) >= qty - 1e-9), None)

	if full_on == requested:
		promise = Promise(qty, requested, _pegs(dated, commitments, qty, requested))
		return LinePromise(qty, requested, (promise,))

	now_qty = curve.atp(requested)
	promises: list[Promise] = []
	placed = list(commitments)
	if now_qty > 0:
		promises.append(Promise(now_qty, requested, _pegs(dated, placed, now_qty, requested)))
		placed.append(Commitment(requested, now_qty, "(new)"))
	rest = qty - now_qty
	if full_on is None:
		# Not all of it is covered by known supply: promise what the last supply allows.
		last_day = days[-1]
		placed_curve = _Curve(dated, placed)
		coverable = placed_curve.atp(last_day)
		if coverable > 0:
			later = next(day for day in days if placed_curve.atp(day) >= coverable - 1e-9)
			promises.append(Promise(coverable, later, _pegs(dated, placed, coverable, later)))
			rest -= coverable
		return LinePromise(qty, requested, tuple(promises), short_qty=rest)
	promises.append(Promise(rest, full_on, _pegs(dated, placed, rest, full_on)))
	return LinePromise(qty, requested, tuple(promises))


def _pegs(
	dated: Sequence[tuple[date, Supply]], commitments: Sequence[Commitment], qty: float, on: date
) -> tuple[Peg, ...]:
	"""First-in-first-out: promises in ship-date order take supply in availability order; the new
	one (after earlier promises of its own date) shows which supply it rests on. Feasible netting
	guarantees each promise is covered by supply available on or before its date."""
	demand = sorted(commitments, key=lambda c: c.on)
	ahead = sum(c.qty for c in demand if c.on <= on)
	pegs: list[Peg] = []
	position = 0.0
	remaining = qty
	for ships, supply in dated:
		start, end = position, position + supply.qty
		position = end
		if end <= ahead or remaining <= 0:
			continue
		take = min(end - max(start, ahead), remaining)
		if take > 0:
			pegs.append(Peg(take, supply.source_doctype, supply.source_name, ships))
			remaining -= take
			ahead += take
	return tuple(pegs)


def over_promised(ledger: Ledger, calendar: WorkCalendar, today: date) -> list[tuple[date, float]]:
	"""Dates on which cumulative promises exceed cumulative supply, with the excess: the audit
	that must always come back empty."""
	curve = _Curve(_dated_supply(ledger, calendar, today), _due(ledger.commitments, today))
	return [(day, -net) for day, net in zip(curve.days, curve.net, strict=True) if net < -1e-9]


@dataclass(frozen=True)
class Repromise:
	line: str
	old_on: date
	new_on: date | None  # None: no known supply covers it any more
	qty: float


def repromise(ledger: Ledger, calendar: WorkCalendar, today: date) -> list[Repromise]:
	"""After supply changed: keep every promise that still holds, taking them by priority
	(Urgent, High, Normal) then promised date; give the others their new earliest date."""
	for commitment in ledger.commitments:
		if commitment.priority not in PRIORITY_RANK:
			raise PromiseError(f"unknown priority {commitment.priority!r} on {commitment.line}")
	ordered = sorted(ledger.commitments, key=lambda c: (PRIORITY_RANK[c.priority], c.on, c.line))
	kept: list[Commitment] = []
	moved: list[Repromise] = []
	late: list[Commitment] = []
	for commitment in ordered:
		trial = Ledger(ledger.free_now, ledger.supplies, tuple(kept), ledger.use_soft_supply)
		if available_to_promise(trial, calendar, today, max(commitment.on, today)) >= commitment.qty - 1e-9:
			kept.append(commitment)
		else:
			late.append(commitment)
	for commitment in late:
		trial = Ledger(ledger.free_now, ledger.supplies, tuple(kept), ledger.use_soft_supply)
		line = promise_line(trial, calendar, today, commitment.qty, commitment.on)
		new_on = line.earliest_full_date
		moved.append(Repromise(commitment.line, commitment.on, new_on, commitment.qty))
		if new_on is not None:
			kept.append(Commitment(new_on, commitment.qty, commitment.line, commitment.priority))
	return moved
