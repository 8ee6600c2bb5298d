"""Feedback after delivery: a customer rates one of their delivered orders (1–5) with a comment, once.

The rating, comment and time are fields of the Customer Order that only this module writes: they are
server-owned (the controller's server_owned_fields, order_mgmt/server_owned.py), so whatever a client
sends for them through the desk or the REST API is discarded; here they are written with
frappe.db.set_value after the checks (the user's own order, delivered, not rated yet — read under the
order's row lock, so two submissions cannot both pass). Desk users see them on the order (section
Customer Feedback) and counted in the Customer Satisfaction report.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import cint, format_datetime, now_datetime

from order_mgmt.orders import status as order_status
from order_mgmt.portal import plain
from order_mgmt.portal.orders import get_order

DOCTYPE = "Customer Order"
RATINGS = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000
FEEDBACK_STATUSES = (order_status.DELIVERED, order_status.COMPLETED)
"""An order is rated once it is delivered in full."""
FEEDBACK_LIMIT = 10
FEEDBACK_WINDOW = 60
RATE_LIMIT_KEY = "_portal_rate_limit_user"


class FeedbackError(frappe.ValidationError):
	"""Feedback that cannot be taken (not delivered yet, already given, or no valid rating)."""


def is_delivered(status: str | None, docstatus) -> bool:
	return cint(docstatus) == 1 and status in FEEDBACK_STATUSES


def feedback_context(order_name: str) -> frappe._dict:
	"""What the order page shows: the feedback given, or whether it can be given now."""
	row = frappe.db.get_value(
		DOCTYPE,
		order_name,
		["status", "docstatus", "feedback_rating", "feedback_comment", "feedback_on"],
		as_dict=True,
	)
	given = bool(row and cint(row.feedback_rating))
	return frappe._dict(
		given=given,
		rating=cint(row.feedback_rating) if given else None,
		comment=plain(row.feedback_comment) if given else "",
		on=format_datetime(row.feedback_on) if given and row.feedback_on else "",
		can_give=bool(row) and not given and is_delivered(row.status, row.docstatus),
		ratings=RATINGS,
	)


@frappe.whitelist(methods=["POST"])
def leave_feedback(name: str, rating, comment: str | None = None) -> dict:
	"""Rate one of the user's delivered orders, once."""
	frappe.form_dict[RATE_LIMIT_KEY] = frappe.session.user
	return _leave_feedback(name, rating, comment)


@rate_limit(key=RATE_LIMIT_KEY, limit=FEEDBACK_LIMIT, seconds=FEEDBACK_WINDOW, ip_based=False)
def _leave_feedback(name: str, rating, comment: str | None = None) -> dict:
	order = get_order(name)
	try:
		value = int(str(rating).strip())
	except (TypeError, ValueError):
		value = None
	if value not in RATINGS:
		frappe.throw(_("Choose a rating from 1 to 5"), FeedbackError, title=_("Feedback Not Saved"))
	comment = comment.strip() if isinstance(comment, str) else ""
	if len(comment) > MAX_COMMENT:
		frappe.throw(
			_("A comment can be at most {0} characters").format(MAX_COMMENT),
			FeedbackError,
			title=_("Feedback Not Saved"),
		)
	status, docstatus, given = frappe.db.get_value(
		DOCTYPE, order.name, ["status", "docstatus", "feedback_rating"], for_update=True
	)
	if cint(given):
		frappe.throw(
			_("You have already given feedback on order {0}. Thank you!").format(order.name),
			FeedbackError,
			title=_("Feedback Not Saved"),
		)
	if not is_delivered(status, docstatus):
		frappe.throw(
			_("You can give feedback on order {0} once it has been delivered.").format(order.name),
			FeedbackError,
			title=_("Feedback Not Saved"),
		)
	frappe.db.set_value(
		DOCTYPE,
		order.name,
		{"feedback_rating": value, "feedback_comment": comment or None, "feedback_on": now_datetime()},
		update_modified=False,
	)
	frappe.get_doc(DOCTYPE, order.name).add_comment(
		"Info", _("Customer feedback from {0}: {1} of 5").format(frappe.session.user, value)
	)
	return {"name": order.name, "rating": value}
