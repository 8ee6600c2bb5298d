"""The order in which a batch of orders is picked (pure; unit-tested in tests/test_pick_priority.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PRIORITY_RANK = {"Urgent": 0, "High": 1, "Normal": 2}


def pick_sequence(orders: Iterable[Mapping]) -> list[Mapping]:
	"""Urgent before High before Normal (VIP customers' orders default to High), then the earlier
	requested delivery date, then the older order."""
	return sorted(
		orders,
		key=lambda order: (
			PRIORITY_RANK.get(order.get("priority") or "Normal", len(PRIORITY_RANK)),
			str(order.get("delivery_date") or ""),
			str(order.get("order_date") or ""),
			order.get("name") or "",
		),
	)
