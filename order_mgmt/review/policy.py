"""Review Policies: drafts of the Order Review Rules, published as the live rules with a version.

The live rules stay Order Review Rule records — the review engine reads them as before
(review/facts.py `enabled_rules`). A Review Policy is a copy an admin edits without touching them: a
draft with its own rule rows (the fields of Order Review Rule; `new_draft_from_live_rules` fills them
from what is live), replayed over past orders (analytics/policy_replay.py) before it is published.

Publishing (Order Manager or System Manager, checked here) makes the draft live, in one transaction:
each row is saved as the Order Review Rule of its name (made when new, through the rule's own
validation), every live rule that is not a row is switched off — kept, not deleted, so past orders'
hold reasons and credit approvals still find their rule's condition — the policy becomes Published
with the next version and who/when, and the policy published before it Superseded. A published
policy's rows are the record of what went live; they are not edited again.

Direct edits: Order Review Rules may still be edited directly (and the shipped ones are re-imported
from the fixtures by every migrate, which Frappe does by overwriting them). `live_rules_match` tells
whether the live rules are still the published policy's (the policy's form says so), and
`reapply_published_policy` (after migrate) puts the published policy back over the re-imported
fixtures. A new draft from the live rules starts from what is live, direct edits included.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Max
from frappe.utils import cint, flt, now_datetime

from order_mgmt import server_owned
from order_mgmt.order_mgmt.doctype.order_review_rule.order_review_rule import (
	MATCH_CONDITIONS,
	THRESHOLD_CONDITIONS,
)
from order_mgmt.review.actions import atomic
from order_mgmt.review.engine import Condition

DRAFT, PUBLISHED, SUPERSEDED = "Draft", "Published", "Superseded"
PUBLISHER_ROLES = {"Order Manager", "System Manager"}
RULE_FIELDS = (
	"rule_name",
	"enabled",
	"applies_to_changes",
	"condition",
	"threshold",
	"match_value",
	"stage",
	"description",
)


class ReviewPolicyError(frappe.ValidationError):
	pass


class PolicyNotDraftError(ReviewPolicyError):
	"""A published or superseded policy is the record of what went live: not edited or published again."""


def may_publish(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(PUBLISHER_ROLES & set(frappe.get_roles(user)))


def check_may_publish() -> None:
	if not may_publish():
		frappe.throw(
			_("Only an Order Manager or System Manager may publish a review policy"), frappe.PermissionError
		)


# --- drafts -------------------------------------------------------------------------------------


def live_rule_rows() -> list[dict]:
	"""The Order Review Rules as policy rows, enabled and disabled, by name."""
	return frappe.get_all("Order Review Rule", fields=list(RULE_FIELDS), order_by="rule_name asc")


@frappe.whitelist()
def get_live_rule_rows() -> list[dict]:
	"""The form's "Fill from Live Rules": the rows `live_rule_rows` gives (one list of fields, here)."""
	frappe.has_permission("Order Review Rule", "read", throw=True)
	return live_rule_rows()


@frappe.whitelist(methods=["POST"])
def new_draft_from_live_rules(title: str | None = None) -> str:
	"""A draft policy whose rows are the live rules."""
	if not frappe.has_permission("Review Policy", "create"):
		frappe.throw(_("Not permitted to create a review policy"), frappe.PermissionError)
	policy = frappe.new_doc("Review Policy")
	policy.title = title or _("Draft from the live rules of {0}").format(frappe.utils.format_date(None))
	for row in live_rule_rows():
		policy.append("rules", row)
	policy.insert()
	return policy.name


def validate_draft(policy) -> None:
	"""The rows as Order Review Rule would accept them, named uniquely, pointing at existing stages."""
	before = policy.get_doc_before_save()
	if before and before.status != DRAFT and not server_owned.is_app_write(policy):
		frappe.throw(
			_(
				"Review Policy {0} is {1}: it records what went live and is not changed. Copy it into a new draft."
			).format(policy.name, _(before.status)),
			PolicyNotDraftError,
		)
	seen = set()
	stages = set(frappe.get_all("Order Review Stage", pluck="name"))
	for row in policy.rules:
		row.rule_name = (row.rule_name or "").strip()
		if row.rule_name in seen:
			frappe.throw(
				_("Row {0}: rule {1} is named twice").format(row.idx, row.rule_name), ReviewPolicyError
			)
		seen.add(row.rule_name)
		try:
			Condition(row.condition)
		except ValueError:
			frappe.throw(_("Unknown rule condition: {0}").format(row.condition), ReviewPolicyError)
		if row.stage not in stages:
			frappe.throw(
				_("Row {0}: {1} is not a review stage").format(row.idx, row.stage), ReviewPolicyError
			)
		if row.condition in THRESHOLD_CONDITIONS and flt(row.threshold) <= 0:
			frappe.throw(
				_("Row {0}: condition {1} needs a threshold above zero").format(row.idx, _(row.condition)),
				ReviewPolicyError,
			)
		if row.condition in MATCH_CONDITIONS and not (row.match_value or "").strip():
			frappe.throw(
				_("Row {0}: condition {1} needs a value to match").format(row.idx, _(row.condition)),
				ReviewPolicyError,
			)


# --- publishing ---------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def publish(name: str) -> dict:
	"""Make the draft policy `name` the live Order Review Rules (see the module docstring)."""
	check_may_publish()
	if not frappe.has_permission("Review Policy", "write", name):
		frappe.throw(_("Not permitted to publish Review Policy {0}").format(name), frappe.PermissionError)
	table = frappe.qb.DocType("Review Policy")
	# Locks: this policy, and the published one it supersedes (two publishes one after the other).
	status = frappe.qb.from_(table).select(table.status).where(table.name == name).for_update().run()
	if not status:
		frappe.throw(_("Review Policy {0} does not exist").format(name), frappe.DoesNotExistError)
	if status[0][0] != DRAFT:
		frappe.throw(
			_("Review Policy {0} is {1}: only a draft is published").format(name, _(status[0][0])),
			PolicyNotDraftError,
		)
	previous = (
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.status == PUBLISHED)
		.for_update()
		.run(pluck=True)
	)
	policy = frappe.get_doc("Review Policy", name)
	if not policy.rules:
		frappe.throw(_("Review Policy {0} has no rules to publish").format(name), ReviewPolicyError)
	with atomic("publish_policy"):
		apply_rules(policy)
		for other in previous:
			frappe.db.set_value("Review Policy", other, "status", SUPERSEDED)
		version = cint(frappe.qb.from_(table).select(Max(table.version)).run()[0][0]) + 1
		policy.update(
			{
				"status": PUBLISHED,
				"version": version,
				"published_by": frappe.session.user,
				"published_on": now_datetime(),
			}
		)
		with server_owned.writing(policy):
			policy.save()
	return {"name": policy.name, "version": policy.version, "superseded": previous}


def apply_rules(policy) -> None:
	"""The policy's rows become the Order Review Rules; live rules not among them are switched off."""
	rows = {row.rule_name: row for row in policy.rules}
	for name in frappe.get_all("Order Review Rule", filters={"enabled": 1}, pluck="name"):
		if name not in rows:
			rule = frappe.get_doc("Order Review Rule", name)
			rule.enabled = 0
			rule.save()
	for rule_name, row in rows.items():
		if frappe.db.exists("Order Review Rule", rule_name):
			rule = frappe.get_doc("Order Review Rule", rule_name)
		else:
			rule = frappe.new_doc("Order Review Rule")
		rule.update({field: row.get(field) for field in RULE_FIELDS})
		rule.save()


def live_rules_match(policy) -> bool:
	"""Are the enabled Order Review Rules exactly the policy's enabled rows?"""

	def key(row) -> tuple:
		return (
			row.get("rule_name"),
			row.get("condition"),
			row.get("stage"),
			flt(row.get("threshold")),
			(row.get("match_value") or "").strip(),
			cint(row.get("applies_to_changes")),
		)

	live = {key(row) for row in live_rule_rows() if cint(row.enabled)}
	return live == {key(row) for row in policy.rules if cint(row.enabled)}


def published_policy() -> str | None:
	return frappe.db.get_value("Review Policy", {"status": PUBLISHED}, "name")


def reapply_published_policy() -> None:
	"""After migrate: the fixtures' re-import overwrote the shipped rules; put the published policy back."""
	name = published_policy()
	if not name:
		return
	policy = frappe.get_doc("Review Policy", name)
	if not live_rules_match(policy):
		apply_rules(policy)
