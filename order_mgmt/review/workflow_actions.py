"""Frappe's Workflow Actions for Customer Orders only while a person has a decision to take.

Frappe records, on every save of any document with a workflow (its `doc_events["*"]` hook
`process_workflow_actions`), an open *Workflow Action* per state for the roles of the transitions
leaving it, and completes the previous state's: about 15 statements on a draft's insert (one read
per transition leaving Draft) and 8 on its submit. For a Customer Order most of them ask nobody
anything: a draft is its creator's work in progress (every Order Clerk and Sales User would see
every draft as "Submit"), and an approved, rejected or returned order is decided (Order Managers
would see every approved order as "Cancel"). Only the states where a reviewer decides — the review
stages' states and On Hold, those from which an order can be approved — are work to list.

So, for Customer Orders, Frappe's bookkeeping runs unchanged when the order enters such a state;
when it enters another one, the actions left open for the state it leaves are completed (Frappe's
own `update_completed_workflow_actions`) and no new ones are made. Frappe has no flag to skip its
hook, so the hook's function is wrapped (`install`, done when this app's review workflow is
imported, before any Customer Order is saved); every other DocType goes straight to Frappe's.
"""

from __future__ import annotations

import frappe
from frappe.desk.notifications import clear_doctype_notifications
from frappe.model.workflow import get_workflow_name
from frappe.workflow.doctype.workflow_action import workflow_action as frappe_workflow_action

DOCTYPE = "Customer Order"
APPROVED = "Approved"
_INSTALLED = "_order_mgmt_wrapped"


def states_awaiting_decision(workflow_name: str) -> set[str]:
	"""The submitted states of the workflow from which a transition leads to Approved (the review
	stages' states and On Hold); read from the cached Workflow (Frappe clears it when it is saved)."""
	workflow = frappe.get_cached_doc("Workflow", workflow_name)
	submitted = {state.state for state in workflow.states if str(state.doc_status) == "1"}
	return {
		transition.state
		for transition in workflow.transitions
		if transition.next_state == APPROVED and transition.state in submitted
	}


def process_workflow_actions(doc, state):
	"""Frappe's hook for every DocType but Customer Order; for Customer Orders see the module doc."""
	if doc.get("doctype") != DOCTYPE or state == "on_trash":
		return _frappe_process_workflow_actions(doc, state)
	workflow_name = get_workflow_name(DOCTYPE)
	if not workflow_name:
		return
	awaiting = states_awaiting_decision(workflow_name)
	if doc.get("workflow_state") in awaiting:
		return _frappe_process_workflow_actions(doc, state)
	before = doc.get_doc_before_save() if hasattr(doc, "get_doc_before_save") else None
	if before and before.get("workflow_state") in awaiting:
		frappe_workflow_action.update_completed_workflow_actions(
			doc, workflow=workflow_name, workflow_state=doc.get("workflow_state")
		)
		clear_doctype_notifications("Workflow Action")


# Frappe's own function (also when this module is imported again after install: not the wrapper).
_frappe_process_workflow_actions = getattr(
	frappe_workflow_action.process_workflow_actions,
	"__wrapped__",
	frappe_workflow_action.process_workflow_actions,
)


def install() -> None:
	"""Put the wrapper where Frappe's doc_events hook finds it (by module attribute, at each call)."""
	if getattr(frappe_workflow_action.process_workflow_actions, _INSTALLED, False):
		return
	process_workflow_actions.__wrapped__ = _frappe_process_workflow_actions
	setattr(process_workflow_actions, _INSTALLED, True)
	frappe_workflow_action.process_workflow_actions = process_workflow_actions
