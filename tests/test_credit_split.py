"""A return's credit: what settles the order's invoices, what is refunded, what is left as credit."""

import pytest

from order_mgmt.returns.credit_split import CreditSplit, settle_invoices, split_credit

INVOICE = 1000.0


@pytest.mark.parametrize(
	"case, paid, credit, refund, settle, refunded, left",
	[
		# resolution Refund
		("unpaid", 0, 500, True, 500, 0, 0),
		("partly paid, return below the outstanding", 300, 500, True, 500, 0, 0),
		("partly paid, return equal to the outstanding", 500, 500, True, 500, 0, 0),
		("partly paid, return above the outstanding", 600, 500, True, 400, 100, 0),
		("fully paid", 1000, 500, True, 0, 500, 0),
		("fully paid, everything returned", 1000, 1000, True, 0, 1000, 0),
		# Store Credit / Exchange: nothing is paid out, the rest stays as credit
		("unpaid, store credit", 0, 500, False, 500, 0, 0),
		("partly paid above, store credit", 600, 500, False, 400, 0, 100),
		("fully paid, store credit", 1000, 500, False, 0, 0, 500),
	],
)
def test_the_credit_settles_what_is_owed_first(case, paid, credit, refund, settle, refunded, left):
	owed = INVOICE - paid
	result = split_credit(credit, owed, paid, refund)
	assert result == CreditSplit(credit=credit, settle=settle, refund=refunded, left=left), case
	# The customer's balance after the return: what is still owed less what is left as credit.
	assert round(owed - result.settle - result.left, 2) == round(owed - credit + refunded, 2)


def test_never_more_is_refunded_than_was_paid():
	# Paid 100 of an invoice already credited down to 100 elsewhere: a 300 credit refunds 100 at most.
	assert split_credit(300, owed=0, paid=100, refund=True) == CreditSplit(300, 0, 100, 200)
	assert split_credit(300, owed=50, paid=0, refund=True) == CreditSplit(300, 50, 0, 250)


def test_amounts_are_rounded_to_cents_and_negatives_count_as_zero():
	assert split_credit(100.004, owed=33.333, paid=66.666, refund=True) == CreditSplit(
		100.0, 33.33, 66.67, 0.0
	)
	assert split_credit(-5, owed=-1, paid=-1, refund=True) == CreditSplit(0.0, 0.0, 0.0, 0.0)
	assert split_credit(10, owed=0, paid=0, refund=True) == CreditSplit(10.0, 0.0, 0.0, 10.0)


def test_settlement_spreads_over_the_invoices_in_order():
	assert settle_invoices(500, [("A", 400), ("B", 0), ("C", 300)]) == [("A", 400), ("C", 100)]
	assert settle_invoices(200, [("A", 400), ("C", 300)]) == [("A", 200)]
	assert settle_invoices(0, [("A", 400)]) == []
	assert settle_invoices(900, [("A", 400.001), ("B", -10)]) == [("A", 400.0)]
