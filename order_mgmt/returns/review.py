"""Review of Return Requests on the workflow "Return Request Review" (fixture).

The Frappe Workflow gives the states, buttons and roles; this module keeps it honest: every
decision is recorded in the request's Review Decisions table (whether it came through
review_return or a workflow button), a request is never reviewed by the person who created it,
refunds at or above the threshold need approvals by two different people (the first leaves the
request Under Review), rejections carry a comment, and `status` follows the workflow state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.utils import now_datetime

from order_mgmt.returns import status as rr
from order_mgmt.review import workflow
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.return_request.return_request import ReturnRequest

REVIEWER_ROLES = ("Sales Reviewer", "Order Manager")
"""Who may approve or reject (the workflow's Approve and Reject transitions name the same roles)."""

STATE_OF_DECISION = {rr.APPROVED_DECISION: rr.APPROVED, rr.REJECTED_DECISION: rr.REJECTED}
DECISION_OF_STATE = {state: decision for decision, state in STATE_OF_DECISION.items()}


class ReturnReviewError(frappe.ValidationError):
	pass


class AlreadyDecidedError(ReturnReviewError):
	"""Someone else decided (or the request moved on) first."""


class FourEyesError(ReturnReviewError):
	"""The creator may not review their own request; two approvals need two people."""


# --- controller hooks -------------------------------------------------------------------------


def set_status(request: ReturnRequest) -> None:
	request.status = rr.status_of(request.docstatus, request.workflow_state)


def before_submit(request: ReturnRequest) -> None:
	"""A programmatic submit (not a workflow action) lands in Submitted too."""
	if request.workflow_state in (None, "", rr.DRAFT):
		request.workflow_state = rr.SUBMITTED
	set_status(request)


def before_update_after_submit(request: ReturnRequest) -> None:
	"""A move out of Under Review to Approved or Rejected is a review decision, whichever way it came."""
	before = request.get_doc_before_save()
	old_state = before.workflow_state if before else None
	new_state = request.workflow_state
	if old_state == rr.UNDER_REVIEW and new_state in DECISION_OF_STATE:
		record_decision(
			request, DECISION_OF_STATE[new_state], request.flags.get("review_comment"), frappe.session.user
		)
	set_status(request)


def before_cancel(request: ReturnRequest) -> None:
	if request.status in rr.SETTLED:
		frappe.throw(
			_("{0} is {1}: the goods came back, so it can no longer be cancelled").format(
				request.name, _(request.status)
			),
			ReturnReviewError,
		)
	request.workflow_state = rr.CANCELLED
	request.status = rr.CANCELLED


# --- decisions --------------------------------------------------------------------------------


def record_decision(request: ReturnRequest, decision: str, comment: str | None, user: str) -> None:
	"""Check and record one reviewer's decision; a first approval of a request that needs two keeps
	the request Under Review."""
	check_reviewer(user)
	comment = (comment or "").strip() or None
	if decision == rr.REJECTED_DECISION and not comment:
		frappe.throw(
			_("Give a comment to say why the return is rejected"),
			ReturnReviewError,
			title=_("Comment Required"),
		)
	check_four_eyes(request, decision, user)
	request.append(
		"reviews", {"reviewer": user, "decision": decision, "comment": comment, "decided_on": now_datetime()}
	)
	if decision == rr.APPROVED_DECISION and len(approvers(request)) < approvals_needed(request):
		request.workflow_state = rr.UNDER_REVIEW
		request.flags.awaiting_second_approval = True


def check_reviewer(user: str) -> None:
	if user == "Administrator" or set(REVIEWER_ROLES) & set(frappe.get_roles(user)):
		return
	frappe.throw(
		_("Only a Sales Reviewer or an Order Manager may approve or reject return requests"),
		frappe.PermissionError,
		title=_("Not Permitted"),
	)


def check_four_eyes(request: ReturnRequest, decision: str, user: str) -> None:
	"""Enforced on the server for every user, System Managers and Administrator included."""
	if user == request.owner:
		frappe.throw(
			_("You created {0}, so another person must review it (four-eyes principle)").format(request.name),
			FourEyesError,
			title=_("Four-Eyes Principle"),
		)
	if decision == rr.APPROVED_DECISION and user in approvers(request):
		frappe.throw(
			_("You already approved {0}: the second approval must come from another person").format(
				request.name
			),
			FourEyesError,
			title=_("Four-Eyes Principle"),
		)


def approvers(request: ReturnRequest) -> set[str]:
	return {row.reviewer for row in request.reviews if row.decision == rr.APPROVED_DECISION}


def approvals_needed(request: ReturnRequest) -> int:
	return rr.approvals_needed(
		request.resolution_type, request.total_amount, get_settings().refund_approval_threshold
	)


def raise_already_decided(name: str, state: str | None) -> None:
	workflow.raise_already_decided(name, state, AlreadyDecidedError)


# --- the decision endpoint (form buttons and API) ---------------------------------------------


@frappe.whitelist(methods=["POST"])
def review_return(name: str, decision: str, comment: str | None = None) -> dict:
	"""Approve or reject a submitted Return Request (a Submitted one is put Under Review first).

	The request's row is locked while the decision is made: of two reviewers deciding at once,
	the second waits and then finds the request decided (or, for a refund that needs two
	approvals, gives the second approval)."""
	from order_mgmt.review.actions import atomic

	recorded = rr.decision_of(decision)
	if not recorded:
		frappe.throw(
			_("The decision must be Approve or Reject, not {0}").format(decision or _("(none)")),
			ReturnReviewError,
		)
	frappe.has_permission("Return Request", "read", name, throw=True)
	check_reviewer(frappe.session.user)
	with atomic("return_review"):
		request = frappe.get_doc("Return Request", name, for_update=True)
		if request.docstatus != 1 or request.workflow_state not in rr.AWAITING_DECISION:
			raise_already_decided(name, request.workflow_state or request.status)
		if request.workflow_state == rr.SUBMITTED:
			request.workflow_state = rr.UNDER_REVIEW  # the workflow's "Start Review"
			request.save()
		request.flags.review_comment = comment
		request.workflow_state = STATE_OF_DECISION[recorded]
		request.save()
		if request.workflow_state != rr.UNDER_REVIEW:
			request.add_comment("Workflow", _(request.workflow_state))
	return {
		"workflow_state": request.workflow_state,
		"status": request.status,
		"approvals": len(approvers(request)),
		"approvals_needed": approvals_needed(request),
	}
