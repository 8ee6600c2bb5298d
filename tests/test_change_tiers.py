"""Tiers of a change to an approved order (order_mgmt/orders/change_tiers.py): facts in; tier, route, reasons
and problems out."""

from order_mgmt.orders.change_tiers import (
	Action,
	ChangeFacts,
	ChangeStages,
	LineChange,
	Tier,
	decide_change,
	next_stage,
)
from order_mgmt.review.engine import Condition, ReviewRule, Stage


def line(**values) -> LineChange:
	defaults = {
		"idx": 1,
		"item_code": "ITEM",
		"action": Action.CHANGE,
		"qty_before": 10,
		"qty_after": 12,
		"rate_before": 100,
		"rate_after": 100,
		"free_stock_qty": 50,
		"net_rate_per_stock_uom": 100,
		"valuation_rate": 50,
	}
	return LineChange(**{**defaults, **values})


def facts(*lines, **values) -> ChangeFacts:
	return ChangeFacts(lines=tuple(lines), total_before=1000, total_after=1200, **values)


def test_quantity_up_within_free_stock_at_unchanged_price_is_minor_and_applied_at_once():
	decision = decide_change(facts(line()))
	assert (decision.tier, decision.route, decision.reasons, decision.problems) == (Tier.MINOR, (), (), ())
	assert decision.apply_at_once


def test_address_only_and_date_that_stock_meets_are_minor():
	kept = line(action=Action.KEEP, qty_after=10)
	assert decide_change(facts(kept, address_changed=True)).tier == Tier.MINOR
	decision = decide_change(facts(kept, delivery_date_changed=True, delivery_date_met=True))
	assert decision.apply_at_once


def test_quantity_down_and_line_removed_are_minor():
	decision = decide_change(
		facts(line(qty_after=4), line(idx=2, item_code="B", action=Action.REMOVE, qty_after=0))
	)
	assert decision.tier == Tier.MINOR
	assert decision.apply_at_once


def test_quantity_up_beyond_free_stock_goes_to_warehouse_with_the_shortage():
	decision = decide_change(facts(line(qty_after=30, free_stock_qty=5)))
	assert (decision.tier, decision.route) == (Tier.DELIVERY, ("Warehouse",))
	(reason,) = decision.reasons
	assert reason.code == "stock_short"
	assert reason.message == "Row 1: 20 more of ITEM is needed and only 5 can be reserved now"


def test_unmet_delivery_date_goes_to_warehouse():
	kept = line(action=Action.KEEP, qty_after=10)
	decision = decide_change(facts(kept, delivery_date_changed=True, delivery_date_met=False))
	assert (decision.tier, decision.route) == (Tier.DELIVERY, ("Warehouse",))


def test_rate_change_goes_to_sales():
	decision = decide_change(facts(line(qty_after=10, rate_after=90)))
	assert (decision.tier, decision.route) == (Tier.COMMERCIAL, ("Sales",))
	assert decision.reasons[0].code == "price_changed"
	assert "from 100 (0% off) to 90 (0% off)" in decision.reasons[0].message


def test_discount_change_is_a_price_change():
	decision = decide_change(facts(line(qty_after=10, rate_after=95, discount_after=5)))
	assert decision.route == ("Sales",)
	remeasured = decide_change(facts(line(discount_before=5, discount_after=4)))
	assert remeasured.route == ()


def test_new_item_goes_to_sales_and_a_short_new_item_to_warehouse_too_in_stage_order():
	added = line(idx=2, item_code="NEW", action=Action.ADD, qty_before=0, qty_after=5, free_stock_qty=0)
	decision = decide_change(facts(added))
	assert decision.tier == Tier.COMMERCIAL
	assert decision.route == ("Sales", "Warehouse")
	assert [reason.code for reason in decision.reasons] == ["new_item", "stock_short"]


def test_total_increase_at_threshold_goes_to_sales_below_it_not():
	assert decide_change(facts(line(), increase_threshold=200)).route == ("Sales",)
	assert decide_change(facts(line(), increase_threshold=201)).route == ()
	assert decide_change(facts(line(), increase_threshold=0)).route == ()


def test_payment_terms_change_goes_to_finance_and_names_both_terms():
	kept = line(action=Action.KEEP, qty_after=10)
	decision = decide_change(
		facts(kept, payment_terms_changed=True, payment_terms_before="Prepaid", payment_terms_after="Net 30")
	)
	assert (decision.tier, decision.route) == (Tier.COMMERCIAL, ("Finance",))
	(reason,) = decision.reasons
	assert (reason.code, reason.message) == (
		"payment_terms",
		"The payment terms change from Prepaid to Net 30",
	)
	assert decision.problems == ()


def test_payment_terms_change_goes_to_sales_when_there_is_no_finance_stage():
	kept = line(action=Action.KEEP, qty_after=10)
	decision = decide_change(facts(kept, payment_terms_changed=True), stages=[Stage("Sales", 10)])
	assert decision.route == ("Sales",)


def test_quantity_below_delivered_is_a_problem_naming_the_row():
	decision = decide_change(facts(line(idx=3, qty_after=2, delivered_qty=4)))
	(problem,) = decision.problems
	assert problem.code == "below_delivered"
	assert problem.line_idx == 3
	assert problem.message == "Row 3: quantity 2 of ITEM is below the 4 already delivered"
	assert not decision.apply_at_once


def test_removing_a_delivered_line_is_a_problem():
	decision = decide_change(facts(line(action=Action.REMOVE, qty_after=0, delivered_qty=1), line(idx=2)))
	assert [problem.code for problem in decision.problems] == ["below_delivered"]


def test_quantity_below_picked_needs_unpicking():
	decision = decide_change(facts(line(qty_after=3, picked_qty=5, delivered_qty=2)))
	assert [problem.code for problem in decision.problems] == ["below_picked"]


def test_a_request_that_changes_nothing_is_a_problem():
	decision = decide_change(facts(line(action=Action.KEEP, qty_after=10)))
	assert [problem.code for problem in decision.problems] == ["nothing_to_change"]


def test_removing_every_line_is_a_problem():
	decision = decide_change(facts(line(action=Action.REMOVE, qty_after=0)))
	assert "no_lines_left" in [problem.code for problem in decision.problems]


def test_order_review_rules_judge_the_changed_lines_with_the_review_engine():
	rules = [
		ReviewRule("Below cost", Condition.BELOW_COST, "Sales"),
		ReviewRule("Big discount", Condition.DISCOUNT_AT_LEAST, "Sales", threshold=10),
		ReviewRule("New customer", Condition.NEW_CUSTOMER, "Finance"),
	]
	cheap = line(qty_after=10, rate_after=40, net_rate_per_stock_uom=40, discount_after=12)
	decision = decide_change(facts(cheap), rules=rules)
	assert [reason.rule for reason in decision.reasons] == [None, "Below cost", "Big discount"]
	# An unchanged line's price is not judged again.
	unchanged = line(qty_after=11, rate_before=40, rate_after=40, net_rate_per_stock_uom=40)
	assert decide_change(facts(unchanged), rules=rules).route == ()


def test_credit_rule_counts_the_increase_on_top_of_the_outstanding():
	rules = [ReviewRule("Credit", Condition.CREDIT_OVER_LIMIT, "Finance")]
	over = decide_change(facts(line(), credit_limit=5000, outstanding=4900), rules=rules)
	assert (over.tier, over.route) == (Tier.COMMERCIAL, ("Finance",))
	assert over.reasons[0].rule == "Credit"
	within = decide_change(facts(line(), credit_limit=5000, outstanding=4700), rules=rules)
	assert within.route == ()
	down = ChangeFacts(lines=(line(qty_after=5),), total_before=1000, total_after=500, credit_limit=1)
	assert decide_change(down, rules=rules).route == ()


def test_order_value_rule_only_when_the_change_crosses_it():
	rules = [ReviewRule("Large", Condition.GRAND_TOTAL_AT_LEAST, "Sales", threshold=1100)]
	assert decide_change(facts(line()), rules=rules).route == ("Sales",)
	already = ChangeFacts(lines=(line(),), total_before=1100, total_after=1300)
	assert decide_change(already, rules=rules).route == ()


def test_stages_not_enabled_are_left_out_and_route_follows_stage_sequence():
	added = line(action=Action.ADD, qty_before=0, qty_after=5, free_stock_qty=0)
	only_warehouse = decide_change(facts(added), stages=[Stage("Warehouse", 30)])
	assert (only_warehouse.route, only_warehouse.tier) == (("Warehouse",), Tier.DELIVERY)
	reordered = decide_change(facts(added), stages=[Stage("Warehouse", 1), Stage("Sales", 2)])
	assert reordered.route == ("Warehouse", "Sales")
	custom = decide_change(
		facts(added),
		stages=[Stage("Pricing", 1), Stage("Stock", 2)],
		change_stages=ChangeStages(commercial="Pricing", delivery="Stock"),
	)
	assert custom.route == ("Pricing", "Stock")


def test_next_stage():
	assert next_stage(("Sales", "Warehouse"), ()) == "Sales"
	assert next_stage(("Sales", "Warehouse"), ("Sales",)) == "Warehouse"
	assert next_stage(("Sales",), ("Sales",)) is None


def test_only_the_rules_passed_judge_a_change_whatever_their_condition():
	"""The Frappe side passes the rules whose Applies to Changes box is ticked; each judges the change."""
	kept = line(action=Action.KEEP, qty_after=10)
	changed = line(qty_after=12)
	assert decide_change(facts(changed)).route == ()
	phone = [ReviewRule("Phone changes", Condition.CHANNEL_IS, "Warehouse", match_value="Phone")]
	decision = decide_change(facts(changed, channel="Phone"), rules=phone)
	assert (decision.tier, decision.route) == (Tier.COMMERCIAL, ("Warehouse",))
	assert decision.reasons[0].rule == "Phone changes"
	assert decide_change(facts(changed, channel="Portal"), rules=phone).route == ()
	flagged = [ReviewRule("Flagged", Condition.FLAGGED_CUSTOMER, "Finance")]
	assert decide_change(facts(changed, flagged_for_review=True), rules=flagged).route == ("Finance",)
	new_customer = [ReviewRule("New", Condition.NEW_CUSTOMER, "Finance")]
	assert decide_change(facts(changed, has_prior_invoice=False), rules=new_customer).route == ("Finance",)
	assert decide_change(facts(kept, address_changed=True, order_type="Custom"), rules=[]).route == ()
	custom = [ReviewRule("Custom", Condition.ORDER_TYPE_IS, "Warehouse", match_value="Custom")]
	assert decide_change(facts(kept, address_changed=True, order_type="Custom"), rules=custom).route == (
		"Warehouse",
	)


def test_a_stock_rule_judges_the_extra_quantity_and_affects_delivery():
	rules, finance = [ReviewRule("Short", Condition.STOCK_SHORT, "Finance")], [Stage("Finance", 1)]
	short = decide_change(facts(line(qty_after=30, free_stock_qty=15)), rules=rules, stages=finance)
	assert (short.tier, short.route) == (Tier.DELIVERY, ("Finance",))
	assert short.reasons[-1].message == "Row 1: projected quantity 15 of ITEM is below the 20.0 ordered"
	within = decide_change(facts(line(qty_after=30, free_stock_qty=20)), rules=rules, stages=finance)
	assert within.route == ()
	down = decide_change(facts(line(qty_after=5, free_stock_qty=0)), rules=rules, stages=finance)
	assert down.route == ()


def test_a_payment_terms_rule_judges_only_new_terms():
	rules = [ReviewRule("Net 90", Condition.PAYMENT_TERMS_IS, "Sales", match_value="Net 90")]
	kept = line(action=Action.KEEP, qty_after=10)
	to_net_90 = facts(kept, payment_terms_changed=True, payment_terms_after="Net 90")
	assert decide_change(to_net_90, rules=rules).route == ("Sales", "Finance")
	stays = facts(line(), payment_terms_after="Net 90")
	assert decide_change(stays, rules=rules).route == ()
