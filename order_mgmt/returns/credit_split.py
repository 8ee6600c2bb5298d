"""How a return's credit is split (pure: no Frappe, unit-tested in tests/test_credit_split.py).

A credit note first settles what the customer still owes on the order's invoices; only what is left
may be paid back (resolution Refund), and never more than the customer has paid (net of earlier
refunds). What is neither settled nor refunded stays with the customer as credit (Store Credit,
Exchange — or a refund capped at what was paid).

Example: invoice 1,000, paid 600, goods worth 500 returned for a refund: 400 settles the invoice,
100 is refunded, nothing is left — the customer owes nothing and is owed nothing.

The Frappe side (returns/settlement.py) reads the figures from ERPNext, lets the credit note reduce
its invoice (or reconciles it with ERPNext's Payment Reconciliation) by `settle`, pays `refund` with
a refund Payment Entry, and leaves `left` on the credit note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PRECISION = 2


def _money(value: float) -> float:
	return round(max(float(value or 0), 0.0), PRECISION)


@dataclass(frozen=True)
class CreditSplit:
	credit: float
	"""The credit note's amount (positive)."""
	settle: float
	"""Applied to what is owed on the order's invoices."""
	refund: float
	"""Paid back to the customer."""
	left: float
	"""Stays with the customer as credit (an unallocated credit note)."""


def split_credit(credit: float, owed: float, paid: float, refund: bool) -> CreditSplit:
	"""Split `credit` into what settles `owed`, what is refunded (only when `refund`, at most `paid`)
	and what is left. Negative inputs count as zero; amounts are rounded to cents."""
	credit, owed, paid = _money(credit), _money(owed), _money(paid)
	settle = min(credit, owed)
	rest = round(credit - settle, PRECISION)
	refunded = min(rest, paid) if refund else 0.0
	return CreditSplit(credit=credit, settle=settle, refund=refunded, left=round(rest - refunded, PRECISION))


def settle_invoices(amount: float, outstanding: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
	"""Spread `amount` over invoices (name, outstanding) in the order given, each up to what it owes;
	invoices that owe nothing, and zero allocations, are left out."""
	left, allocations = _money(amount), []
	for name, owed in outstanding:
		if left <= 0:
			break
		part = min(left, _money(owed))
		if part > 0:
			allocations.append((name, part))
			left = round(left - part, PRECISION)
	return allocations
