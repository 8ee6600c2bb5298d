"""Who hears about a review: ToDo assignments for a stage's reviewers, decisions for the order's owner,
escalations for Order Managers. All through Frappe's own ToDo and Notification Log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import (
	enqueue_create_notification,
	get_title,
	get_title_html,
)
from frappe.desk.form.assign_to import add as add_assignment
from frappe.utils import get_fullname

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
	assign_in_their_language(
		order,
		users,
		lambda: _("Review {0} ({1}) at the {2} stage").format(
			order.name, order.customer_name or order.customer, _(stage_doc.name)
		),
	)
	return users


def assign_in_their_language(order, users: list[str], describe: Callable[[], str]) -> None:
	"""A ToDo on the order (and Frappe's notification of it) for each user. A ToDo's text is stored, so
	`describe` is called in each reader's language."""
	for lang, group in by_language(users).items():
		with in_language(lang):
			description = describe()
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


def close_stage_assignments(order) -> None:
	"""Close the order's open assignments with what Frappe's close_all_assignments leaves behind — the
	ToDos Closed, the order's assignment list (`_assign`) emptied, an "Assignment Completed" entry per
	assignment on the order's timeline, each assignee told (Notification Log, queued) — in a handful
	of statements rather than about eighteen per assignment (Frappe saves each ToDo, which loads the
	whole order for its comment and re-reads the open ToDos for `_assign`). Only open ToDos are closed:
	Frappe's re-saves those already closed, telling their assignees again."""
	doctype = "Customer Order"
	rows = frappe.get_all(
		"ToDo",
		filters={"reference_type": doctype, "reference_name": order.name, "status": "Open"},
		fields=["name", "allocated_to", "assigned_by"],
	)
	if not rows:
		return
	user, now = frappe.session.user, frappe.utils.now_datetime()
	todo = frappe.qb.DocType("ToDo")
	(
		frappe.qb.update(todo)
		.set(todo.status, "Closed")
		.set(todo.modified, now)
		.set(todo.modified_by, user)
		.where(todo.name.isin([row.name for row in rows]))
	).run()
	# Every open assignment is closed now: the list Frappe keeps on the order is empty.
	frappe.db.set_value(doctype, order.name, "_assign", "", update_modified=False)
	for row in rows:
		if row.allocated_to == user:
			text = _("{0} removed their assignment.").format(get_fullname(user))
		else:
			text = _("Assignment of {0} removed by {1}").format(
				get_fullname(row.allocated_to), get_fullname(user)
			)
		order.add_comment("Assignment Completed", text)
	_tell_assignees_closed(
		order, [row for row in rows if row.assigned_by and row.assigned_by != row.allocated_to]
	)


def _tell_assignees_closed(order, rows) -> None:
	"""Frappe's notify_assignment for closed assignments, with one read of the assignees."""
	if not rows:
		return
	users = {
		user.name: user
		for user in frappe.get_all(
			"User",
			filters={"name": ("in", list({row.allocated_to for row in rows}))},
			fields=["name", "language", "enabled"],
		)
	}
	title = get_title_html(get_title(order.doctype, order.name))
	by = frappe.bold(frappe.get_cached_value("User", frappe.session.user, "full_name"))
	for row in rows:
		assignee = users.get(row.allocated_to)
		if not assignee or not assignee.enabled:
			continue
		subject = _("Your assignment on {0} {1} has been removed by {2}", lang=assignee.language).format(
			frappe.bold(_(order.doctype, lang=assignee.language)), title, by
		)
		enqueue_create_notification(
			row.allocated_to,
			{
				"type": "Assignment",
				"document_type": order.doctype,
				"subject": subject,
				"document_name": order.name,
				"from_user": frappe.session.user,
				"email_content": None,
			},
		)


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
