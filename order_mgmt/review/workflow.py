"""Multi-level review on the Customer Order workflow (fixture "Customer Order Review").

The Frappe Workflow gives the states, buttons and roles; this module keeps it honest:
which stage an order waits for (current/following stage fields the transition conditions
read), the Order Review record of every decision, the four-eyes principle, comments on
rejection and return, and "already decided" for concurrent reviewers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.model.workflow import apply_workflow
from frappe.utils import add_to_date, cint, flt, now_datetime

from order_mgmt import server_owned
from order_mgmt.accounting.credit import check_credit_authority
from order_mgmt.orders import status as order_status
from order_mgmt.review import notifications, workflow_actions
from order_mgmt.review.engine import next_stages
from order_mgmt.review.facts import compute_route, hold_reasons_as_checks, route_of
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

DRAFT = "Draft"
APPROVED = "Approved"
REJECTED = "Rejected"
RETURNED = "Returned for Changes"
ON_HOLD = "On Hold"
CANCELLED = "Cancelled"

DECISION_OF_STATE = {REJECTED: "Rejected", RETURNED: "Returned for Changes"}
COMMENT_REQUIRED = ("Rejected", "Returned for Changes")


class ReviewError(frappe.ValidationError):
	pass


class AlreadyDecidedError(ReviewError):
	"""Someone else decided (or the order moved on) first."""


class FourEyesError(ReviewError):
	"""The same person may not create and review, or approve two stages of, one order."""


class RouteChangedError(ReviewError):
	pass


def stage_states() -> dict[str, str]:
	"""Order Review Stage -> the workflow state an order is in while it waits for that stage."""
	return dict(frappe.get_all("Order Review Stage", fields=["name", "workflow_state"], as_list=True))


def stage_of_state(state: str | None) -> str | None:
	return next((stage for stage, s in stage_states().items() if s == state), None)


def expected_state(order: CustomerOrder) -> str:
	if order.current_review_stage:
		return stage_states().get(order.current_review_stage) or order.current_review_stage
	return APPROVED


def is_workflow_active() -> bool:
	return bool(frappe.get_meta("Customer Order").get_workflow())


# --- submit -----------------------------------------------------------------------------------


def set_route_on_submit(order: CustomerOrder) -> None:
	"""The route is decided again from the order as submitted (a submit call may carry other lines than
	the saved draft); the stage it waits for first may not differ from the one the draft was saved with,
	which the workflow's transitions were offered for."""
	saved_stage = order.current_review_stage  # the stored value (order_mgmt.server_owned)
	compute_route(order)
	if not order.is_new() and order.current_review_stage != saved_stage:
		raise_route_changed(order)


def raise_route_changed(order: CustomerOrder) -> None:
	frappe.throw(
		_(
			"The review this order needs changed since it was saved (now: {0}). Save the order and submit it again."
		).format(order.review_route or _("none")),
		RouteChangedError,
	)


def before_submit(order: CustomerOrder) -> None:
	expected = expected_state(order)
	if order.workflow_state in (None, "", DRAFT) or not is_workflow_active():
		order.workflow_state = expected  # a programmatic submit, not a workflow action
	elif order.workflow_state != expected:
		raise_route_changed(order)
	if order.current_review_stage:
		order.status = order_status.PENDING_REVIEW
		order.review_decision = "Held for Review"
	else:
		order.status = order_status.APPROVED
		order.review_decision = "Auto-approved"
		order.reviewed_on = now_datetime()


def on_submit(order: CustomerOrder) -> None:
	if order.current_review_stage:
		open_review(order, order.current_review_stage)
	else:
		from order_mgmt.review.actions import auto_approve_on_submit

		auto_approve_on_submit(order)


def open_review(order: CustomerOrder, stage: str) -> str:
	"""An order enters a stage: a pending Order Review record, and ToDos for the stage's reviewers."""
	stage_doc = frappe.get_cached_doc("Order Review Stage", stage)
	requested_on = now_datetime()
	changes, restricted_changes = changes_since_amended_order(order)
	hours = flt(stage_doc.sla_hours) or flt(get_settings().default_sla_hours) or 24
	review = frappe.get_doc(
		{
			"doctype": "Order Review",
			"customer_order": order.name,
			"customer": order.customer,
			"stage": stage,
			"decision": "Pending",
			"requested_on": requested_on,
			"sla_due": add_to_date(requested_on, hours=hours),
			"changes": changes,
			"restricted_changes": restricted_changes,
			# the facts the submit decided on (review.facts.compute_route); later stages: none
			"decision_facts": order.flags.get("decision_facts"),
		}
	)
	with server_owned.writing(review):
		review.insert(ignore_permissions=True)
	notifications.assign_stage_reviewers(order, stage_doc)
	return review.name


def changes_since_amended_order(order: CustomerOrder) -> tuple[str | None, str | None]:
	"""Frappe's version diff between the amended order and this one, as readable lines, in two lists:
	what changed in the fields anyone reading the order sees, and (for the review's permlevel-1 field)
	how the restricted figures moved (credit limit and exposure, line valuation). Fields only the
	server writes (no_copy or hidden: status, review fields, duplicate key, amended from; and the
	name and docstatus) are left out: they change on every amendment and tell a reviewer nothing."""
	if not order.amended_from:
		return None, None
	from frappe.core.doctype.version.version import get_diff

	original = frappe.get_doc("Customer Order", order.amended_from)
	diff = get_diff(original, order, compare_cancelled=True) or {}
	public: list[str] = []
	restricted: list[str] = []

	def place(meta, fieldname: str, line: str) -> None:
		df = meta.get_field(fieldname)
		if not df:
			return  # name, docstatus
		if cint(df.permlevel):
			restricted.append(line)
		elif not (df.no_copy or df.hidden):
			public.append(line)

	for field, old, new in diff.get("changed", []):
		place(order.meta, field, f"{frappe.bold(_(order.meta.get_label(field)))}: {old} → {new}")
	item_meta = frappe.get_meta("Customer Order Item")
	for table, row_index, _row_name, changes in diff.get("row_changed", []):
		if table == "items":
			for field, old, new in changes:
				label = _(item_meta.get_label(field))
				place(item_meta, field, f"{_('Row {0}').format(row_index + 1)} {label}: {old} → {new}")
	for table, row in diff.get("added", []):
		if table == "items":
			public.append(_("Row added: {0}").format(row.get("item_code")))
	for table, row in diff.get("removed", []):
		if table == "items":
			public.append(_("Row removed: {0}").format(row.get("item_code")))
	return "\n".join(public) or _("No changes to the order's fields"), "\n".join(restricted) or None


# --- transitions on a submitted order ---------------------------------------------------------


def before_update_after_submit(order: CustomerOrder) -> None:
	before = order.get_doc_before_save()
	old_state, new_state = (before.workflow_state if before else None), order.workflow_state
	if not before or old_state == new_state:
		return
	# Concurrent reviewers queue on the row lock; the later one finds the state moved on.
	locked_state = frappe.db.get_value("Customer Order", order.name, "workflow_state", for_update=True)
	if locked_state != old_state:
		raise_stage_decided(order.name, locked_state, old_state)

	stage = stage_of_state(old_state)
	user = frappe.session.user
	transition = frappe._dict(old=old_state, new=new_state, stage=stage, decision=None, comment=None)
	comment = (frappe.flags.get("order_review_comment") or "").strip() or None
	if stage and new_state != ON_HOLD:
		decision = DECISION_OF_STATE.get(new_state, "Approved")
		if decision in COMMENT_REQUIRED and not comment:
			frappe.throw(
				_("Give a comment to say why the order is {0}").format(_(decision).lower()),
				ReviewError,
				title=_("Comment Required"),
			)
		check_four_eyes(order, stage, user, decision)
		if decision == "Approved":
			check_credit_authority(order, stage, new_state == APPROVED, user)
		record_decision(order, stage, decision, user, comment)
		transition.update(decision=decision, comment=comment)
		if decision == "Approved":
			approved = approved_stages(order.name) | {stage}
			order.current_review_stage, order.following_review_stage = next_stages(route_of(order), approved)
		if decision != "Approved":
			order.review_decision = decision
		elif new_state == APPROVED:
			order.review_decision = "Approved"
		else:
			order.review_decision = "Held for Review"  # approved this stage; another one is to come
		order.reviewed_by = user
		order.reviewed_on = now_datetime()
		order.review_comment = comment

	elif new_state == APPROVED:
		check_credit_authority(order, None, True, user)  # released from hold straight to approval
	order.status = status_of_state(new_state, order)
	order.flags.review_transition = transition
	if new_state == APPROVED and not order.sales_order:
		from order_mgmt.erpnext_bridge.stock_reservation import lock_stock_of_order

		lock_stock_of_order(order)


def on_update_after_submit(order: CustomerOrder) -> None:
	transition = order.flags.pop("review_transition", None)
	if not transition:
		return
	if transition.decision:
		add_decision_to_timeline(order, transition.stage, transition.decision, transition.comment)
		notifications.close_stage_assignments(order)
		notifications.notify_owner_of_decision(
			order, transition.stage, transition.decision, transition.comment
		)
	new_stage = stage_of_state(transition.new)
	if new_stage and transition.old != ON_HOLD:
		open_review(order, new_stage)
	if transition.new == APPROVED and not order.sales_order:
		from order_mgmt.review.actions import hand_off

		hand_off(order)
	# The decision entry and the workflow's own comment tell this step; a Version would only repeat
	# the server-owned review fields (and, after the hand-off's reload, 0-to-null noise).
	order.flags.ignore_version = not timeline_worthy_changes(order)


def add_decision_to_timeline(order: CustomerOrder, stage: str, decision: str, comment: str | None) -> None:
	"""An Info comment on the order: who decided which stage, how, and why. Written in the language of
	the session (as Frappe's own workflow comment); the reviewer's comment is escaped. No figures of
	the review checks: everyone who reads the order sees its timeline."""
	text = _("{0} review: {1} by {2}").format(
		frappe.bold(_(stage)), frappe.bold(_(decision)), frappe.utils.get_fullname(frappe.session.user)
	)
	if comment:
		text += f" — {frappe.utils.escape_html(comment)}"
	order.add_comment("Info", text)


def timeline_worthy_changes(order: CustomerOrder) -> bool:
	"""Whether the save's Version would show anything once review fields and empty-to-empty changes
	are left out (order_mgmt.review.restricted_fields.timeline_data)."""
	from frappe.core.doctype.version.version import get_diff

	from order_mgmt.review.restricted_fields import timeline_data

	before = order.get_doc_before_save()
	if not before:
		return True
	data = timeline_data(order.doctype, get_diff(before, order) or {})
	return any(data.get(key) for key in ("changed", "added", "removed", "row_changed"))


def status_of_state(state: str, order: CustomerOrder) -> str:
	if stage_of_state(state):
		return order_status.PENDING_REVIEW
	return {
		APPROVED: order.status if order.status in order_status.FULFILMENT else order_status.APPROVED,
		REJECTED: order_status.REJECTED,
		RETURNED: order_status.RETURNED_FOR_CHANGES,
		ON_HOLD: order_status.ON_HOLD,
	}.get(state, order.status)


def check_four_eyes(order: CustomerOrder, stage: str, user: str, decision: str) -> None:
	"""Enforced here, on the server, for every user (System Managers included) unless settings allow."""
	settings = get_settings()
	if user == order.owner and not cint(settings.allow_self_approval):
		frappe.throw(
			_("You created {0}, so another person must review it (four-eyes principle)").format(order.name),
			FourEyesError,
			title=_("Four-Eyes Principle"),
		)
	if decision == "Approved" and not cint(settings.allow_multi_stage_approval):
		other_stage = frappe.db.get_value(
			"Order Review",
			{"customer_order": order.name, "reviewer": user, "decision": "Approved", "stage": ("!=", stage)},
			"stage",
		)
		if other_stage:
			frappe.throw(
				_("You approved the {0} stage of {1}; another person must approve the {2} stage").format(
					_(other_stage), order.name, _(stage)
				),
				FourEyesError,
				title=_("Four-Eyes Principle"),
			)


def approved_stages(order_name: str) -> set[str]:
	return set(
		frappe.get_all(
			"Order Review", filters={"customer_order": order_name, "decision": "Approved"}, pluck="stage"
		)
	)


def record_decision(order: CustomerOrder, stage: str, decision: str, user: str, comment: str | None) -> str:
	name = frappe.db.get_value(
		"Order Review", {"customer_order": order.name, "stage": stage, "decision": "Pending"}, "name"
	)
	review = frappe.get_doc("Order Review", name) if name else frappe.new_doc("Order Review")
	review.update(
		{
			"customer_order": order.name,
			"customer": order.customer,
			"stage": stage,
			"decision": decision,
			"reviewer": user,
			"decided_on": now_datetime(),
			"comment": comment,
			"requested_on": review.requested_on or now_datetime(),
		}
	)
	review.set("checks", hold_reasons_as_checks(order))
	review.flags.ignore_permissions = True
	with server_owned.writing(review):
		review.save()
	return review.name


def raise_already_decided(name: str, state: str | None, error: type[Exception] = AlreadyDecidedError) -> None:
	"""A concurrent reviewer lost the race (orders here, return requests in returns.review)."""
	frappe.throw(
		_("{0} was already decided by someone else: it is now {1}. Reload it to see the decision.").format(
			name, _(state or "")
		),
		error,
		title=_("Already Decided"),
	)


def may_hear_decision(expected_state: str | None, user: str | None = None) -> bool:
	"""Who may be told that a stage was decided although they can no longer read the order: those who
	could act on that stage (its reviewer role) and managers; nobody else learns anything of it."""
	from order_mgmt.review.permissions import has_full_access

	user = user or frappe.session.user
	if has_full_access(user):
		return True
	stage = stage_of_state(expected_state)
	role = stage and frappe.db.get_value("Order Review Stage", stage, "role")
	return bool(role) and role in frappe.get_roles(user)


def raise_stage_decided(name: str, state: str | None, expected_state: str | None) -> None:
	"""The order left the state the user saw: say who decided that stage and when, if it was decided."""
	stage = stage_of_state(expected_state)
	review = stage and frappe.db.get_value(
		"Order Review",
		{"customer_order": name, "stage": stage, "decision": ("!=", "Pending")},
		["reviewer", "decided_on", "decision"],
		as_dict=True,
		order_by="decided_on desc",
	)
	if not review or not review.reviewer:
		raise_already_decided(name, state)
	frappe.throw(
		_(
			"{0} was already decided by {1} at {2} ({3}): it is now {4}. Reload it to see the decision."
		).format(
			name,
			frappe.utils.get_fullname(review.reviewer),
			frappe.utils.format_datetime(review.decided_on),
			_(review.decision),
			_(state or ""),
		),
		AlreadyDecidedError,
		title=_("Already Decided"),
	)


# --- the action endpoint (desk buttons and API) ------------------------------------------------


BUSY_ATTEMPTS = 3
"""How often an action is tried when a deadlock or lock wait ends its transaction."""


@frappe.whitelist(methods=["POST"])
def take_action(
	name: str, action: str, comment: str | None = None, expected_state: str | None = None
) -> dict:
	"""Apply a workflow action with a comment. `expected_state` is the state the user saw: if the
	order has moved on since, nothing happens and the user is told it was already decided.

	A deadlock or lock wait ends the whole transaction (order_mgmt.review.actions.atomic): the action
	is then done again from the start, a few times, when that transaction held nothing but this
	action (an API or form call); otherwise the caller gets the "database busy" error."""
	from order_mgmt.review.actions import DatabaseBusyError

	retry_safe = not frappe.db.transaction_writes
	for attempt in range(1, BUSY_ATTEMPTS + 1):
		try:
			return _take_action(name, action, comment, expected_state)
		except DatabaseBusyError:
			if not retry_safe or attempt == BUSY_ATTEMPTS:
				raise
			frappe.clear_last_message()
			frappe.db.rollback()
			time.sleep(0.2 * attempt)  # let the other transaction finish
	raise AssertionError("unreachable")


def _take_action(name: str, action: str, comment: str | None, expected_state: str | None) -> dict:
	from order_mgmt.review.actions import atomic

	# A stale form first: a reviewer of the stage they saw is told who decided it, although their
	# read access may have ended with the stage; anyone else only gets "not permitted".
	if expected_state:
		state = frappe.db.get_value("Customer Order", name, "workflow_state")
		if state is not None and state != expected_state and may_hear_decision(expected_state):
			raise_stage_decided(name, state, expected_state)
	if not frappe.has_permission("Customer Order", "read", name):
		frappe.throw(_("Not permitted to read {0}").format(name), frappe.PermissionError)
	with atomic("review_action"):
		state = frappe.db.get_value("Customer Order", name, "workflow_state", for_update=True)
		if state is None:
			frappe.throw(_("Customer Order {0} does not exist").format(name), frappe.DoesNotExistError)
		if expected_state and state != expected_state:
			raise_stage_decided(name, state, expected_state)
		frappe.flags.order_review_comment = comment
		try:
			# apply_workflow loads the order itself (its first step): name it, do not load it for it
			doc = apply_workflow({"doctype": "Customer Order", "name": name}, action)
		finally:
			frappe.flags.order_review_comment = None
	return {"workflow_state": doc.workflow_state, "status": doc.status, "sales_order": doc.sales_order}


# Workflow Actions for Customer Orders only where a reviewer decides (review/workflow_actions.py): in
# place before any Customer Order is saved, as its controller imports this module.
workflow_actions.install()
