"""Return Request states, statuses and the approvals a request needs (pure logic).

The workflow "Return Request Review" (fixture) moves a request through these states; the
request's `status` mirrors its workflow state, so lists and reports can filter on either.
"""

from __future__ import annotations

DRAFT = "Draft"
SUBMITTED = "Submitted"
UNDER_REVIEW = "Under Review"
APPROVED = "Approved"
REJECTED = "Rejected"
GOODS_RECEIVED = "Goods Received"
REFUNDED = "Refunded"
REPLACED = "Replaced"
CREDITED = "Credited"
CLOSED = "Closed"
CANCELLED = "Cancelled"

STATUSES = (
	DRAFT,
	SUBMITTED,
	UNDER_REVIEW,
	APPROVED,
	REJECTED,
	GOODS_RECEIVED,
	REFUNDED,
	REPLACED,
	CREDITED,
	CLOSED,
	CANCELLED,
)

NOT_OPEN = (REJECTED, CLOSED, CANCELLED)
"""Requests in these states no longer hold quantities of the lines they name."""

AWAITING_DECISION = (SUBMITTED, UNDER_REVIEW)
"""A reviewer may approve or reject (a Submitted request is put Under Review first)."""

SETTLED = (GOODS_RECEIVED, REFUNDED, REPLACED, CREDITED, CLOSED)
"""Goods came back: the request can no longer be cancelled."""

REFUND = "Refund"
EXCHANGE = "Exchange"
STORE_CREDIT = "Store Credit"

APPROVED_DECISION = "Approved"
REJECTED_DECISION = "Rejected"


def status_of(docstatus: int, workflow_state: str | None) -> str:
	"""The status that mirrors the workflow state (Draft/Submitted/Cancelled without a workflow)."""
	if docstatus == 0:
		return DRAFT
	if docstatus == 2:
		return CANCELLED
	if workflow_state in STATUSES and workflow_state not in (DRAFT, CANCELLED):
		return workflow_state
	return SUBMITTED


def approvals_needed(resolution_type: str | None, total_amount: float, refund_threshold: float) -> int:
	"""Refunds at or above the threshold need two approvals by two different people (no threshold
	set: one approval)."""
	if resolution_type == REFUND and refund_threshold and float(total_amount or 0) >= float(refund_threshold):
		return 2
	return 1


def decision_of(decision: str | None) -> str | None:
	"""Normalise an action or decision ("Approve", "approved", "Reject", ...) to the recorded decision."""
	text = (decision or "").strip().lower()
	if text in ("approve", "approved"):
		return APPROVED_DECISION
	if text in ("reject", "rejected"):
		return REJECTED_DECISION
	return None


INDICATOR_COLOURS = {
	DRAFT: "red",
	SUBMITTED: "blue",
	UNDER_REVIEW: "orange",
	APPROVED: "cyan",
	REJECTED: "red",
	GOODS_RECEIVED: "purple",
	REFUNDED: "green",
	REPLACED: "green",
	CREDITED: "green",
	CLOSED: "gray",
	CANCELLED: "gray",
}
"""Mirrored by return_request_list.js for the list view."""
