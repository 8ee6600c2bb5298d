"""Review-policy replay, Frappe side: a draft set of Order Review Rules over the last N orders.

Whoever may change the Order Review Rules sends the draft rules (name, condition, stage, threshold,
match value — the fields of Order Review Rule; none: the live enabled rules); five queries (never one
per order) read the orders' frozen facts — the order record as its review left it (see
order_mgmt/analytics/replay.py `facts_from_order`) — their actual route and hold reasons, the rules'
conditions and the enabled stages; the pure functions replay and summarise. Read-only: nothing is
changed on any order, and it may run on a replica.
"""

from __future__ import annotations

import json
from collections import defaultdict

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate

from order_mgmt.analytics import replay
from order_mgmt.review.engine import Condition, ReviewRule
from order_mgmt.review.facts import enabled_rules, enabled_stages

MAX_ORDERS = 10000


class PolicyReplayError(frappe.ValidationError):
	pass


@frappe.whitelist()
@frappe.read_only()
def replay_policy(
	rules: str | list | None = None,
	orders: int = 1000,
	company: str | None = None,
	customer: str | None = None,
) -> dict:
	"""What the draft `rules` would have decided on the last `orders` submitted orders (of a company
	or customer), against what happened."""
	if not frappe.has_permission("Order Review Rule", "write"):
		frappe.throw(
			_("Only those who may change the Order Review Rules can replay a policy"), frappe.PermissionError
		)
	limit = cint(orders)
	if limit < 1 or limit > MAX_ORDERS:
		frappe.throw(_("Replay between 1 and {0} orders").format(MAX_ORDERS), PolicyReplayError)
	stages = enabled_stages()
	draft = draft_rules(rules, {stage.name for stage in stages}) if rules else enabled_rules()
	outcomes = replay.replay(cases(limit, company, customer), draft, stages)
	result = replay.summary(outcomes)
	for row in result["changed"]:
		row["actual"], row["draft"] = _(row["actual"]), _(row["draft"])
	return result


def draft_rules(rules: str | list, stages: set[str]) -> list[ReviewRule]:
	result = []
	for row in json.loads(rules) if isinstance(rules, str) else rules:
		row = frappe._dict(row)
		try:
			condition = Condition(row.condition)
		except ValueError:
			frappe.throw(_("Unknown rule condition: {0}").format(row.condition), PolicyReplayError)
		if row.stage not in stages:
			frappe.throw(
				_("Rule {0}: {1} is not an enabled review stage").format(row.name, row.stage),
				PolicyReplayError,
			)
		result.append(
			ReviewRule(
				row.name or condition.value, condition, row.stage, flt(row.threshold), row.match_value or ""
			)
		)
	return result


def cases(limit: int, company: str | None, customer: str | None) -> list[replay.ReplayCase]:
	order = frappe.qb.DocType("Customer Order")
	query = (
		frappe.qb.from_(order)
		.select(
			order.name,
			order.order_date,
			order.base_grand_total,
			order.conversion_rate,
			order.credit_limit,
			order.credit_exposure,
			order.order_type,
			order.channel,
			order.payment_terms_template,
			order.review_route,
		)
		.where((order.docstatus == 1) & order.review_decision.isnotnull() & (order.review_decision != ""))
		.orderby(order.order_date, order=frappe.qb.desc)
		.orderby(order.creation, order=frappe.qb.desc)
		.limit(limit)
	)
	if company:
		query = query.where(order.company == company)
	if customer:
		query = query.where(order.customer == customer)
	orders = query.run(as_dict=True)
	names = [row.name for row in orders] or [""]
	line, item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Item")
	lines = defaultdict(list)
	for row in (
		frappe.qb.from_(line)
		.left_join(item)
		.on(item.name == line.item_code)
		.select(
			line.parent,
			line.idx,
			line.item_code,
			line.stock_qty,
			line.warehouse,
			line.projected_qty,
			line.discount_percentage,
			line.rate,
			line.conversion_factor,
			line.valuation_rate,
			item.is_stock_item,
		)
		.where((line.parenttype == "Customer Order") & line.parent.isin(names))
		.run(as_dict=True)
	):
		lines[row.parent].append(row)
	conditions = dict(frappe.get_all("Order Review Rule", fields=["name", "condition"], as_list=True))
	hold = frappe.qb.DocType("Customer Order Hold Reason")
	held = defaultdict(set)
	for parent, rule in (
		frappe.qb.from_(hold)
		.select(hold.parent, hold.rule)
		.where((hold.parenttype == "Customer Order") & hold.parent.isin(names))
		.run()
	):
		if rule in conditions:
			held[parent].add(conditions[rule])
	return [
		replay.ReplayCase(
			row.name,
			getdate(row.order_date),
			replay.facts_from_order(row, lines[row.name], held[row.name]),
			actual_route=replay.route_of(row.review_route),
		)
		for row in orders
	]
