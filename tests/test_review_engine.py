"""The automatic review decision (order_mgmt/review/engine.py): facts and thresholds in, decision out."""

import pytest

from order_mgmt.review.engine import (
	Decision,
	HoldReason,
	LineFacts,
	OrderFacts,
	Rule,
	Thresholds,
	decide,
)


def line(idx=1, item_code="ITEM-A", stock_qty=1.0, **overrides) -> LineFacts:
	"""A line that passes every check unless overridden: plenty of stock, no discount, no known cost."""
	values = {"projected_qty": 100.0, "net_rate_per_stock_uom": 10.0}
	values.update(overrides)
	return LineFacts(idx=idx, item_code=item_code, stock_qty=stock_qty, **values)


def order(*lines, grand_total=100.0, **overrides) -> OrderFacts:
	"""An order from an established, unflagged customer with no credit limit set."""
	return OrderFacts(grand_total=grand_total, lines=tuple(lines) or (line(),), **overrides)


def only_reason(decision: Decision, rule: Rule) -> HoldReason:
	assert decision.rules == [rule]
	return decision.reasons[0]


# Auto-approve


def test_clean_order_is_auto_approved():
	decision = decide(order(line(1), line(2, "ITEM-B")), Thresholds())
	assert decision.auto_approve is True
	assert decision.reasons == ()
	assert decision.rules == []


def test_order_with_a_hold_reason_is_not_auto_approved():
	decision = decide(order(has_prior_invoice=False), Thresholds())
	assert decision.auto_approve is False


# Credit limit


def test_order_over_credit_limit_is_held_with_exposure_and_limit():
	facts = order(grand_total=400.0, credit_limit=1000.0, outstanding=500.0, open_orders=200.0)
	reason = only_reason(decide(facts, Thresholds()), Rule.CREDIT_LIMIT)
	assert reason.measured == 1100.0
	assert reason.threshold == 1000.0
	assert reason.args == (1100.0, 500.0, 200.0, 400.0, 1000.0)
	assert reason.line_idx is None


@pytest.mark.parametrize(
	("outstanding", "open_orders", "grand_total"),
	[(901.0, 0.0, 100.0), (0.0, 901.0, 100.0), (0.0, 0.0, 1000.01)],
	ids=["outstanding", "open-orders", "this-order"],
)
def test_each_part_of_the_credit_exposure_counts_towards_the_limit(outstanding, open_orders, grand_total):
	facts = order(
		grand_total=grand_total, credit_limit=1000.0, outstanding=outstanding, open_orders=open_orders
	)
	assert decide(facts, Thresholds()).rules == [Rule.CREDIT_LIMIT]


@pytest.mark.parametrize("grand_total", [300.0, 299.99])
def test_credit_exposure_at_or_below_the_limit_passes(grand_total):
	facts = order(grand_total=grand_total, credit_limit=1000.0, outstanding=500.0, open_orders=200.0)
	assert decide(facts, Thresholds()).auto_approve is True


def test_customer_without_credit_limit_skips_the_credit_check():
	facts = order(grand_total=1e9, credit_limit=0.0, outstanding=1e9, open_orders=1e9)
	assert decide(facts, Thresholds()).auto_approve is True


def test_disabled_credit_check_does_not_hold_an_order_over_the_limit():
	facts = order(grand_total=5000.0, credit_limit=1000.0)
	assert decide(facts, Thresholds(check_credit=False)).auto_approve is True


# Stock


def test_short_line_is_held_with_its_row_index():
	facts = order(line(1, "ITEM-A"), line(3, "ITEM-B", stock_qty=10.0, projected_qty=4.0))
	reason = only_reason(decide(facts, Thresholds()), Rule.STOCK_SHORTAGE)
	assert reason.line_idx == 3
	assert reason.measured == 4.0
	assert reason.threshold == 10.0
	assert reason.args == (3, 4.0, "ITEM-B", 10.0)


def test_line_ordering_exactly_the_projected_quantity_passes():
	facts = order(line(1, stock_qty=7.0, projected_qty=7.0))
	assert decide(facts, Thresholds()).auto_approve is True


def test_line_with_negative_projected_quantity_is_held():
	facts = order(line(1, stock_qty=1.0, projected_qty=-2.0))
	assert decide(facts, Thresholds()).rules == [Rule.STOCK_SHORTAGE]


def test_non_stock_item_is_not_checked_for_stock():
	facts = order(line(1, "SERVICE", stock_qty=50.0, projected_qty=0.0, is_stock_item=False))
	assert decide(facts, Thresholds()).auto_approve is True


def test_two_lines_of_the_same_item_are_summed_against_its_stock():
	facts = order(
		line(1, "ITEM-A", stock_qty=6.0, projected_qty=10.0),
		line(2, "ITEM-A", stock_qty=6.0, projected_qty=10.0),
	)
	reason = only_reason(decide(facts, Thresholds()), Rule.STOCK_SHORTAGE)
	assert reason.line_idx == 2
	assert reason.threshold == 12.0


def test_lines_of_different_items_are_not_summed():
	facts = order(
		line(1, "ITEM-A", stock_qty=6.0, projected_qty=10.0),
		line(2, "ITEM-B", stock_qty=6.0, projected_qty=10.0),
	)
	assert decide(facts, Thresholds()).auto_approve is True


def test_same_item_from_two_warehouses_is_checked_against_each_warehouses_stock():
	# projected_qty is per warehouse (the line's Bin), so demand must be summed per item *and* warehouse,
	# as the engine's own comment says. LineFacts has no warehouse and check_stock sums by item only,
	# so an order drawing 5 from each of two warehouses that hold 5 and 8 is wrongly held.
	facts = order(
		LineFacts(idx=1, item_code="ITEM-A", stock_qty=5.0, projected_qty=5.0, warehouse="Stores - C"),
		LineFacts(
			idx=2, item_code="ITEM-A", stock_qty=5.0, projected_qty=8.0, warehouse="Finished Goods - C"
		),
	)
	assert decide(facts, Thresholds()).auto_approve is True


def test_disabled_stock_check_does_not_hold_a_short_line():
	facts = order(line(1, stock_qty=10.0, projected_qty=0.0))
	assert decide(facts, Thresholds(check_stock=False)).auto_approve is True


# Discount


def test_line_discounted_above_the_threshold_is_held():
	facts = order(line(1), line(2, "ITEM-B", discount_percentage=10.5))
	reason = only_reason(decide(facts, Thresholds(max_discount_without_review=10.0)), Rule.DISCOUNT)
	assert reason.line_idx == 2
	assert reason.measured == 10.5
	assert reason.threshold == 10.0


def test_line_discounted_exactly_at_the_threshold_passes():
	facts = order(line(1, discount_percentage=10.0))
	assert decide(facts, Thresholds(max_discount_without_review=10.0)).auto_approve is True


def test_zero_discount_threshold_disables_the_discount_check():
	facts = order(line(1, discount_percentage=90.0))
	assert decide(facts, Thresholds(max_discount_without_review=0.0)).auto_approve is True


# Below cost


def test_line_sold_below_its_known_valuation_is_held():
	facts = order(line(4, net_rate_per_stock_uom=8.0, valuation_rate=10.0))
	reason = only_reason(decide(facts, Thresholds()), Rule.BELOW_COST)
	assert reason.line_idx == 4
	assert reason.measured == 8.0
	assert reason.threshold == 10.0


def test_line_sold_at_its_valuation_passes():
	facts = order(line(1, net_rate_per_stock_uom=10.0, valuation_rate=10.0))
	assert decide(facts, Thresholds()).auto_approve is True


@pytest.mark.parametrize("valuation_rate", [None, 0.0], ids=["none", "zero"])
def test_line_without_known_valuation_skips_the_margin_check(valuation_rate):
	facts = order(line(1, net_rate_per_stock_uom=0.01, valuation_rate=valuation_rate))
	assert decide(facts, Thresholds()).auto_approve is True


def test_disabled_margin_check_does_not_hold_a_line_below_cost():
	facts = order(line(1, net_rate_per_stock_uom=8.0, valuation_rate=10.0))
	assert decide(facts, Thresholds(check_margin=False)).auto_approve is True


# Order value


def test_order_above_the_value_threshold_is_held():
	facts = order(grand_total=5000.01)
	reason = only_reason(decide(facts, Thresholds(max_order_value_without_review=5000.0)), Rule.ORDER_VALUE)
	assert reason.measured == 5000.01
	assert reason.threshold == 5000.0
	assert reason.line_idx is None


def test_order_exactly_at_the_value_threshold_passes():
	facts = order(grand_total=5000.0)
	assert decide(facts, Thresholds(max_order_value_without_review=5000.0)).auto_approve is True


def test_zero_order_value_threshold_disables_the_order_value_check():
	facts = order(grand_total=1e12)
	assert decide(facts, Thresholds(max_order_value_without_review=0.0)).auto_approve is True


# Customer risk


def test_new_customer_without_prior_invoice_is_held():
	decision = decide(order(has_prior_invoice=False), Thresholds())
	assert decision.rules == [Rule.NEW_CUSTOMER]


def test_disabled_new_customer_check_does_not_hold_a_new_customer():
	decision = decide(order(has_prior_invoice=False), Thresholds(check_new_customer=False))
	assert decision.auto_approve is True


def test_flagged_customer_is_held_on_every_order():
	decision = decide(order(flagged_for_review=True), Thresholds(check_new_customer=False))
	assert decision.rules == [Rule.FLAGGED_CUSTOMER]


# Several reasons


def test_every_reason_is_reported_in_a_stable_rule_order():
	facts = order(
		line(1, "ITEM-A", stock_qty=10.0, projected_qty=1.0, discount_percentage=50.0),
		line(2, "ITEM-B", net_rate_per_stock_uom=1.0, valuation_rate=5.0),
		grand_total=20000.0,
		credit_limit=1000.0,
		has_prior_invoice=False,
		flagged_for_review=True,
	)
	decision = decide(facts, Thresholds(max_order_value_without_review=10000.0))
	assert decision.rules == [
		Rule.CREDIT_LIMIT,
		Rule.STOCK_SHORTAGE,
		Rule.DISCOUNT,
		Rule.BELOW_COST,
		Rule.ORDER_VALUE,
		Rule.NEW_CUSTOMER,
		Rule.FLAGGED_CUSTOMER,
	]
	assert decision.auto_approve is False


def test_each_offending_line_gets_its_own_reason():
	facts = order(
		line(1, "ITEM-A", discount_percentage=20.0),
		line(2, "ITEM-B"),
		line(3, "ITEM-C", discount_percentage=30.0),
	)
	decision = decide(facts, Thresholds())
	assert decision.rules == [Rule.DISCOUNT, Rule.DISCOUNT]
	assert [reason.line_idx for reason in decision.reasons] == [1, 3]


# Messages and codes


def test_hold_reason_message_formats_its_template_with_its_args():
	reason = HoldReason(Rule.DISCOUNT, 12.5, 10.0, "Row {0}: {1}% on {2}", (3, 12.5, "ITEM-A"), 3)
	assert reason.message == "Row 3: 12.5% on ITEM-A"


def test_hold_reason_without_args_shows_its_template():
	reason = HoldReason(Rule.NEW_CUSTOMER, 0, 1, "New customer: no submitted Sales Invoice yet")
	assert reason.message == "New customer: no submitted Sales Invoice yet"


def test_credit_hold_message_names_every_part_of_the_exposure():
	facts = order(grand_total=400.0, credit_limit=1000.0, outstanding=500.0, open_orders=200.0)
	reason = decide(facts, Thresholds()).reasons[0]
	assert reason.message == (
		"Credit exposure 1100.0 (outstanding 500.0 + open orders 200.0 + this order 400.0)"
		" exceeds the credit limit 1000.0"
	)


def test_stock_hold_message_names_row_item_and_quantities():
	facts = order(line(2, "ITEM-B", stock_qty=10.0, projected_qty=4.0))
	reason = decide(facts, Thresholds()).reasons[0]
	assert reason.message == "Row 2: projected quantity 4.0 of ITEM-B is below the 10.0 ordered"


def test_hold_reason_values_are_rounded_for_display():
	facts = order(line(1, discount_percentage=12.3456))
	reason = decide(facts, Thresholds()).reasons[0]
	assert reason.message == "Row 1: discount 12.35% on ITEM-A is above the 10.0% allowed without review"


@pytest.mark.parametrize(
	("rule", "code"),
	[
		(Rule.CREDIT_LIMIT, "Credit Limit"),
		(Rule.STOCK_SHORTAGE, "Stock Shortage"),
		(Rule.DISCOUNT, "Discount"),
		(Rule.BELOW_COST, "Below Cost"),
		(Rule.ORDER_VALUE, "Order Value"),
		(Rule.NEW_CUSTOMER, "New Customer"),
		(Rule.FLAGGED_CUSTOMER, "Flagged Customer"),
	],
)
def test_rule_codes_stored_on_hold_reasons_stay_stable(rule, code):
	assert rule.value == code
	assert rule == code
