"""Field-level (permlevel) privacy where Frappe copies field values somewhere else.

Frappe's form timeline lists a document's Version records (track_changes) to everyone who may read
the document — `frappe.desk.form.load.get_versions` reads them without permissions and does not
filter fields by permlevel — so every change of a permlevel-1 field (credit limit and exposure,
review checks, line valuation) would travel in the form's docinfo to users who may not read that
field. For this app's DocTypes a Version keeps only fields at permlevel 0 (hook: Version
before_insert); reviewers see the restricted figures on the document itself and in its Order
Review records.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import cint

APP_MODULE = "Order Mgmt"


ALWAYS_RESTRICTED = {"Order Review": {"decision_facts"}, "Customer Order": {"decision_facts"}}
"""Fields kept out of Versions even if their permlevel were lowered: the facts a review froze (credit
exposure and limit, valuation) for policy replay."""


def restricted_fieldnames(doctype: str) -> set[str]:
	return {
		df.fieldname for df in frappe.get_meta(doctype).fields if cint(df.permlevel)
	} | ALWAYS_RESTRICTED.get(doctype, set())


TIMELINE_SILENT_FIELDS = {
	"Customer Order": {
		"workflow_state",
		"status",
		"review_decision",
		"current_review_stage",
		"following_review_stage",
		"reviewed_by",
		"reviewed_on",
		"review_comment",
	}
}
"""Server-owned fields whose changes the timeline tells otherwise: a review decision is an Info comment
(review.workflow.add_decision_to_timeline) and the workflow adds its own state comment."""


def strip_restricted_fields(version, method: str | None = None) -> None:
	"""Version before_insert: drop the changes of permlevel > 0 fields (and of rows of such tables),
	and the noise: changes from one empty value to another (0 to null) and of review fields."""
	if version.ref_doctype and version.data:
		version.data = stripped_data(version.ref_doctype, version.data)


def is_empty(value) -> bool:
	return value in (None, "", 0, 0.0, "0") or value == []


def timeline_data(ref_doctype: str, data: dict) -> dict:
	"""A Version diff without the changes the timeline should not show: empty to empty, and the
	fields of TIMELINE_SILENT_FIELDS."""
	silent = TIMELINE_SILENT_FIELDS.get(ref_doctype, set())

	def kept(change) -> bool:
		return change[0] not in silent and not (is_empty(change[1]) and is_empty(change[2]))

	data = dict(data)
	data["changed"] = [change for change in data.get("changed") or [] if kept(change)]
	row_changed = []
	for table, index, row_name, changes in data.get("row_changed") or []:
		changes = [change for change in changes if kept(change)]
		if changes:
			row_changed.append([table, index, row_name, changes])
	data["row_changed"] = row_changed
	return data


def doctypes_with_restricted_fields() -> list[str]:
	return [
		name
		for name in frappe.get_all("DocType", filters={"module": APP_MODULE, "istable": 0}, pluck="name")
		if restricted_fieldnames(name)
		or any(restricted_fieldnames(df.options) for df in frappe.get_meta(name).get_table_fields())
	]


def stripped_data(ref_doctype: str, raw: str) -> str:
	"""A Version's data (JSON) without the restricted fields of `ref_doctype` and of its child tables."""
	meta = frappe.get_meta(ref_doctype)
	if meta.module != APP_MODULE:
		return raw
	restricted = restricted_fieldnames(meta.name)
	child_restricted = {
		df.fieldname: restricted_fieldnames(df.options) for df in meta.get_table_fields() if df.options
	}
	try:
		data = json.loads(raw)
	except ValueError:
		return raw
	if not isinstance(data, dict):
		return raw
	data["changed"] = [change for change in data.get("changed") or [] if change[0] not in restricted]
	for key in ("added", "removed"):
		data[key] = [
			[table, {k: v for k, v in row.items() if k not in child_restricted.get(table, ())}]
			for table, row in data.get(key) or []
			if table not in restricted
		]
	row_changed = []
	for table, index, row_name, changes in data.get("row_changed") or []:
		kept = [change for change in changes if change[0] not in child_restricted.get(table, ())]
		if table not in restricted and kept:
			row_changed.append([table, index, row_name, kept])
	data["row_changed"] = row_changed
	return frappe.as_json(timeline_data(meta.name, data), indent=None, separators=(",", ":"))
