"""Review-policy replay (order_mgmt/analytics/replay.py): a draft rule set over past orders' frozen
facts, against what happened."""

import json
from datetime import date

from order_mgmt.analytics.replay import ReplayCase, facts_from_dict, facts_to_dict, replay, summary
from order_mgmt.review.engine import Condition, LineFacts, OrderFacts, ReviewRule, Stage

SALES, CREDIT = "Sales", "Credit"
STAGES = (Stage(SALES, 10), Stage(CREDIT, 20))


def facts(total, credit_limit=0.0, outstanding=0.0, discount=0.0):
	line = LineFacts(
		1, "ITEM", 1.0, projected_qty=100, discount_percentage=discount, net_rate_per_stock_uom=total
	)
	return OrderFacts(grand_total=total, lines=(line,), credit_limit=credit_limit, outstanding=outstanding)


CASES = [
	# held under the live policy (large order at 1000), auto-approved under the draft (at 5000)
	ReplayCase("A", date(2026, 11, 2), facts(2000), actual_route=(SALES,), actual_rules=("Large order",)),
	# held under both: over its credit limit
	ReplayCase(
		"B",
		date(2026, 11, 3),
		facts(6000, credit_limit=5000),
		actual_route=(SALES, CREDIT),
		actual_rules=("Large order", "Credit limit"),
	),
	# auto-approved under both
	ReplayCase("C", date(2026, 11, 9), facts(100), rebuilt=True),
	# auto-approved, held by the draft's new discount rule
	ReplayCase("D", date(2026, 11, 15), facts(100, discount=20)),
]
DRAFT = [
	ReviewRule("Large order", Condition.GRAND_TOTAL_AT_LEAST, SALES, threshold=5000),
	ReviewRule("Credit limit", Condition.CREDIT_OVER_LIMIT, CREDIT),
	ReviewRule("Big discount", Condition.DISCOUNT_AT_LEAST, SALES, threshold=15),
]


def test_facts_survive_json():
	original = facts(123.5, credit_limit=1000, discount=5)
	frozen = json.loads(json.dumps(facts_to_dict(original)))
	assert facts_from_dict(frozen) == original
	frozen["a_field_of_a_later_version"] = 1
	del frozen["channel"]
	assert facts_from_dict(frozen).channel == "Desk"


def test_replay_decides_each_order_under_the_draft():
	outcomes = {o.order: o for o in replay(CASES, DRAFT, STAGES)}
	assert outcomes["A"].draft_route == ()
	assert outcomes["B"].draft_route == (SALES, CREDIT)
	assert outcomes["B"].draft_rules == ("Large order", "Credit limit")
	assert outcomes["D"].draft_rules == ("Big discount",)
	assert [name for name, o in outcomes.items() if o.changed] == ["A", "D"]


def test_summary():
	result = summary(replay(CASES, DRAFT, STAGES))
	assert (result["orders"], result["actual_held"], result["draft_held"], result["rebuilt"]) == (4, 2, 2, 1)
	assert (result["actual_auto_approval_rate"], result["draft_auto_approval_rate"]) == (50.0, 50.0)
	# 14 days: 2 weeks
	assert result["weeks"] == 2.0
	assert result["stages"] == [
		{
			"stage": CREDIT,
			"actual": 1,
			"draft": 1,
			"difference": 0,
			"actual_per_week": 0.5,
			"draft_per_week": 0.5,
		},
		{
			"stage": SALES,
			"actual": 2,
			"draft": 2,
			"difference": 0,
			"actual_per_week": 1.0,
			"draft_per_week": 1.0,
		},
	]
	assert result["rules"] == [
		{"rule": "Large order", "actual": 2, "draft": 1, "difference": -1, "draft_per_week": 0.5},
		{"rule": "Credit limit", "actual": 1, "draft": 1, "difference": 0, "draft_per_week": 0.5},
		{"rule": "Big discount", "actual": 0, "draft": 1, "difference": 1, "draft_per_week": 0.5},
	]
	assert result["changed_total"] == 2
	assert [(c["order"], c["order_date"], c["actual"], c["draft"]) for c in result["changed"]] == [
		("A", "2026-11-02", "Held", "Auto-approved"),
		("D", "2026-11-15", "Auto-approved", "Held"),
	]
	assert result["changed"][0]["actual_rules"] == ["Large order"]


def test_the_changed_orders_listed_are_capped_but_all_counted():
	result = summary(replay(CASES, DRAFT, STAGES), changed_limit=1)
	assert (result["changed_total"], [c["order"] for c in result["changed"]]) == (2, ["A"])


def test_a_stage_the_draft_disables_holds_nothing():
	outcomes = replay(CASES, DRAFT, [Stage(SALES, 10)])
	assert {o.order: o.draft_route for o in outcomes}["B"] == (SALES,)
	assert summary([])["orders"] == 0


def test_facts_from_an_order_record():
	from order_mgmt.analytics.replay import facts_from_order, route_of

	order = {
		"base_grand_total": 1130,
		"credit_limit": 5000,
		"credit_exposure": 4130,
		"conversion_rate": 1,
		"order_type": "Custom",
		"channel": "Portal",
		"payment_terms_template": "Net 30",
	}
	lines = [
		{"idx": 2, "item_code": "B", "stock_qty": 2, "rate": 50, "conversion_factor": 1, "projected_qty": 1},
		{
			"idx": 1,
			"item_code": "A",
			"stock_qty": 12,
			"rate": 120,
			"conversion_factor": 12,
			"valuation_rate": 8,
		},
	]
	facts = facts_from_order(order, lines, {"New Customer"})
	assert (facts.grand_total, facts.outstanding, facts.has_prior_invoice, facts.flagged_for_review) == (
		1130,
		3000,
		False,
		False,
	)
	assert [(line.item_code, line.net_rate_per_stock_uom, line.valuation_rate) for line in facts.lines] == [
		("A", 10.0, 8.0),
		("B", 50.0, None),
	]
	assert (facts.order_type, facts.channel, facts.payment_terms) == ("Custom", "Portal", "Net 30")
	assert route_of("Sales, Warehouse") == ("Sales", "Warehouse") and route_of(None) == ()
