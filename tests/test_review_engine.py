"""The automatic review decision (order_mgmt/review/engine.py): facts, rules and stages in; reasons and route out."""

import json
from pathlib import Path

import pytest

from order_mgmt.review.engine import (
	Condition,
	Decision,
	HoldReason,
	LineFacts,
	OrderFacts,
	ReviewRule,
	Stage,
	decide,
	evaluate,
	next_stages,
)

RULE_DOCTYPE = (
	Path(__file__).resolve().parent.parent
	/ "order_mgmt"
	/ "order_mgmt"
	/ "doctype"
	/ "order_review_rule"
	/ "order_review_rule.json"
)

SALES = "Sales Manager"
CREDIT = "Credit Control"
FINANCE = "Finance Director"
STAGES = (Stage(SALES, 10), Stage(CREDIT, 20), Stage(FINANCE, 30))


def line(idx=1, item_code="ITEM-A", stock_qty=1.0, **overrides) -> LineFacts:
	"""A line that passes every check unless overridden: plenty of stock, no discount, no known cost."""
	values = {"projected_qty": 100.0, "net_rate_per_stock_uom": 10.0}
	values.update(overrides)
	return LineFacts(idx=idx, item_code=item_code, stock_qty=stock_qty, **values)


def order(*lines, grand_total=100.0, **overrides) -> OrderFacts:
	"""A Standard Desk order without payment terms, from an established, unflagged customer with no credit limit."""
	return OrderFacts(grand_total=grand_total, lines=tuple(lines) or (line(),), **overrides)


def rule(condition, stage=SALES, threshold=0.0, match_value="", name=None) -> ReviewRule:
	return ReviewRule(name or f"{condition.value} rule", condition, stage, threshold, match_value)


def review(facts, *rules, stages=STAGES, must_pass=()) -> Decision:
	return decide(facts, rules, stages, must_pass)


def only_reason(decision: Decision, condition: Condition) -> HoldReason:
	assert [reason.condition for reason in decision.reasons] == [condition]
	return decision.reasons[0]


# One rule per condition, with facts that just trigger it and facts that just miss it.
BOUNDARIES = {
	Condition.GRAND_TOTAL_AT_LEAST: (
		rule(Condition.GRAND_TOTAL_AT_LEAST, threshold=5000.0),
		order(grand_total=5000.0),
		order(grand_total=4999.99),
	),
	Condition.DISCOUNT_AT_LEAST: (
		rule(Condition.DISCOUNT_AT_LEAST, threshold=10.0),
		order(line(discount_percentage=10.0)),
		order(line(discount_percentage=9.99)),
	),
	Condition.CREDIT_OVER_LIMIT: (
		rule(Condition.CREDIT_OVER_LIMIT),
		order(grand_total=300.01, credit_limit=1000.0, outstanding=500.0, open_orders=200.0),
		order(grand_total=300.0, credit_limit=1000.0, outstanding=500.0, open_orders=200.0),
	),
	Condition.STOCK_SHORT: (
		rule(Condition.STOCK_SHORT),
		order(line(stock_qty=7.01, projected_qty=7.0)),
		order(line(stock_qty=7.0, projected_qty=7.0)),
	),
	Condition.BELOW_COST: (
		rule(Condition.BELOW_COST),
		order(line(net_rate_per_stock_uom=9.99, valuation_rate=10.0)),
		order(line(net_rate_per_stock_uom=10.0, valuation_rate=10.0)),
	),
	Condition.NEW_CUSTOMER: (
		rule(Condition.NEW_CUSTOMER),
		order(has_prior_invoice=False),
		order(has_prior_invoice=True),
	),
	Condition.FLAGGED_CUSTOMER: (
		rule(Condition.FLAGGED_CUSTOMER),
		order(flagged_for_review=True),
		order(flagged_for_review=False),
	),
	Condition.ORDER_TYPE_IS: (
		rule(Condition.ORDER_TYPE_IS, match_value="Sample"),
		order(order_type="Sample"),
		order(order_type="Standard"),
	),
	Condition.CHANNEL_IS: (
		rule(Condition.CHANNEL_IS, match_value="Web"),
		order(channel="Web"),
		order(channel="Desk"),
	),
	Condition.PAYMENT_TERMS_IS: (
		rule(Condition.PAYMENT_TERMS_IS, match_value="Net 90"),
		order(payment_terms="Net 90"),
		order(payment_terms="Net 30"),
	),
}
EVERY_CONDITION = pytest.mark.parametrize("condition", list(Condition), ids=[c.name for c in Condition])


# Every condition, at its boundary


def test_every_condition_has_a_boundary_case():
	assert set(BOUNDARIES) == set(Condition)


@EVERY_CONDITION
def test_condition_holds_the_order_at_its_boundary(condition):
	review_rule, triggering, _ = BOUNDARIES[condition]
	decision = review(triggering, review_rule)
	only_reason(decision, condition)
	assert decision.auto_approve is False


@EVERY_CONDITION
def test_condition_passes_the_order_just_short_of_its_boundary(condition):
	review_rule, _, passing = BOUNDARIES[condition]
	decision = review(passing, review_rule)
	assert decision.reasons == ()
	assert decision.auto_approve is True


@EVERY_CONDITION
def test_condition_holds_nothing_without_a_rule_for_it(condition):
	_, triggering, _ = BOUNDARIES[condition]
	assert review(triggering).auto_approve is True


@EVERY_CONDITION
def test_reason_carries_the_rule_name_and_the_rules_stage(condition):
	review_rule, triggering, _ = BOUNDARIES[condition]
	named = ReviewRule("RULE-0042", condition, FINANCE, review_rule.threshold, review_rule.match_value)
	reason = only_reason(review(triggering, named), condition)
	assert reason.rule == "RULE-0042"
	assert reason.stage == FINANCE
	assert review(triggering, named).rules == ["RULE-0042"]


@EVERY_CONDITION
def test_evaluate_checks_one_rule_whatever_stages_exist(condition):
	review_rule, triggering, passing = BOUNDARIES[condition]
	unknown_stage = ReviewRule("R", condition, "Nowhere", review_rule.threshold, review_rule.match_value)
	assert [reason.stage for reason in evaluate(unknown_stage, triggering)] == ["Nowhere"]
	assert evaluate(unknown_stage, passing) == []


def test_clean_order_is_auto_approved_by_every_rule():
	rules = [review_rule for review_rule, _, _ in BOUNDARIES.values()]
	decision = review(order(line(1), line(2, "ITEM-B"), credit_limit=1000.0), *rules)
	assert decision.auto_approve is True
	assert decision.reasons == ()
	assert decision.route == ()
	assert decision.rules == []


def test_order_without_rules_is_auto_approved():
	decision = review(order(has_prior_invoice=False, flagged_for_review=True))
	assert decision == Decision()
	assert decision.auto_approve is True


# Grand total


def test_grand_total_hold_reports_the_total_and_threshold():
	reason = only_reason(
		review(order(grand_total=5000.004), rule(Condition.GRAND_TOTAL_AT_LEAST, threshold=5000.0)),
		Condition.GRAND_TOTAL_AT_LEAST,
	)
	assert reason.measured == 5000.0
	assert reason.threshold == 5000.0
	assert reason.line_idx is None
	assert reason.message == "Grand total 5000.0 is at least 5000.0, which needs review"


@pytest.mark.parametrize("threshold", [0.0, -1.0], ids=["zero", "negative"])
def test_grand_total_threshold_not_above_zero_disables_the_rule(threshold):
	decision = review(order(grand_total=1e12), rule(Condition.GRAND_TOTAL_AT_LEAST, threshold=threshold))
	assert decision.auto_approve is True


# Discount


def test_discount_hold_reports_the_offending_line():
	facts = order(line(1), line(2, "ITEM-B", discount_percentage=10.5))
	reason = only_reason(
		review(facts, rule(Condition.DISCOUNT_AT_LEAST, threshold=10.0)), Condition.DISCOUNT_AT_LEAST
	)
	assert reason.line_idx == 2
	assert reason.measured == 10.5
	assert reason.threshold == 10.0
	assert reason.args == (2, 10.5, "ITEM-B", 10.0)


@pytest.mark.parametrize("threshold", [0.0, -5.0], ids=["zero", "negative"])
def test_discount_threshold_not_above_zero_disables_the_rule(threshold):
	facts = order(line(1, discount_percentage=90.0))
	assert review(facts, rule(Condition.DISCOUNT_AT_LEAST, threshold=threshold)).auto_approve is True


def test_each_discounted_line_gets_its_own_reason():
	facts = order(
		line(1, "ITEM-A", discount_percentage=20.0),
		line(2, "ITEM-B"),
		line(3, "ITEM-C", discount_percentage=30.0),
	)
	decision = review(facts, rule(Condition.DISCOUNT_AT_LEAST, threshold=10.0))
	assert [reason.line_idx for reason in decision.reasons] == [1, 3]
	assert decision.route == (SALES,)


def test_discount_message_rounds_the_discount():
	facts = order(line(1, discount_percentage=12.3456))
	reason = review(facts, rule(Condition.DISCOUNT_AT_LEAST, threshold=10.0)).reasons[0]
	assert reason.message == "Row 1: discount 12.35% on ITEM-A is at least the 10.0% that needs review"


# Credit limit


def test_credit_hold_reports_exposure_and_limit():
	facts = order(grand_total=400.0, credit_limit=1000.0, outstanding=500.0, open_orders=200.0)
	reason = only_reason(review(facts, rule(Condition.CREDIT_OVER_LIMIT)), Condition.CREDIT_OVER_LIMIT)
	assert reason.measured == 1100.0
	assert reason.threshold == 1000.0
	assert reason.args == (1100.0, 500.0, 200.0, 400.0, 1000.0)
	assert reason.line_idx is None
	assert reason.message == (
		"Credit exposure 1100.0 (outstanding 500.0 + open orders 200.0 + this order 400.0)"
		" exceeds the credit limit 1000.0"
	)


@pytest.mark.parametrize(
	("outstanding", "open_orders", "grand_total"),
	[(901.0, 0.0, 100.0), (0.0, 901.0, 100.0), (0.0, 0.0, 1000.01)],
	ids=["outstanding", "open-orders", "this-order"],
)
def test_each_part_of_the_credit_exposure_counts_towards_the_limit(outstanding, open_orders, grand_total):
	facts = order(
		grand_total=grand_total, credit_limit=1000.0, outstanding=outstanding, open_orders=open_orders
	)
	assert review(facts, rule(Condition.CREDIT_OVER_LIMIT)).rules == ["Credit Over Limit rule"]


def test_customer_without_credit_limit_skips_the_credit_rule():
	facts = order(grand_total=1e9, credit_limit=0.0, outstanding=1e9, open_orders=1e9)
	assert review(facts, rule(Condition.CREDIT_OVER_LIMIT)).auto_approve is True


def test_credit_rule_ignores_its_threshold_and_uses_the_customers_limit():
	facts = order(grand_total=500.0, credit_limit=1000.0)
	assert review(facts, rule(Condition.CREDIT_OVER_LIMIT, threshold=100.0)).auto_approve is True


# Stock


def test_short_line_is_held_with_its_row_index():
	facts = order(line(1, "ITEM-A"), line(3, "ITEM-B", stock_qty=10.0, projected_qty=4.0))
	reason = only_reason(review(facts, rule(Condition.STOCK_SHORT)), Condition.STOCK_SHORT)
	assert reason.line_idx == 3
	assert reason.measured == 4.0
	assert reason.threshold == 10.0
	assert reason.args == (3, 4.0, "ITEM-B", 10.0)
	assert reason.message == "Row 3: projected quantity 4.0 of ITEM-B is below the 10.0 ordered"


def test_line_with_negative_projected_quantity_is_held():
	facts = order(line(1, stock_qty=1.0, projected_qty=-2.0))
	only_reason(review(facts, rule(Condition.STOCK_SHORT)), Condition.STOCK_SHORT)


def test_non_stock_item_is_not_checked_for_stock():
	facts = order(line(1, "SERVICE", stock_qty=50.0, projected_qty=0.0, is_stock_item=False))
	assert review(facts, rule(Condition.STOCK_SHORT)).auto_approve is True


def test_two_lines_of_the_same_item_and_warehouse_are_summed_against_its_stock():
	facts = order(
		line(1, "ITEM-A", stock_qty=6.0, projected_qty=10.0, warehouse="Stores - C"),
		line(2, "ITEM-A", stock_qty=6.0, projected_qty=10.0, warehouse="Stores - C"),
	)
	reason = only_reason(review(facts, rule(Condition.STOCK_SHORT)), Condition.STOCK_SHORT)
	assert reason.line_idx == 2
	assert reason.threshold == 12.0


@pytest.mark.parametrize(
	("second_item", "second_warehouse"),
	[("ITEM-B", "Stores - C"), ("ITEM-A", "Finished Goods - C")],
	ids=["other-item", "other-warehouse"],
)
def test_lines_drawing_on_different_stock_are_not_summed(second_item, second_warehouse):
	facts = order(
		line(1, "ITEM-A", stock_qty=6.0, projected_qty=10.0, warehouse="Stores - C"),
		line(2, second_item, stock_qty=6.0, projected_qty=10.0, warehouse=second_warehouse),
	)
	assert review(facts, rule(Condition.STOCK_SHORT)).auto_approve is True


def test_same_item_from_two_warehouses_is_checked_against_each_warehouses_stock():
	facts = order(
		line(1, "ITEM-A", stock_qty=5.0, projected_qty=5.0, warehouse="Stores - C"),
		line(2, "ITEM-A", stock_qty=9.0, projected_qty=8.0, warehouse="Finished Goods - C"),
	)
	reason = only_reason(review(facts, rule(Condition.STOCK_SHORT)), Condition.STOCK_SHORT)
	assert reason.line_idx == 2
	assert reason.threshold == 9.0


# Below cost


def test_line_sold_below_its_known_valuation_is_held():
	facts = order(line(4, net_rate_per_stock_uom=8.0, valuation_rate=10.0))
	reason = only_reason(review(facts, rule(Condition.BELOW_COST)), Condition.BELOW_COST)
	assert reason.line_idx == 4
	assert reason.measured == 8.0
	assert reason.threshold == 10.0
	assert reason.message == "Row 4: net rate 8.0 of ITEM-A is below its valuation rate 10.0"


@pytest.mark.parametrize("valuation_rate", [None, 0.0], ids=["none", "zero"])
def test_line_without_known_valuation_skips_the_below_cost_rule(valuation_rate):
	facts = order(line(1, net_rate_per_stock_uom=0.01, valuation_rate=valuation_rate))
	assert review(facts, rule(Condition.BELOW_COST)).auto_approve is True


# Customer risk


def test_new_customer_reason_explains_itself():
	reason = only_reason(
		review(order(has_prior_invoice=False), rule(Condition.NEW_CUSTOMER)), Condition.NEW_CUSTOMER
	)
	assert reason.message == "New customer: no submitted Sales Invoice yet"


def test_flagged_customer_is_held_even_when_established():
	facts = order(flagged_for_review=True, has_prior_invoice=True)
	decision = review(facts, rule(Condition.NEW_CUSTOMER), rule(Condition.FLAGGED_CUSTOMER))
	reason = only_reason(decision, Condition.FLAGGED_CUSTOMER)
	assert reason.message == "The customer is flagged for review of every order"


# Order type, channel and payment terms


@pytest.mark.parametrize(
	("condition", "facts", "message"),
	[
		(Condition.ORDER_TYPE_IS, order(order_type="Sample"), "Order type is Sample"),
		(Condition.CHANNEL_IS, order(channel="Sample"), "Order came through channel Sample"),
		(Condition.PAYMENT_TERMS_IS, order(payment_terms="Sample"), "Payment terms are Sample"),
	],
	ids=["order-type", "channel", "payment-terms"],
)
def test_matching_value_is_reported(condition, facts, message):
	reason = only_reason(review(facts, rule(condition, match_value="Sample")), condition)
	assert reason.measured == "Sample"
	assert reason.threshold == "Sample"
	assert reason.line_idx is None
	assert reason.message == message


@pytest.mark.parametrize(
	"condition",
	[Condition.ORDER_TYPE_IS, Condition.CHANNEL_IS, Condition.PAYMENT_TERMS_IS],
	ids=["order-type", "channel", "payment-terms"],
)
def test_empty_match_value_never_matches_even_an_empty_value(condition):
	facts = order(order_type="", channel="", payment_terms="")
	assert review(facts, rule(condition, match_value="")).auto_approve is True


# Several reasons


def test_every_reason_is_reported_in_rule_order():
	facts = order(
		line(1, "ITEM-A", stock_qty=10.0, projected_qty=1.0, discount_percentage=50.0),
		line(2, "ITEM-B", net_rate_per_stock_uom=1.0, valuation_rate=5.0),
		grand_total=20000.0,
		credit_limit=1000.0,
		has_prior_invoice=False,
		flagged_for_review=True,
		order_type="Sample",
		channel="Web",
		payment_terms="Net 90",
	)
	rules = [review_rule for review_rule, _, _ in BOUNDARIES.values()][::-1]
	decision = review(facts, *rules)
	assert decision.rules == [review_rule.name for review_rule in rules]
	assert decision.route == (SALES,)


# Routing


def test_route_follows_stage_sequence_regardless_of_rule_order():
	facts = order(has_prior_invoice=False, flagged_for_review=True, grand_total=9000.0)
	decision = review(
		facts,
		rule(Condition.FLAGGED_CUSTOMER, stage=FINANCE),
		rule(Condition.NEW_CUSTOMER, stage=CREDIT),
		rule(Condition.GRAND_TOTAL_AT_LEAST, stage=SALES, threshold=5000.0),
	)
	assert decision.route == (SALES, CREDIT, FINANCE)
	assert [reason.stage for reason in decision.reasons] == [FINANCE, CREDIT, SALES]


def test_route_follows_stage_sequence_regardless_of_stage_listing_order():
	facts = order(has_prior_invoice=False, flagged_for_review=True)
	decision = review(
		facts,
		rule(Condition.NEW_CUSTOMER, stage=SALES),
		rule(Condition.FLAGGED_CUSTOMER, stage=FINANCE),
		stages=(Stage(FINANCE, 30), Stage(SALES, 10)),
	)
	assert decision.route == (SALES, FINANCE)


def test_stages_with_the_same_sequence_keep_their_listing_order():
	facts = order(has_prior_invoice=False, flagged_for_review=True)
	rules = (rule(Condition.NEW_CUSTOMER, stage=SALES), rule(Condition.FLAGGED_CUSTOMER, stage=CREDIT))
	assert review(facts, *rules, stages=(Stage(CREDIT, 5), Stage(SALES, 5))).route == (CREDIT, SALES)
	assert review(facts, *rules, stages=(Stage(SALES, 5), Stage(CREDIT, 5))).route == (SALES, CREDIT)


def test_two_rules_to_the_same_stage_route_through_it_once():
	facts = order(has_prior_invoice=False, flagged_for_review=True)
	decision = review(
		facts, rule(Condition.NEW_CUSTOMER, stage=CREDIT), rule(Condition.FLAGGED_CUSTOMER, stage=CREDIT)
	)
	assert decision.route == (CREDIT,)
	assert decision.rules == ["New Customer rule", "Flagged Customer rule"]


def test_rule_that_does_not_trigger_adds_no_stage():
	facts = order(has_prior_invoice=False)
	decision = review(
		facts, rule(Condition.NEW_CUSTOMER, stage=SALES), rule(Condition.FLAGGED_CUSTOMER, stage=FINANCE)
	)
	assert decision.route == (SALES,)


def test_rule_for_an_unknown_stage_is_ignored():
	facts = order(has_prior_invoice=False, flagged_for_review=True)
	decision = review(
		facts, rule(Condition.NEW_CUSTOMER, stage="Disabled Stage"), rule(Condition.FLAGGED_CUSTOMER)
	)
	assert decision.rules == ["Flagged Customer rule"]
	assert decision.route == (SALES,)


def test_order_held_only_by_rules_for_unknown_stages_is_auto_approved():
	decision = review(order(has_prior_invoice=False), rule(Condition.NEW_CUSTOMER, stage="Disabled Stage"))
	assert decision.reasons == ()
	assert decision.auto_approve is True


def test_no_stages_means_no_rule_applies():
	decision = review(order(has_prior_invoice=False), rule(Condition.NEW_CUSTOMER), stages=())
	assert decision.auto_approve is True


def test_must_pass_stages_join_the_route_in_sequence():
	decision = review(
		order(has_prior_invoice=False), rule(Condition.NEW_CUSTOMER, stage=CREDIT), must_pass=[FINANCE, SALES]
	)
	assert decision.route == (SALES, CREDIT, FINANCE)
	assert decision.rules == ["New Customer rule"]


def test_must_pass_stage_already_on_the_route_appears_once():
	decision = review(
		order(has_prior_invoice=False), rule(Condition.NEW_CUSTOMER, stage=CREDIT), must_pass=[CREDIT, CREDIT]
	)
	assert decision.route == (CREDIT,)


def test_must_pass_alone_holds_an_otherwise_clean_order():
	decision = review(order(), must_pass=[CREDIT])
	assert decision.reasons == ()
	assert decision.route == (CREDIT,)
	assert decision.auto_approve is False


def test_must_pass_ignores_unknown_stages():
	assert review(order(), must_pass=["Disabled Stage", FINANCE]).route == (FINANCE,)
	assert review(order(), must_pass=["Disabled Stage"]).auto_approve is True


def test_empty_route_means_auto_approve():
	assert Decision(route=()).auto_approve is True
	assert Decision(route=(SALES,)).auto_approve is False


@pytest.mark.parametrize(
	("decided", "expected"),
	[
		([], (SALES, CREDIT)),
		([SALES], (CREDIT, FINANCE)),
		([SALES, CREDIT], (FINANCE, None)),
		([SALES, CREDIT, FINANCE], (None, None)),
		([FINANCE, SALES, CREDIT], (None, None)),
		([CREDIT], (SALES, FINANCE)),
		([FINANCE, CREDIT], (SALES, None)),
		(["Other Stage"], (SALES, CREDIT)),
	],
	ids=[
		"nothing-decided",
		"first-decided",
		"last-pending",
		"all-decided",
		"all-decided-out-of-order",
		"middle-decided-out-of-order",
		"last-decided-out-of-order",
		"stage-off-the-route",
	],
)
def test_next_stages_are_the_first_two_undecided_on_the_route(decided, expected):
	assert next_stages((SALES, CREDIT, FINANCE), decided) == expected


def test_next_stages_of_an_empty_route_are_none():
	assert next_stages((), []) == (None, None)


def test_next_stages_of_a_single_stage_route():
	assert next_stages((CREDIT,), []) == (CREDIT, None)
	assert next_stages((CREDIT,), [CREDIT]) == (None, None)


# Hold reasons and conditions


def test_hold_reason_message_formats_its_template_with_its_args():
	reason = HoldReason(
		"R", Condition.DISCOUNT_AT_LEAST, SALES, 12.5, 10.0, "Row {0}: {1}% on {2}", (3, 12.5, "ITEM-A"), 3
	)
	assert reason.message == "Row 3: 12.5% on ITEM-A"


def test_hold_reason_without_args_shows_its_template():
	reason = HoldReason(
		"R", Condition.NEW_CUSTOMER, SALES, 0, 1, "New customer: no submitted Sales Invoice yet"
	)
	assert reason.message == "New customer: no submitted Sales Invoice yet"


@pytest.mark.parametrize(
	("condition", "code"),
	[
		(Condition.GRAND_TOTAL_AT_LEAST, "Grand Total At Least"),
		(Condition.DISCOUNT_AT_LEAST, "Discount At Least"),
		(Condition.CREDIT_OVER_LIMIT, "Credit Over Limit"),
		(Condition.STOCK_SHORT, "Stock Short"),
		(Condition.BELOW_COST, "Below Cost"),
		(Condition.NEW_CUSTOMER, "New Customer"),
		(Condition.FLAGGED_CUSTOMER, "Flagged Customer"),
		(Condition.ORDER_TYPE_IS, "Order Type Is"),
		(Condition.CHANNEL_IS, "Channel Is"),
		(Condition.PAYMENT_TERMS_IS, "Payment Terms Is"),
	],
)
def test_condition_codes_stored_on_rules_stay_stable(condition, code):
	assert condition.value == code
	assert condition == code
	assert Condition(code) is condition


def test_conditions_are_the_order_review_rule_condition_options():
	fields = json.loads(RULE_DOCTYPE.read_text())["fields"]
	options = next(field["options"] for field in fields if field["fieldname"] == "condition")
	assert options.split("\n") == [condition.value for condition in Condition]
