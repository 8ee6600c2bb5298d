"""Review-policy replay, Frappe side: draft review rules over past orders, against what happened.

Two ways in, for whoever may change the Order Review Rules:
- `replay_policy`: rules sent with the call (the fields of Order Review Rule; none: the live enabled
  rules) over the last N orders; read-only, answers the summary.
- `replay_review_policy`: a Review Policy's rows over the last N orders or the orders of a period.
  Up to BACKGROUND_THRESHOLD orders it runs in the request; above, as an RQ job on the long queue
  (`run_policy_replay`) that publishes its progress to the policy's form. Either way the summary is
  stored on the policy (`replay_result`, JSON, with who/when and the scope) and the form shows it.

The orders are read in chunks (four queries per chunk of CHUNK orders, never one per order): each
order's facts as its review froze them (Order Review `decision_facts`, written at submit by
review/facts.py) — or, for orders submitted before facts were frozen and for auto-approved ones
(which open no review), rebuilt from the order record (analytics/replay.py `facts_from_order`; the
summary counts them as `rebuilt`) — its actual route and the rules that held it. The pure functions
of analytics/replay.py replay and summarise. Nothing is changed on any order; only the policy's
replay fields are written.
"""

from __future__ import annotations

import json
from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Count
from frappe.utils import cint, flt, getdate, now_datetime

from order_mgmt.analytics import replay
from order_mgmt.review.engine import Condition, ReviewRule
from order_mgmt.review.facts import enabled_rules, enabled_stages

MAX_ORDERS = 10000
BACKGROUND_THRESHOLD = 500
"""Replays over more orders than this run as an RQ job (module constant: the tests lower it)."""
CHUNK = 2000
CHANGED_SHOWN = 500
"""Orders that change outcome listed on the policy (all are counted)."""


class PolicyReplayError(frappe.ValidationError):
	pass


def check_may_replay() -> None:
	if not frappe.has_permission("Order Review Rule", "write"):
		frappe.throw(
			_("Only those who may change the Order Review Rules can replay a policy"), frappe.PermissionError
		)


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
	check_may_replay()
	limit = checked_limit(orders)
	stages = enabled_stages()
	draft = draft_rules(rules, {stage.name for stage in stages}) if rules else enabled_rules()
	return translated(run(draft, stages, scope_orders(limit, company=company, customer=customer)))


@frappe.whitelist(methods=["POST"])
def replay_review_policy(
	name: str,
	orders: int | None = None,
	from_date: str | None = None,
	to_date: str | None = None,
	company: str | None = None,
	customer: str | None = None,
) -> dict:
	"""Replay Review Policy `name` over the last `orders` orders, or the orders dated `from_date` to
	`to_date` (of a company or customer): inline up to BACKGROUND_THRESHOLD orders, else queued
	(`{"queued": true}`)."""
	check_may_replay()
	if not frappe.has_permission("Review Policy", "write", name):
		frappe.throw(_("Not permitted to replay Review Policy {0}").format(name), frappe.PermissionError)
	limit, from_date, to_date = checked_scope(orders, from_date, to_date)
	scope = {"from_date": from_date, "to_date": to_date, "company": company, "customer": customer}
	count = min(limit, count_orders(**scope))
	if count > BACKGROUND_THRESHOLD:
		set_replay_fields(name, "Queued", limit, from_date, to_date)
		job = frappe.enqueue(
			"order_mgmt.analytics.policy_replay.run_policy_replay",
			queue="long",
			timeout=1800,
			job_id=f"review_policy_replay::{name}",
			deduplicate=True,
			policy=name,
			orders=limit,
			**scope,
		)
		return {"queued": True, "job_id": job.id if job else None, "orders": count}
	return run_policy_replay(name, limit, **scope, progress=False)


def run_policy_replay(
	policy: str,
	orders: int,
	from_date=None,
	to_date=None,
	company=None,
	customer=None,
	progress: bool = True,
) -> dict:
	"""The replay of a Review Policy's rows; stores the summary on the policy. As the RQ job
	(`progress`) it publishes its progress to the policy's form and marks the policy Failed on error."""
	try:
		set_replay_fields(policy, "Running", orders, from_date, to_date)
		if progress and not frappe.flags.in_test:
			frappe.db.commit()  # the form sees "Running" while the job works
		doc = frappe.get_doc("Review Policy", policy)
		stages = enabled_stages()
		rules = policy_rules(doc, {stage.name for stage in stages})
		rows = scope_orders(orders, from_date, to_date, company, customer)

		def report(done: int, total: int) -> None:
			if progress:
				frappe.publish_progress(
					done * 100 / max(total, 1),
					title=_("Replaying {0}").format(doc.title),
					description=_("{0} of {1} orders").format(done, total),
					doctype="Review Policy",
					docname=policy,
				)

		result = run(rules, stages, rows, report)
	except Exception:
		if progress and not frappe.flags.in_test:
			frappe.db.rollback()
			set_replay_fields(policy, "Failed", orders, from_date, to_date)
			frappe.db.commit()  # the form shows the failure; the error is in RQ's failed registry
		raise
	result["policy_version"] = doc.version
	set_replay_fields(policy, "Done", orders, from_date, to_date, result)
	if progress:  # the form reloads to show the result
		frappe.publish_realtime(
			"review_policy_replayed",
			{"name": policy},
			doctype="Review Policy",
			docname=policy,
			after_commit=True,
		)
	return translated(result)


def run(rules: list[ReviewRule], stages, rows: list[dict], report=None) -> dict:
	outcomes = []
	for start in range(0, len(rows), CHUNK):
		chunk = rows[start : start + CHUNK]
		outcomes += replay.replay(cases(chunk), rules, stages)
		if report:
			report(start + len(chunk), len(rows))
	return replay.summary(outcomes, changed_limit=CHANGED_SHOWN)


def translated(result: dict) -> dict:
	for row in result["changed"]:
		row["actual"], row["draft"] = _(row["actual"]), _(row["draft"])
	return result


def set_replay_fields(
	policy: str, status: str, orders, from_date, to_date, result: dict | None = None
) -> None:
	values = {
		"replay_status": status,
		"replay_scope": scope_label(orders, from_date, to_date),
		"replayed_by": frappe.session.user,
	}
	if result is not None:
		values.update(
			{
				"replay_result": json.dumps(result, default=str, separators=(",", ":")),
				"replayed_on": now_datetime(),
			}
		)
	frappe.db.set_value("Review Policy", policy, values, update_modified=False)


def scope_label(orders, from_date, to_date) -> str:
	if from_date or to_date:
		return _("Orders dated {0} to {1}, at most {2}").format(from_date or "…", to_date or "…", orders)
	return _("The last {0} orders").format(orders)


def checked_limit(orders) -> int:
	limit = cint(orders)
	if limit < 1 or limit > MAX_ORDERS:
		frappe.throw(_("Replay between 1 and {0} orders").format(MAX_ORDERS), PolicyReplayError)
	return limit


def checked_scope(orders, from_date, to_date) -> tuple[int, str | None, str | None]:
	from_date = str(getdate(from_date)) if from_date else None
	to_date = str(getdate(to_date)) if to_date else None
	if from_date and to_date and from_date > to_date:
		frappe.throw(_("The replay's From Date is after its To Date"), PolicyReplayError)
	default = MAX_ORDERS if (from_date or to_date) else 1000
	return checked_limit(orders or default), from_date, to_date


def policy_rules(policy, stages: set[str]) -> list[ReviewRule]:
	return draft_rules([row.as_dict() for row in policy.rules if cint(row.enabled)], stages, "rule_name")


def draft_rules(rules: str | list, stages: set[str], name_field: str = "name") -> list[ReviewRule]:
	result = []
	for row in json.loads(rules) if isinstance(rules, str) else rules:
		row = frappe._dict(row)
		name = row.get(name_field)
		try:
			condition = Condition(row.condition)
		except ValueError:
			frappe.throw(_("Unknown rule condition: {0}").format(row.condition), PolicyReplayError)
		if row.stage not in stages:
			frappe.throw(
				_("Rule {0}: {1} is not an enabled review stage").format(name, row.stage),
				PolicyReplayError,
			)
		result.append(
			ReviewRule(
				name or condition.value, condition, row.stage, flt(row.threshold), row.match_value or ""
			)
		)
	return result


# --- reading the orders -------------------------------------------------------------------------


def _scope_query(from_date=None, to_date=None, company=None, customer=None):
	order = frappe.qb.DocType("Customer Order")
	query = frappe.qb.from_(order).where(
		(order.docstatus == 1) & order.review_decision.isnotnull() & (order.review_decision != "")
	)
	if from_date:
		query = query.where(order.order_date >= from_date)
	if to_date:
		query = query.where(order.order_date <= to_date)
	if company:
		query = query.where(order.company == company)
	if customer:
		query = query.where(order.customer == customer)
	return order, query


def count_orders(from_date=None, to_date=None, company=None, customer=None) -> int:
	order, query = _scope_query(from_date, to_date, company, customer)
	return cint(query.select(Count(order.name)).run()[0][0])


def scope_orders(limit: int, from_date=None, to_date=None, company=None, customer=None) -> list[dict]:
	"""The last `limit` submitted, decided orders (of a period, company or customer), newest first."""
	order, query = _scope_query(from_date, to_date, company, customer)
	return (
		query.select(
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
		.orderby(order.order_date, order=frappe.qb.desc)
		.orderby(order.creation, order=frappe.qb.desc)
		.limit(limit)
		.run(as_dict=True)
	)


def cases(orders: list[dict]) -> list[replay.ReplayCase]:
	"""Each order's facts (frozen at its review, else rebuilt), actual route and holding rules."""
	names = [row.name for row in orders] or [""]
	frozen = frozen_facts(names)
	missing = [name for name in names if name not in frozen] or [""]
	# Parameterised SQL rather than frappe.qb here: building `IN` over thousands of names term by term
	# took a fifth of a 10,000-order replay.
	lines = defaultdict(list)
	for row in frappe.db.sql(
		"""select line.parent, line.idx, line.item_code, line.stock_qty, line.warehouse, line.projected_qty,
			line.discount_percentage, line.rate, line.conversion_factor, line.valuation_rate, item.is_stock_item
		from `tabCustomer Order Item` line left join `tabItem` item on item.name = line.item_code
		where line.parenttype = 'Customer Order' and line.parent in %(names)s""",
		{"names": tuple(missing)},
		as_dict=True,
	):
		lines[row.parent].append(row)
	conditions = dict(frappe.get_all("Order Review Rule", fields=["name", "condition"], as_list=True))
	held_by, held_conditions = defaultdict(list), defaultdict(set)
	for parent, rule in frappe.db.sql(
		"""select parent, rule from `tabCustomer Order Hold Reason`
		where parenttype = 'Customer Order' and parent in %(names)s order by idx""",
		{"names": tuple(names)},
	):
		if rule in conditions:
			held_by[parent].append(rule)
			held_conditions[parent].add(conditions[rule])
	result = []
	for row in orders:
		facts = frozen.get(row.name)
		result.append(
			replay.ReplayCase(
				row.name,
				getdate(row.order_date),
				facts or replay.facts_from_order(row, lines[row.name], held_conditions[row.name]),
				actual_route=replay.route_of(row.review_route),
				actual_rules=tuple(held_by[row.name]),
				rebuilt=facts is None,
			)
		)
	return result


def frozen_facts(names: list[str]) -> dict[str, replay.OrderFacts]:
	"""The facts each order froze when it was submitted (on the order, held or approved at once), else on
	its first review that has them (orders submitted before the order kept them)."""
	found = {}
	for order, data, _source, _created in frappe.db.sql(
		"""select name, decision_facts, 0 as source, creation from `tabCustomer Order`
		where name in %(names)s and ifnull(decision_facts, '') != ''
		union all
		select customer_order, decision_facts, 1, creation from `tabOrder Review`
		where customer_order in %(names)s and ifnull(decision_facts, '') != ''
		order by source, creation""",
		{"names": tuple(names)},
	):
		if order in found:
			continue
		try:
			found[order] = replay.facts_from_dict(json.loads(data))
		except (ValueError, TypeError):
			continue  # unreadable: rebuilt from the order instead
	return found
