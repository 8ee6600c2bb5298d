"""Small helpers shared across the app."""

from __future__ import annotations

from contextlib import contextmanager

import frappe


@contextmanager
def acting_as(user: str):
	"""Run a block as another user (demo data, tests, and system follow-ups of an approval)."""
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


def email_customer(doc, recipient: str, subject: str, lines: list[str], unsent_note: str) -> bool:
	"""Email a customer about `doc` (lines of plain text). A missing outgoing Email Account must
	not stop the business step: `unsent_note` (with {0} for the address) is left on `doc` instead."""
	try:
		frappe.sendmail(
			recipients=[recipient],
			subject=subject,
			message="<br>".join(frappe.utils.escape_html(line) for line in lines),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)
	except frappe.OutgoingEmailError:
		frappe.clear_last_message()
		doc.add_comment("Comment", unsent_note.format(recipient))
		return False
	return True
