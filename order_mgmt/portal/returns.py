"""A portal user's Return Requests: what of an order can be returned, the request form's submission,
and the requests with their review decisions and resulting documents.

The portal creates the request through the DocType, so every rule of returns/validation.py applies
(quantities, window, reasons, photos) with its row-naming messages. Before that, this module checks
what the DocType cannot know: that the order and every line belong to the user's customer and that
a photo is an image the user uploaded. Only then is the request inserted with ignore_permissions
(portal users have no desk permission) and submitted (as the app, like its other follow-ups: the
workflow's Submit transition is a desk role's; the request's owner stays the portal user).
"""

from __future__ import annotations

import mimetypes

import frappe
from frappe import _
from frappe.utils import cint, escape_html, format_date, format_datetime, getdate, nowdate

from order_mgmt.portal import not_found, plain
from order_mgmt.portal.customers import VISIBLE_DOCSTATUS, customer_page, customers_of_user, money
from order_mgmt.portal.orders import get_order, is_visible_order
from order_mgmt.returns import eligibility, validation
from order_mgmt.returns import status as rr
from order_mgmt.returns.deliveries import delivered_lines, delivery_note_rows
from order_mgmt.returns.validation import ReturnNotAllowedError, number, row_label
from order_mgmt.settings import get_settings
from order_mgmt.utils import acting_as

"""Submitted and cancelled requests; drafts are the staff's work in progress."""
RESOLUTION_TYPES = (rr.REFUND, rr.EXCHANGE, rr.STORE_CREDIT)
CONDITIONS = ("Unopened", "Opened", "Damaged", "Defective")


# --- what can be returned ---------------------------------------------------------------------


def returnable_lines(customer_order: str) -> list[frappe._dict]:
	"""The order's delivered lines as the desk's get_returnable_lines gives them, each with `blocked`:
	why it cannot be returned now (not returnable, outside the return window, nothing left), or None.
	Callers check that the order is the user's first."""
	rows = delivery_note_rows(customer_order)
	if not rows:
		return []
	lines = delivered_lines(customer_order, rows=rows)
	returnable = validation.returnable_items(list({row.item_code for row in rows}))
	window = cint(get_settings().return_window_days)
	today = getdate(nowdate())
	result = []
	for row in rows:
		line = lines[row.name]
		if not returnable.get(row.item_code, True):
			blocked = _("This item cannot be returned")
		elif not eligibility.is_within_window(line.delivered_on, today, window):
			blocked = _("The return window of {0} days has passed").format(window)
		elif line.returnable_qty <= eligibility.QTY_TOLERANCE:
			blocked = _("Already returned or requested in full")
		else:
			blocked = None
		result.append(
			frappe._dict(
				item_code=row.item_code,
				item_name=plain(row.item_name),
				delivery_note=row.delivery_note,
				delivery_note_item=row.name,
				delivered_on=format_date(row.posting_date),
				uom=row.uom,
				delivered_qty=line.delivered_qty,
				already_returned_qty=line.already_returned_qty,
				returnable_qty=line.returnable_qty,
				display=frappe._dict(
					delivered_qty=number(line.delivered_qty),
					already_returned_qty=number(line.already_returned_qty),
					returnable_qty=number(line.returnable_qty),
				),
				blocked=blocked,
			)
		)
	return result


def can_request_return(customer_order: str) -> bool:
	return any(not line.blocked for line in returnable_lines(customer_order))


CHOOSER_LIMIT = 50
"""The most recent delivered orders /my-returns/new (without an order) checks for returnable lines."""


def returnable_orders(user: str | None = None) -> frappe._dict:
	"""The user's orders that have something to return now, newest first: for /my-returns/new opened
	without an order. Only orders with a submitted delivery inside the return window are checked."""
	customers = customers_of_user(user)
	if not customers:
		return frappe._dict(linked=False, orders=[])
	window = cint(get_settings().return_window_days)
	order, note, line = (
		frappe.qb.DocType("Customer Order"),
		frappe.qb.DocType("Delivery Note"),
		frappe.qb.DocType("Delivery Note Item"),
	)
	condition = (
		order.customer.isin(customers)
		& (order.docstatus == 1)
		& (note.docstatus == 1)
		& (note.is_return == 0)
		& (note.customer == order.customer)
	)
	if window:
		condition &= note.posting_date >= frappe.utils.add_days(nowdate(), -window)
	candidates = (
		frappe.qb.from_(order)
		.join(line)
		.on(line.against_sales_order == order.sales_order)
		.join(note)
		.on(note.name == line.parent)
		.select(order.name, order.order_date, order.customer_po, order.status)
		.distinct()
		.where(condition)
		.orderby(order.order_date, order=frappe.qb.desc)
		.orderby(order.name, order=frappe.qb.desc)
		.limit(CHOOSER_LIMIT)
	).run(as_dict=True)
	return frappe._dict(
		linked=True,
		orders=[
			frappe._dict(
				name=row.name,
				order_date=format_date(row.order_date),
				customer_po=plain(row.customer_po),
				status=row.status,
			)
			for row in candidates
			if can_request_return(row.name)
		],
	)


def enabled_reasons() -> list[frappe._dict]:
	return frappe.get_all(
		"Return Reason",
		filters={"enabled": 1},
		fields=["name", "description", "requires_photo"],
		order_by="name",
	)


def new_request_context(customer_order: str | None, user: str | None = None) -> frappe._dict:
	"""The return form of one of the user's orders."""
	order = get_order(customer_order, user)
	lines = returnable_lines(order.name) if order.docstatus == 1 else []
	return frappe._dict(
		order=frappe._dict(name=order.name, order_date=format_date(order.order_date), status=order.status),
		lines=lines,
		can_return=any(not line.blocked for line in lines),
		reasons=enabled_reasons(),
		conditions=CONDITIONS,
		resolution_types=RESOLUTION_TYPES,
		window_days=cint(get_settings().return_window_days),
	)


# --- the form's submission --------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def create_return_request(
	customer_order: str, items: str | list, resolution_type: str, notes: str | None = None
) -> dict:
	"""Create and submit the portal user's Return Request for lines of one of their orders.

	`items`: a list (or its JSON) of {delivery_note_item, qty, reason, condition, notes, photo}, the
	photo being the file_url of an image the user uploaded (upload_file, attached to nothing).
	Nothing is saved unless the request is submitted."""
	user = frappe.session.user
	order = get_order(customer_order, user)
	lines = parse_lines(items)
	if resolution_type not in RESOLUTION_TYPES:
		frappe.throw(
			_("Resolution must be one of {0}").format(", ".join(_(option) for option in RESOLUTION_TYPES)),
			ReturnNotAllowedError,
		)
	delivered = {row.name: row for row in delivery_note_rows(order.name)}
	rows, photos, problems = [], set(), []
	for idx, line in enumerate(lines, start=1):
		row, photo, row_problems = request_row(idx, line, delivered, order.name, user)
		rows.append(row)
		problems.extend(row_problems)
		if photo:
			photos.add(photo)
	if problems:
		frappe.throw("<br>".join(problems), ReturnNotAllowedError, title=_("Return Not Allowed"))

	request = frappe.get_doc(
		{
			"doctype": "Return Request",
			"customer": order.customer,
			"customer_order": order.name,
			"posting_date": nowdate(),
			"resolution_type": resolution_type,
			"notes": (notes.strip() or None) if isinstance(notes, str) else None,
			"items": rows,
		}
	)
	request.flags.ignore_permissions = True  # after the checks above: the user has no desk permission
	savepoint = "portal_return_request"
	frappe.db.savepoint(savepoint)
	try:
		request.insert()
		for photo in photos:
			frappe.db.set_value(
				"File", photo, {"attached_to_doctype": "Return Request", "attached_to_name": request.name}
			)
		with acting_as("Administrator"):  # the workflow's Submit belongs to desk roles
			request.submit()
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		raise
	request.add_comment("Info", _("Submitted through the customer portal by {0}").format(user))
	return {"name": request.name, "status": request.status, "route": f"/my-returns/{request.name}"}


def parse_lines(items) -> list[dict]:
	lines = frappe.parse_json(items) if isinstance(items, str) else items
	if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
		frappe.throw(_("The lines to return could not be read"), ReturnNotAllowedError)
	if not lines:
		frappe.throw(_("Add at least one line to return"), ReturnNotAllowedError)
	return lines


def request_row(
	idx: int, line: dict, delivered: dict, customer_order: str, user: str
) -> tuple[dict, str | None, list[str]]:
	"""The Return Request Item for one line of the form, the File of its photo, and its problems.
	The item and delivery come from the order's own delivered line, never from the client."""
	row, problems = row_label(idx), []
	key = line.get("delivery_note_item")
	source = delivered.get(key) if isinstance(key, str) else None
	if not source:
		problems.append(
			_("{0}: Item {1} is not on a submitted Delivery Note of Customer Order {2}").format(
				row, frappe.bold(escape_html(str(line.get("item_code") or ""))), frappe.bold(customer_order)
			)
		)
	reason = line.get("reason") or None
	if reason and not (isinstance(reason, str) and frappe.db.exists("Return Reason", reason)):
		problems.append(
			_("{0}: Return Reason {1} is not enabled").format(row, frappe.bold(escape_html(str(reason))))
		)
	condition = line.get("condition") or None
	if not condition:
		problems.append(_("{0}: Condition is required").format(row))
	elif condition not in CONDITIONS:
		problems.append(
			_("{0}: Condition must be one of {1}").format(row, ", ".join(_(option) for option in CONDITIONS))
		)
	photo_url = line.get("photo") or None
	photo = uploaded_image(photo_url, user) if photo_url else None
	if photo_url and not photo:
		problems.append(_("{0}: the photo is not an image you uploaded").format(row))
	return (
		{
			"item_code": source.item_code if source else None,
			"delivery_note": source.delivery_note if source else None,
			"delivery_note_item": source.name if source else None,
			"qty": line.get("qty"),  # the DocType's coercion refuses what is not a number, naming the row
			"reason": reason,
			"condition": condition,
			"notes": str(line.get("notes") or "").strip() or None,
			"photo": photo_url if photo else None,
		},
		photo,
		problems,
	)


def uploaded_image(file_url, user: str) -> str | None:
	"""The File the user uploaded at file_url, if it is an image attached to nothing yet."""
	if not isinstance(file_url, str):
		return None
	kind = mimetypes.guess_type(file_url)[0] or ""
	if not kind.startswith("image/"):
		return None
	return frappe.db.get_value(
		"File",
		{
			"file_url": file_url,
			"owner": user,
			"is_folder": 0,
			"attached_to_doctype": ("is", "not set"),
		},
		"name",
	)


# --- the user's requests ----------------------------------------------------------------------

LIST_FIELDS = [
	"name",
	"posting_date",
	"customer_order",
	"status",
	"resolution_type",
	"total_qty",
	"total_amount",
	"currency",
]


def request_row_of_list(row) -> frappe._dict:
	return frappe._dict(
		name=row.name,
		posting_date=format_date(row.posting_date),
		customer_order=row.customer_order,
		status=row.status,
		indicator=rr.INDICATOR_COLOURS.get(row.status, "gray"),
		resolution_type=row.resolution_type,
		total_qty=number(row.total_qty),
		total_amount=money(row.total_amount, row.currency),
	)


def request_list(page: int = 1, user: str | None = None) -> frappe._dict:
	"""One page of the user's return requests, newest first."""
	result = customer_page(
		"Return Request", LIST_FIELDS, "posting_date desc, creation desc", page, user, request_row_of_list
	)
	return frappe._dict(
		linked=result.linked, requests=result.rows, page=result.page, has_next=result.has_next
	)


def requests_of_order(customer_order: str) -> list[frappe._dict]:
	"""The order's visible return requests (the caller checked the order is the user's)."""
	rows = frappe.get_all(
		"Return Request",
		filters={"customer_order": customer_order, "docstatus": ("in", VISIBLE_DOCSTATUS)},
		fields=LIST_FIELDS,
		order_by="posting_date desc, creation desc",
	)
	return [request_row_of_list(row) for row in rows]


def request_detail(name: str | None, user: str | None = None) -> frappe._dict:
	"""Everything the request page shows: lines, review decisions (decision, date and comment; not
	who decided, nor the timeline's internal comments) and the documents the settlement made."""
	customers = customers_of_user(user)
	request = (
		frappe.db.get_value(
			"Return Request",
			name,
			[*LIST_FIELDS, "customer", "docstatus", "notes", "credit_note", "refund_payment_entry"]
			+ ["replacement_order"],
			as_dict=True,
		)
		if isinstance(name, str) and name and customers
		else None
	)
	if not request or request.customer not in customers or request.docstatus not in VISIBLE_DOCSTATUS:
		not_found("Return Request", name)
	items = frappe.get_all(
		"Return Request Item",
		filters={"parenttype": "Return Request", "parent": request.name},
		fields=["item_code", "item_name", "delivery_note", "qty", "uom", "reason", "condition"]
		+ ["notes", "photo", "amount"],
		order_by="idx",
	)
	for item in items:
		item.qty = number(item.qty)
		item.amount = money(item.amount, request.currency)
		item.item_name = plain(item.item_name)
		item.notes = plain(item.notes)
		if not (item.photo or "").startswith(("/files/", "/private/files/", "https://", "http://")):
			item.photo = None  # only links to files: never a javascript: URL
	decisions = frappe.get_all(
		"Return Request Review",
		filters={"parenttype": "Return Request", "parent": request.name},
		fields=["decision", "comment", "decided_on"],
		order_by="idx",
	)
	for decision in decisions:
		decision.decided_on = format_datetime(decision.decided_on) if decision.decided_on else ""
		decision.comment = plain(decision.comment)
	replacement = request.replacement_order
	return frappe._dict(
		request=frappe._dict(request_row_of_list(request), notes=plain(request.notes)),
		lines=items,
		decisions=decisions,
		credit_note=request.credit_note,
		refund_payment_entry=request.refund_payment_entry,
		replacement_order=replacement,
		replacement_order_visible=bool(replacement) and is_visible_order(replacement, customers),
	)
