"""Server-owned fields: what only the app writes, enforced in one place.

Frappe does not enforce `read_only` on the server: whoever may save a document may send any of its
fields (frappe.client.insert/save/submit, /api/resource, the desk's savedocs). The fields the app
decides itself — links to ERPNext documents, review decisions and their audit trail, status and
workflow state, figures mirrored from ERPNext, per-line shortage decisions — are therefore declared
per DocType, in its controller, as `server_owned_fields` (parent fields, and whole child tables by
their table field; a child DocType's controller declares the fields of its rows).

The controllers call `enforce(doc)` first thing on every write (`before_validate` for insert, save
and submit, `before_update_after_submit`, `before_cancel`). Unless the write comes from the app's
own code path — inside `with writing(doc):` — every owned field is put back to what is stored (a
new document's: the field's default, an owned table: no rows), so whatever the client sent is
discarded; the controller's own steps (validate, before_submit, the review workflow) then set the
fields they compute. Values the app mirrors with `db_set` / `frappe.db.set_value` never pass through
here and stay as written.

Two more rules hold for every write, the app's own included:
- Child rows belong to their document: a row whose name is not a row of this document's table in
  the database (another document's row, or a made-up name) is saved as a new row of a draft, and
  refused on a submitted document. Frappe updates child rows by name, so otherwise a draft could
  take over a row of someone else's order.
- A workflow state is kept when Frappe's workflow allows it: a transition from the stored state
  that the user's roles and the transition's condition (on the stored document) allow, into a
  state whose docstatus is the document's (so `apply_workflow` and the workflow buttons work; a
  submitted order cannot be written "Cancelled").

New documents start as drafts (`check_docstatus`, from `check_if_latest`, which Frappe calls
before anything else on insert): inserting with docstatus 1 or 2 would skip what a draft goes
through first (review routing). DocTypes written only by the app (Order Review) refuse every
write outside `writing()` (`refuse_unless_app_write`), and a child row is never saved on its own,
only with its document (`RowSavedWithItsDocument`, the child controllers' mixin).
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from frappe import _
from frappe.model import table_fields
from frappe.model.base_document import get_controller
from frappe.model.workflow import get_workflow, is_transition_condition_satisfied
from frappe.utils import cint, escape_html

FLAG = "om_server_write"

OWNING_DOCTYPES = (
	"Customer Order",
	"Customer Order Item",
	"Return Request",
	"Order Change Request",
	"Order Change Request Item",
	"Review Policy",
)
"""DocTypes whose controllers declare `server_owned_fields` (checked by the tests)."""


class ServerOwnedError(frappe.ValidationError):
	pass


class NotADraftError(ServerOwnedError):
	"""A new document was sent already submitted or cancelled."""


@contextmanager
def writing(doc):
	"""The app's own code path writes server-owned fields of `doc` in this block."""
	previous = doc.flags.get(FLAG)
	doc.flags[FLAG] = True
	try:
		yield doc
	finally:
		doc.flags[FLAG] = previous


def is_app_write(doc) -> bool:
	return bool(doc.flags.get(FLAG))


SUBMITTED_INSERT_FLAG = "order_mgmt_submitted_insert"


def insert_submitted(doc) -> None:
	"""The app's own intake inserts `doc` submitted, in one save (Frappe runs validate, before_submit,
	on_update and on_submit once): `check_docstatus` lets it through; its fields are reset as on any
	insert."""
	doc.flags[SUBMITTED_INSERT_FLAG] = True
	doc.docstatus = 1


def owned_fields(doc) -> tuple[str, ...]:
	return tuple(getattr(doc, "server_owned_fields", ()) or ())


def declared_fields() -> dict[str, tuple[str, ...]]:
	return {
		doctype: tuple(getattr(get_controller(doctype), "server_owned_fields", ()) or ())
		for doctype in OWNING_DOCTYPES
	}


# --- the controller hooks -----------------------------------------------------------------------


def enforce(doc) -> None:
	"""Controller hook, first thing on every write: child rows claimed, owned fields reset."""
	claim_child_rows(doc)
	if is_app_write(doc):
		return
	before = None if doc.is_new() else doc.get_doc_before_save()
	reset_fields(doc, before)
	for df in doc.meta.get_table_fields():
		if df.fieldname in owned_fields(doc):
			continue  # a whole owned table was reset with the fields
		reset_row_fields(doc, df.fieldname, before)


def check_docstatus(doc) -> None:
	"""Call before Frappe's own check_if_latest: a new document is inserted as a draft, and a docstatus
	is 0, 1 or 2 (Frappe would say "Invalid docstatus" or name a workflow transition instead)."""
	sent = doc.__dict__.get("docstatus")
	if (
		doc.is_new()
		and sent not in (None, "", 0, "0")
		and not is_app_write(doc)
		and not (doc.flags.get(SUBMITTED_INSERT_FLAG) and sent == 1)
	):
		frappe.throw(
			_(
				"A new {0} is saved as a draft first and submitted afterwards: it cannot be sent with docstatus {1}"
			).format(_(doc.doctype), escape_html(str(sent))),
			NotADraftError,
			title=_("Save as Draft First"),
		)
	if str(sent if sent is not None else 0) not in ("0", "1", "2"):
		frappe.throw(
			_("{0}: docstatus must be 0 (draft), 1 (submitted) or 2 (cancelled), not {1}").format(
				_(doc.doctype), escape_html(str(sent))
			),
			ServerOwnedError,
			title=_("Invalid Value"),
		)


def refuse_unless_app_write(doc) -> None:
	"""For DocTypes only the app writes: no insert or save from outside its own code path."""
	if is_app_write(doc):
		return
	frappe.throw(
		_("{0} records are written by the application only").format(_(doc.doctype)),
		ServerOwnedError,
		title=_("Not Permitted"),
	)


def refuse_row_saved_alone(row) -> None:
	"""A row is saved with its document (which enforces the rules above), never on its own: PUT/POST
	/api/resource/<child DocType> saves the row by itself."""
	if is_app_write(row):
		return
	frappe.throw(
		_("A {0} row is saved with its {1}, not on its own").format(
			_(row.doctype), _(row.get("parenttype") or "document")
		),
		ServerOwnedError,
		title=_("Not Permitted"),
	)


class RowSavedWithItsDocument:
	"""Mixin for the app's child controllers: refuses a row saved on its own, whatever the action (a
	row of a submitted document is saved as an update after submit)."""

	def before_validate(self):
		refuse_row_saved_alone(self)

	def before_update_after_submit(self):
		refuse_row_saved_alone(self)

	def before_cancel(self):
		refuse_row_saved_alone(self)


# --- the rules ----------------------------------------------------------------------------------


def reset_fields(doc, before) -> None:
	workflow_field = workflow_state_field(doc)
	for fieldname in owned_fields(doc):
		df = doc.meta.get_field(fieldname)
		if df.fieldtype in table_fields:
			doc.set(fieldname, [row.as_dict() for row in before.get(fieldname)] if before else [])
			continue
		stored = before.get(fieldname) if before else default_of(df)
		if fieldname == workflow_field and workflow_move_allowed(doc, before, doc.get(fieldname)):
			continue
		doc.set(fieldname, stored)


def reset_row_fields(doc, table: str, before) -> None:
	rows = doc.get(table) or []
	fields = owned_fields(rows[0]) if rows else ()
	if not fields:
		return
	meta = frappe.get_meta(doc.meta.get_field(table).options)
	stored_rows = {row.name: row for row in before.get(table)} if before else {}
	for row in rows:
		stored = None if row.is_new() else stored_rows.get(row.name)
		for fieldname in fields:
			row.set(fieldname, stored.get(fieldname) if stored else default_of(meta.get_field(fieldname)))


def claim_child_rows(doc) -> None:
	"""Rows of an existing draft whose names are not its own rows in the database become new rows; on a
	submitted or cancelled document they are refused (a new document's rows are all named afresh by
	Frappe)."""
	if doc.is_new():
		return
	# The stored document Frappe loaded (for update) before this write, when it did: its rows are the
	# rows stored under this document, without asking the database again.
	before = doc.get_doc_before_save()
	for df in doc.meta.get_table_fields():
		rows = [row for row in doc.get(df.fieldname) or [] if row.name and not row.is_new()]
		if not rows:
			continue
		if before is not None and before.name == doc.name:
			own = {row.name for row in before.get(df.fieldname) or []}
		else:
			own = _stored_row_names(doc, df, rows)
		for row in rows:
			if row.name in own:
				continue
			if doc.docstatus != 0:  # a submitted document's rows are fixed: no silent replacement
				frappe.throw(
					_("{0} row #{1}: this row belongs to another document").format(_(df.label), row.idx),
					ServerOwnedError,
					title=_("Invalid Value"),
				)
			row.name = None
			row.set("__islocal", 1)


def _stored_row_names(doc, df, rows) -> set[str]:
	table = frappe.qb.DocType(df.options)
	return set(
		frappe.qb.from_(table)
		.select(table.name)
		.where(
			table.name.isin([row.name for row in rows])
			& (table.parent == doc.name)
			& (table.parenttype == doc.doctype)
			& (table.parentfield == df.fieldname)
		)
		.run(pluck=True)
	)


def default_of(df):
	if df.default and df.fieldtype in ("Select", "Data", "Check", "Int", "Float", "Currency", "Percent"):
		return df.default
	return None


def workflow_state_field(doc) -> str | None:
	workflow = doc.meta.get_workflow()
	return frappe.get_cached_value("Workflow", workflow, "workflow_state_field") if workflow else None


def workflow_move_allowed(doc, before, new_state: str | None) -> bool:
	"""Would Frappe's workflow take the document from its stored state to `new_state` for this user?"""
	if not before or not new_state:
		return False
	workflow = get_workflow(doc.doctype)
	current = before.get(workflow.workflow_state_field) or workflow.states[0].state
	if new_state == current:
		return True
	target = next((state for state in workflow.states if state.state == new_state), None)
	if not target or cint(target.doc_status) != cint(doc.docstatus):
		return False
	roles = set(frappe.get_roles())
	return any(
		transition.state == current
		and transition.next_state == new_state
		and transition.allowed in roles
		and is_transition_condition_satisfied(transition, before)
		for transition in workflow.transitions
	)
