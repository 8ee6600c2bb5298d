"""Small helpers shared across the app."""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from frappe import _


@contextmanager
def acting_as(user: str):
	"""Run a block as another user (demo data, tests, and system follow-ups of an approval).

	frappe.set_user empties the request's per-user caches (new-document templates, role permissions,
	user permissions): the previous user's are put back afterwards, so a follow-up run as another
	user does not make the rest of the request rebuild them (meta reads on every later new_doc). Already
	that user: nothing to switch."""
	previous = frappe.session.user
	if user == previous:
		yield
		return
	local = frappe.local
	saved = {
		name: getattr(local, name, None) for name in ("new_doc_templates", "role_permissions", "user_perms")
	}
	# frappe.set_user also blanks the web session's id and data (CSRF token, expiry) in place: a request
	# whose end saves the session (every few minutes) would store them blank and log the user out.
	session = local.session
	session_id, session_data = session.get("sid"), session.get("data")
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)
		session.sid, session.data = session_id, session_data
		for name, value in saved.items():
			if value is not None:
				setattr(local, name, value)


def customer_email(customer: str, contact_person: str | None = None) -> str | None:
	"""Where the app writes to a customer: the order's contact person's email, else the customer's own."""
	email = frappe.db.get_value("Contact", contact_person, "email_id") if contact_person else None
	return email or frappe.db.get_value("Customer", customer, "email_id")


def customer_language(customer: str) -> str:
	"""The language a customer is written to in: theirs (ERPNext's Customer.language), else the site's."""
	return frappe.db.get_value("Customer", customer, "language") or frappe.db.get_default("lang") or "en"


def email_customer(doc, recipient: str, subject: str, lines: list[str], unsent_note: str) -> bool:
	"""Email a customer about `doc` (lines of plain text); True when the email was queued.

	Telling the customer never stops the business step it follows: whatever goes wrong while
	sending is undone (a savepoint), logged in the Error Log and left as a comment on `doc` —
	`unsent_note` (with {0} for the address) when there is no outgoing Email Account, else what
	failed. With `mute_emails` and no Email Account, Frappe's stand-in account has no address and
	its `sendmail` raises AttributeError, not OutgoingEmailError: every failure counts. Only a
	failure that took the whole transaction with it (a deadlock: the savepoint is gone) is raised,
	since the step could not be saved anyway."""
	savepoint = "om_customer_email"
	frappe.db.savepoint(savepoint)
	messages = len(frappe.local.message_log)
	try:
		frappe.sendmail(
			recipients=[recipient],
			subject=subject,
			message="<br>".join(frappe.utils.escape_html(line) for line in lines),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)
	except Exception as error:
		try:
			frappe.db.rollback(save_point=savepoint)
		except Exception:
			raise error from None
		del frappe.local.message_log[messages:]  # Frappe's own popup about the failure, if any
		log = frappe.log_error(
			title=_("Customer email to {0} not sent").format(recipient),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)
		if isinstance(error, frappe.OutgoingEmailError):
			note = unsent_note.format(recipient)
		else:
			note = _("Email to {0} not sent: {1}").format(
				recipient, frappe.utils.escape_html(str(error) or type(error).__name__)
			)
		if log:
			note += " " + _("(Error Log {0})").format(log.name)
		doc.add_comment("Comment", note)
		return False
	return True


def changed_since_snapshot(doctype: str, names: list[str]) -> list[str]:
	"""Those of the rows (locked by this call, if not already) that another transaction changed after this
	one's snapshot. MariaDB's repeatable read keeps the snapshot of a transaction's first plain read; only
	its locking reads see later commits. A caller that read before taking its locks must not build on
	what it read when this is not empty: the rows moved on while it waited."""
	if not names:
		return []
	table = frappe.qb.DocType(doctype)
	query = (
		frappe.qb.from_(table)
		.select(table.name, table.modified)
		.where(table.name.isin(sorted(set(names))))
		.orderby(table.name)
	)
	latest = dict(query.for_update().run())
	seen = dict(query.run())
	return [name for name, modified in latest.items() if seen.get(name) != modified]


class WaitingSet:
	"""Work committed requests leave for one background job: members wait in a Redis set, and a job is
	queued unless one is queued and has not started (it takes them too). The job takes the members off
	the set before it reads anything, so one committed meanwhile waits for the next job. Used for what
	must be recomputed from fresh data after commits (analytics facts, ERPNext's Bin caches)."""

	JOB_WAITING_SECONDS = 600  # a lost job (worker killed, queue flushed) stops holding back new ones

	def __init__(self, key: str, method: str, queue: str = "short"):
		self.key, self.method, self.queue = key, method, queue
		self.waiting_key = f"{key}:job_waiting"

	def add(self, members: list[str], error_title: str) -> None:
		"""Called after a commit: never fails the request whose commit is already done."""
		try:
			frappe.cache.sadd(self.key, *members)
			if not frappe.cache.get_value(self.waiting_key, expires=True):
				frappe.cache.set_value(self.waiting_key, 1, expires_in_sec=self.JOB_WAITING_SECONDS)
				frappe.enqueue(self.method, queue=self.queue)
		except Exception:
			frappe.log_error(title=error_title)

	def take(self) -> list[str]:
		"""In the job: the members waiting now, sorted, taken off the set."""
		frappe.cache.delete_value(self.waiting_key)
		members = sorted(
			member.decode() if isinstance(member, bytes) else member
			for member in frappe.cache.smembers(self.key)
		)
		if members:
			frappe.cache.srem(self.key, *members)
		return members

	def members(self) -> set[str]:
		return {
			member.decode() if isinstance(member, bytes) else member
			for member in frappe.cache.smembers(self.key)
		}

	def job_waiting(self) -> bool:
		return bool(frappe.cache.get_value(self.waiting_key, expires=True))

	def clear(self) -> None:
		frappe.cache.delete_value([self.key, self.waiting_key])
