"""Who hears about a review: ToDo assignments for a stage's reviewers, decisions for the order's owner,
escalations for Order Managers. All through Frappe's own ToDo and Notification Log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.desk.form.assign_to import add as add_assignment
from frappe.desk.form.assign_to import close_all_assignments

ORDER_MANAGER = "Order Manager"


def users_with_role(role: str) -> list[str]:
	has_role = frappe.qb.DocType("Has Role")
	user = frappe.qb.DocType("User")
	rows = (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.name)
		.distinct()
		.where(
			(has_role.role == role)
			& (has_role.parenttype == "User")
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& (user.name.notin(["Administrator", "Guest"]))
		)
	).run(pluck=True)
	return sorted(rows)


def user_language(user: str) -> str:
	"""The language a user reads the desk in (their own, else the site's)."""
	return frappe.get_cached_value("User", user, "language") or frappe.db.get_default("lang") or "en"


@contextmanager
def in_language(lang: str) -> Iterator[None]:
	"""Translate with `lang` inside the block (every nested _() too), then back to the session's."""
	previous = getattr(frappe.local, "lang", None)
	frappe.local.lang = lang
	try:
		yield
	finally:
		frappe.local.lang = previous


def by_language(users: list[str]) -> dict[str, list[str]]:
	groups: dict[str, list[str]] = {}
	for user in users:
		groups.setdefault(user_language(user), []).append(user)
	return groups


def assign_stage_reviewers(order, stage_doc) -> list[str]:
	# The order's creator may not review it: no point assigning it to them.
	users = [user for user in users_with_role(stage_doc.role) if user != order.owner]
	for lang, group in by_language(users).items():
		with in_language(lang):  # a ToDo's text is stored: write it in its reader's language
			description = _("Review {0} ({1}) at the {2} stage").format(
				order.name, order.customer_name or order.customer, _(stage_doc.name)
			)
		add_assignment(
			{
				"assign_to": group,
				"doctype": "Customer Order",
				"name": order.name,
				"description": description,
				"notify": 1,
			},
			ignore_permissions=True,
		)
	return users


def close_stage_assignments(order) -> None:
	close_all_assignments("Customer Order", order.name, ignore_permissions=True)


def notify(users: list[str], subject: str, order, from_user: str | None = None) -> None:
	for user in set(users):
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"from_user": from_user or frappe.session.user,
				"type": "Alert",
				"document_type": "Customer Order",
				"document_name": order.name,
				"subject": subject,
			}
		).insert(ignore_permissions=True)


def notify_owner_of_decision(order, stage: str, decision: str, comment: str | None) -> None:
	if order.owner in ("Administrator", frappe.session.user):
		return
	with in_language(user_language(order.owner)):
		subject = _("{0}: {1} at the {2} stage").format(order.name, _(decision), _(stage))
	if comment:
		subject += f" — {frappe.utils.escape_html(comment)}"
	notify([order.owner], subject, order)


def escalate_to_managers(order, review) -> list[str]:
	managers = users_with_role(ORDER_MANAGER)
	for lang, group in by_language(managers).items():
		with in_language(lang):
			subject = _("{0} has waited for the {1} stage since {2}: its review is overdue").format(
				order.name, _(review.stage), frappe.utils.format_datetime(review.requested_on)
			)
		notify(group, subject, order, from_user="Administrator")
		add_assignment(
			{
				"assign_to": group,
				"doctype": "Customer Order",
				"name": order.name,
				"description": subject,
				"notify": 0,
			},
			ignore_permissions=True,
		)
	return managers
