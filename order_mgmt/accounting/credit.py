"""Credit control: an order held because the customer's ERPNext credit limit would be exceeded is
approved only by someone with a finance role (the review's Finance stage, or ERPNext's own credit
controller role from Accounts Settings) — an Order Manager alone cannot wave it through."""

from __future__ import annotations

import frappe
from frappe import _

FINANCE_ROLES = {"Finance Reviewer", "Accounts Manager"}
CREDIT_CONDITION = "Credit Over Limit"


class CreditControlError(frappe.ValidationError):
	pass


def finance_roles() -> set[str]:
	controller = frappe.db.get_single_value("Accounts Settings", "credit_controller")
	return FINANCE_ROLES | ({controller} if controller else set())


def credit_stages(order) -> set[str]:
	"""Review stages the order was routed to because of its credit limit (none: no credit hold)."""
	rows = [row for row in order.get("hold_reasons", []) if row.rule]
	if not rows:
		return set()
	credit_rules = set(
		frappe.get_all(
			"Order Review Rule",
			filters={"name": ("in", [row.rule for row in rows]), "condition": CREDIT_CONDITION},
			pluck="name",
		)
	)
	return {row.stage or "" for row in rows if row.rule in credit_rules}


def approved_by_finance(order, stages: set[str]) -> bool:
	reviewers = frappe.get_all(
		"Order Review",
		filters={"customer_order": order.name, "decision": "Approved", "stage": ("in", list(stages))},
		pluck="reviewer",
	)
	roles = finance_roles()
	return any(roles & set(frappe.get_roles(reviewer)) for reviewer in reviewers)


def check_credit_authority(order, stage: str | None, final: bool, user: str) -> None:
	"""Approving the credit stage, or approving the order at all without a finance approval of it
	(an Order Manager releasing it from hold), needs a finance role."""
	stages = credit_stages(order)
	if not stages or finance_roles() & set(frappe.get_roles(user)):
		return
	if (stage and stage in stages) or (final and not approved_by_finance(order, stages)):
		frappe.throw(
			_(
				"{0} is over the customer's credit limit: only someone with a finance role ({1}) may approve it"
			).format(order.name, ", ".join(_(role) for role in sorted(finance_roles()))),
			CreditControlError,
			title=_("Credit Limit"),
		)
