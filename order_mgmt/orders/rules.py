"""Order-line arithmetic and guards that need no database (unit-tested in tests/test_order_rules.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

RATE_PRECISION = 9
"""Enough for rate arithmetic; ERPNext rounds to its own currency precision when it computes totals."""


@dataclass(frozen=True)
class PricedLine:
	rate: float
	discount_percentage: float


def resolve_rate_and_discount(
	price_list_rate: float, rate: float | None, discount_percentage: float | None
) -> PricedLine:
	"""One of rate or discount drives the other, against the price-list rate.

	A discount given explicitly wins (as on ERPNext's own forms); otherwise a rate given
	explicitly sets the discount it implies; with neither, the price-list rate applies.
	"""
	price_list_rate = float(price_list_rate or 0)
	if discount_percentage:
		if price_list_rate:
			return PricedLine(
				round(price_list_rate * (1 - discount_percentage / 100.0), RATE_PRECISION),
				float(discount_percentage),
			)
		return PricedLine(float(rate or 0), float(discount_percentage))
	if rate is None or rate == 0 and price_list_rate:
		return PricedLine(price_list_rate, 0.0)
	if price_list_rate and rate < price_list_rate:
		return PricedLine(float(rate), round((1 - rate / price_list_rate) * 100.0, 6))
	return PricedLine(float(rate), 0.0)


def minimum_rate(price_list_rate: float, max_discount_percentage: float) -> float:
	"""The lowest rate allowed without raising the maximum discount."""
	return round(float(price_list_rate or 0) * (1 - float(max_discount_percentage or 0) / 100.0), 6)


def is_below_minimum_rate(rate: float, price_list_rate: float, max_discount_percentage: float) -> bool:
	if not price_list_rate:
		return False
	# Tolerate float noise from percentage round-trips.
	return rate + 1e-6 < minimum_rate(price_list_rate, max_discount_percentage)


def is_whole_number(qty: float) -> bool:
	return abs(qty - round(qty)) < 1e-9


def duplicate_key(
	customer: str, po_reference: str | None, order_date: str, lines: Iterable[tuple[str, float, str, float]]
) -> str:
	"""A fingerprint of what makes two orders the same order.

	With a customer PO reference, the reference identifies the order; without one, the same
	lines on the same day are taken as a duplicate entry. Lines are (item, qty, uom, rate),
	compared regardless of their order.
	"""
	normalised = sorted(
		f"{item}|{round(float(qty), 6)}|{uom}|{round(float(rate), 6)}" for item, qty, uom, rate in lines
	)
	scope = f"po:{po_reference.strip()}" if po_reference and po_reference.strip() else f"date:{order_date}"
	payload = "\n".join([customer, scope, *normalised])
	return hashlib.sha256(payload.encode()).hexdigest()[:32]
