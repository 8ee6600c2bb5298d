"""Cancellations and changes per group, as plain Python (the report Cancellations and Changes).

One fact per order (submitted or cancelled in the period): when it was ordered, its customer, the item
groups of its lines, whether it was cancelled, with which Cancellation Reason and at which stage, and how
many change requests were applied to it. `rows` groups the facts by month, customer or item group (an
order counts once in every item group it has lines in) and gives per group the orders, the cancelled ones
and the changed ones with their rates; by cancellation reason or stage, only the cancelled orders, each
group's share of the cancellations. No database here (tests/test_change_stats.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

GROUPINGS = ("Month", "Customer", "Item Group", "Cancellation Reason", "Stage")
CANCELLED_ONLY = ("Cancellation Reason", "Stage")
IN_REVIEW, APPROVED = "In Review", "After Approval"
NONE = "(none)"


@dataclass(frozen=True)
class OrderFact:
	name: str
	order_date: date
	customer: str
	item_groups: tuple[str, ...] = ()
	cancelled: bool = False
	category: str = ""
	stage: str = ""
	"""Where a cancelled order was: In Review (no Sales Order yet) or After Approval."""
	applied_changes: int = 0


def keys(fact: OrderFact, group_by: str) -> tuple[str, ...]:
	if group_by == "Month":
		return (fact.order_date.strftime("%Y-%m"),)
	if group_by == "Customer":
		return (fact.customer,)
	if group_by == "Item Group":
		return tuple(sorted(set(fact.item_groups))) or (NONE,)
	if group_by == "Cancellation Reason":
		return (fact.category or NONE,)
	if group_by == "Stage":
		return (fact.stage or NONE,)
	raise ValueError(group_by)


def rate(part: float, whole: float) -> float:
	return round(100.0 * part / whole, 2) if whole else 0.0


def rows(facts: Iterable[OrderFact], group_by: str) -> list[dict]:
	"""One row per group, in key order (months ascending); the largest groups first for the other views."""
	facts = [fact for fact in facts if fact.cancelled or group_by not in CANCELLED_ONLY]
	groups: dict[str, list[OrderFact]] = {}
	for fact in facts:
		for key in keys(fact, group_by):
			groups.setdefault(key, []).append(fact)
	total_cancelled = sum(1 for fact in facts if fact.cancelled)
	result = []
	for key, members in groups.items():
		orders = len(members)
		cancelled = sum(1 for fact in members if fact.cancelled)
		changed = sum(1 for fact in members if fact.applied_changes)
		result.append(
			{
				"group": key,
				"orders": orders,
				"cancelled": cancelled,
				"cancel_rate": rate(cancelled, orders),
				"share_of_cancellations": rate(cancelled, total_cancelled),
				"changed": changed,
				"change_rate": rate(changed, orders),
				"change_requests": sum(fact.applied_changes for fact in members),
			}
		)
	if group_by == "Month":
		return sorted(result, key=lambda row: row["group"])
	return sorted(result, key=lambda row: (-row["cancelled"], -row["orders"], row["group"]))
