"""Credit control: an order held because the customer's ERPNext credit limit would be exceeded is
approved only by someone with a finance role (the review's Finance stage, or ERPNext's own credit
controller role from Accounts Settings) — an Order Manager alone cannot wave it through.

That approval is the authority ERPNext's own credit check on the order's Sales Order needs, and it
covers that one Sales Order's submit only (`finance_approval_covers_credit_limit`). The app never
changes Accounts Settings' *Credit Controller*: everywhere else ERPNext checks credit limits as the
admin configured it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import frappe
from frappe import _

if TYPE_CHECKING:
	from erpnext.selling.doctype.sales_order.sales_order import SalesOrder

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


def has_finance_role(user: str | None) -> bool:
	return bool(user) and bool(finance_roles() & set(frappe.get_roles(user)))


@contextmanager
def finance_approval_covers_credit_limit(so: SalesOrder, order_name: str, approver: str | None):
	"""Submit `so` past ERPNext's credit-limit check when a finance reviewer approved the order's
	credit hold; otherwise (no credit hold, or the approver has no finance role) ERPNext decides.

	ERPNext has no per-document switch: `SalesOrder.check_credit_limit` (called from its on_submit)
	lets a Sales Order over the limit through only for customers flagged to bypass the check or for
	users holding Accounts Settings' Credit Controller role — both site-wide. So the check is
	replaced on this one document object, for the length of the block, and restored afterwards:
	every other Sales Order, and this one on any later change (reopening, Update Items), is checked
	by ERPNext as usual — but for the app resuming its own payment hold on it (accounting/payments.py)
	and changing it for a shortage decision (below). The check still runs; what it would have refused is recorded on the Sales
	Order with the approver's name instead of refusing it."""
	if not has_finance_role(approver):
		yield
		return
	erpnext_check = so.check_credit_limit
	so.check_credit_limit = lambda: _check_or_record(so, erpnext_check, order_name, approver)
	try:
		yield
	finally:
		del so.check_credit_limit


@contextmanager
def finance_approval_covers_update_items(sales_order: str, order_name: str, approver: str | None):
	"""The same authority for the app's own change of that Sales Order through ERPNext's Update Items
	(a customer's shortage decision), which loads the Sales Order itself and checks credit again.

	There is no document object to reach, so — the one place the app does this — the check is replaced
	on ERPNext's SalesOrder class for the length of the block and restored in `finally`; the replacement
	lets through only the Sales Order named, and hands every other one to ERPNext's own check. A worker
	(gunicorn sync worker, RQ job) runs one request at a time, so no other request runs inside it."""
	if not has_finance_role(approver):
		yield
		return
	from erpnext.selling.doctype.sales_order.sales_order import SalesOrder

	erpnext_check = SalesOrder.check_credit_limit

	def check_credit_limit(self) -> None:
		if self.name != sales_order:
			return erpnext_check(self)
		_check_or_record(self, lambda: erpnext_check(self), order_name, approver)

	SalesOrder.check_credit_limit = check_credit_limit
	try:
		yield
	finally:
		SalesOrder.check_credit_limit = erpnext_check


def _check_or_record(so: SalesOrder, erpnext_check, order_name: str, approver: str) -> None:
	"""ERPNext's check runs; what it would have refused is recorded on the Sales Order instead."""
	try:
		erpnext_check()
	except frappe.ValidationError:
		frappe.clear_last_message()
		so.add_comment(
			"Comment",
			_("{0} — submitted on the credit approval of {1} for {2}").format(
				# Not ERPNext's message: it names the outstanding and the limit, and whoever reads
				# the Sales Order reads its comments (credit figures are permlevel 1 on the order).
				_("Credit limit has been crossed for customer {0}").format(so.customer),
				approver,
				order_name,
			),
		)
