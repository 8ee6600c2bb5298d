"""What an order's payment terms require before its goods are picked and before they ship (pure).

The gate is set on ERPNext's Payment Terms Template (custom field `order_payment_gate`):

- Prepaid: nothing is picked or shipped until the order is paid in full;
- Deposit (pre-sale): the deposit percentage before picking, the balance before shipment;
- Cash on Delivery, Credit (net N days), Installments: shipment is not held by payment (the
  invoice's payment schedule, from the same template, says when money is due).
"""

from __future__ import annotations

from dataclasses import dataclass

PREPAID = "Prepaid"
DEPOSIT = "Deposit"
CASH_ON_DELIVERY = "Cash on Delivery"
CREDIT = "Credit"
INSTALLMENTS = "Installments"
GATES = (PREPAID, DEPOSIT, CASH_ON_DELIVERY, CREDIT, INSTALLMENTS)

PICKING = "picking"
SHIPMENT = "shipment"

# Amounts are compared to the cent: a payment of 99.999 on 100.00 is a full payment.
TOLERANCE = 0.005


@dataclass(frozen=True)
class Requirement:
	stage: str
	required: float
	paid: float

	@property
	def missing(self) -> float:
		return max(round(self.required - self.paid, 2), 0.0)

	@property
	def met(self) -> bool:
		return self.paid + TOLERANCE >= self.required


def required_amount(gate: str | None, stage: str, order_total: float, deposit_percentage: float = 0) -> float:
	"""Amount that must be paid before `stage` (PICKING or SHIPMENT)."""
	if stage not in (PICKING, SHIPMENT):
		raise ValueError(f"unknown stage {stage!r}")
	if gate == PREPAID:
		return round(order_total, 2)
	if gate == DEPOSIT:
		if stage == SHIPMENT:
			return round(order_total, 2)
		return round(order_total * min(max(deposit_percentage, 0), 100) / 100, 2)
	return 0.0


def requirement(
	gate: str | None, stage: str, order_total: float, paid: float, deposit_percentage: float = 0
) -> Requirement:
	return Requirement(stage, required_amount(gate, stage, order_total, deposit_percentage), round(paid, 2))


def next_stage(picked: bool) -> str:
	"""The step an order's goods wait for: picking until something of it was picked (or delivered),
	then shipment."""
	return SHIPMENT if picked else PICKING


def hold_requirement(
	gate: str | None, picked: bool, order_total: float, paid: float, deposit_percentage: float = 0
) -> Requirement | None:
	"""What holds the order's goods after a payment was reversed: the requirement of the order's next
	step (`next_stage`) when it is not met; None when the terms hold nothing back or enough is paid
	(the same test releases the hold)."""
	if not holds_shipment(gate):
		return None
	result = requirement(gate, next_stage(picked), order_total, paid, deposit_percentage)
	return None if result.met else result


def holds_shipment(gate: str | None) -> bool:
	"""Whether unpaid money holds the goods back at all (a reversed payment then holds the order)."""
	return gate in (PREPAID, DEPOSIT)


def payment_status(order_total: float, paid: float) -> str:
	if paid + TOLERANCE >= order_total and order_total > 0:
		return "Paid"
	if paid > TOLERANCE:
		return "Partly Paid"
	return "Unpaid"
