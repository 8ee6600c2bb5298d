"""Payment terms gate picking and shipment: prepaid in full, deposit then balance, others never."""

import pytest

from order_mgmt.accounting.payment_gate import (
	CASH_ON_DELIVERY,
	CREDIT,
	DEPOSIT,
	INSTALLMENTS,
	PICKING,
	PREPAID,
	SHIPMENT,
	hold_requirement,
	holds_shipment,
	next_stage,
	payment_status,
	required_amount,
	requirement,
)


@pytest.mark.parametrize("stage", [PICKING, SHIPMENT])
def test_prepaid_orders_need_the_full_amount_before_picking_and_shipment(stage):
	assert required_amount(PREPAID, stage, 1130.0) == 1130.0


def test_a_deposit_is_needed_before_picking_and_the_balance_before_shipment():
	assert required_amount(DEPOSIT, PICKING, 1000.0, 30) == 300.0
	assert required_amount(DEPOSIT, SHIPMENT, 1000.0, 30) == 1000.0


@pytest.mark.parametrize("percentage, expected", [(-5, 0.0), (0, 0.0), (33.333, 33.33), (150, 100.0)])
def test_deposit_percentage_is_kept_between_0_and_100_and_rounded_to_cents(percentage, expected):
	assert required_amount(DEPOSIT, PICKING, 100.0, percentage) == expected


@pytest.mark.parametrize("gate", [CASH_ON_DELIVERY, CREDIT, INSTALLMENTS, None, ""])
@pytest.mark.parametrize("stage", [PICKING, SHIPMENT])
def test_other_terms_never_hold_the_goods(gate, stage):
	assert required_amount(gate, stage, 500.0) == 0.0
	assert requirement(gate, stage, 500.0, 0).met
	assert not holds_shipment(gate)


def test_only_prepaid_and_deposit_hold_shipment():
	assert holds_shipment(PREPAID) and holds_shipment(DEPOSIT)


def test_unknown_stage_is_a_programming_error():
	with pytest.raises(ValueError):
		required_amount(PREPAID, "invoicing", 10.0)


@pytest.mark.parametrize(
	"paid, met, missing",
	[(0, False, 100.0), (99.99, False, 0.01), (99.996, True, 0.0), (100, True, 0.0), (150, True, 0.0)],
)
def test_requirement_is_met_to_the_cent(paid, met, missing):
	result = requirement(PREPAID, SHIPMENT, 100.0, paid)
	assert (result.met, result.missing) == (met, missing)


@pytest.mark.parametrize(
	"total, paid, status",
	[
		(100, 0, "Unpaid"),
		(100, 0.001, "Unpaid"),
		(100, 40, "Partly Paid"),
		(100, 100, "Paid"),
		(100, 120, "Paid"),
		(0, 0, "Unpaid"),
	],
)
def test_payment_status(total, paid, status):
	assert payment_status(total, paid) == status


@pytest.mark.parametrize("picked, stage", [(False, PICKING), (True, SHIPMENT)])
def test_the_next_stage_is_picking_until_something_was_picked(picked, stage):
	assert next_stage(picked) == stage


def test_a_hold_on_an_order_not_yet_picked_is_a_hold_before_picking():
	# A reversed payment on a prepaid order nothing of which was picked: the goods wait for picking.
	held = hold_requirement(PREPAID, False, 226.0, 0)
	assert (held.stage, held.required, held.missing) == (PICKING, 226.0, 226.0)
	assert hold_requirement(PREPAID, True, 226.0, 0).stage == SHIPMENT


def test_a_deposit_order_not_yet_picked_is_held_for_its_deposit_only():
	assert hold_requirement(DEPOSIT, False, 1000.0, 100.0, 30).missing == 200.0
	assert hold_requirement(DEPOSIT, False, 1000.0, 300.0, 30) is None  # picking may go ahead
	held = hold_requirement(DEPOSIT, True, 1000.0, 300.0, 30)
	assert (held.stage, held.missing) == (SHIPMENT, 700.0)


@pytest.mark.parametrize("gate", [CASH_ON_DELIVERY, CREDIT, INSTALLMENTS, None])
def test_terms_that_hold_nothing_back_never_hold_an_order(gate):
	assert hold_requirement(gate, False, 100.0, 0) is None
	assert hold_requirement(gate, True, 100.0, 0) is None
