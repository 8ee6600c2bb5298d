"""Orders at risk on the Frappe side: gather the facts of open approved orders in a few queries,
grade them with the pure `fulfilment/risk.py`, keep one Order Risk per order, and give each new
reason's responsible people a ToDo in their own language.

Runs hourly (hooks.scheduler_events) and after the events that change a risk (a pick list, a
delivery, a payment, a re-promise) for the orders they touch.
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.desk.form.assign_to import add as add_assignment
from frappe.utils import flt, getdate, now_datetime, nowdate

from order_mgmt import server_owned
from order_mgmt.accounting.payment_gate import DEPOSIT, PREPAID
from order_mgmt.fulfilment.promising import work_calendar
from order_mgmt.fulfilment.risk import (
	CREDIT_HOLD,
	NOT_PICKED,
	PAYMENT_DUE,
	SHORTAGE_UNDECIDED,
	SUPPLY_SLIPPED,
	LineFacts,
	OrderFacts,
	Risk,
	RiskSettings,
	assess,
)
from order_mgmt.review.notifications import in_language, user_language, users_with_role

ROLE_OF = {"Warehouse": "Warehouse Reviewer", "Finance": "Finance Reviewer", "Sales": "Sales Reviewer"}


def reason_text(code: str, line_idx: int | None, days_left: int | None) -> str:
	when = (
		_("promise passed {0} working days ago").format(-days_left)
		if days_left is not None and days_left < 0
		else _("{0} working days to the promise").format(days_left)
	)
	texts = {
		NOT_PICKED: _("Row {0}: not picked yet ({1})"),
		SHORTAGE_UNDECIDED: _("Row {0}: short, and the customer has not decided ({1})"),
		SUPPLY_SLIPPED: _("Row {0}: promised after the requested date ({1})"),
		PAYMENT_DUE: _("Prepayment not received ({1})"),
		CREDIT_HOLD: _("Credit hold still open ({1})"),
	}
	return texts[code].format(line_idx, when)


def open_orders(names: list[str] | None = None) -> list[dict]:
	order = frappe.qb.DocType("Customer Order")
	query = (
		frappe.qb.from_(order)
		.select(
			order.name,
			order.customer,
			order.company,
			order.owner,
			order.delivery_date,
			order.grand_total,
			order.payment_status,
			order.payment_terms_template,
		)
		.where(
			(order.docstatus == 1)
			& order.sales_order.isnotnull()
			& (order.sales_order != "")
			& (order.per_delivered < 100)
		)
	)
	if names is not None:
		if not names:
			return []
		query = query.where(order.name.isin(names))
	return query.run(as_dict=True)


def gather(orders: list[dict]) -> list[OrderFacts]:
	names = [o.name for o in orders]
	if not names:
		return []
	line, so_item = frappe.qb.DocType("Customer Order Item"), frappe.qb.DocType("Sales Order Item")
	rows = (
		frappe.qb.from_(line)
		.left_join(so_item)
		.on(so_item.name == line.sales_order_item)
		.select(
			line.parent,
			line.name,
			line.idx,
			line.delivery_date,
			line.expected_date,
			line.shortage_qty,
			line.shortage_action,
			line.stock_qty,
			so_item.qty,
			so_item.delivered_qty,
			so_item.picked_qty,
			so_item.conversion_factor,
		)
		.where(line.parent.isin(names))
	).run(as_dict=True)
	templates = {o.payment_terms_template for o in orders if o.payment_terms_template}
	holding = set(
		frappe.get_all(
			"Payment Terms Template",
			filters={
				"name": ("in", list(templates) or [""]),
				"order_payment_gate": ("in", [PREPAID, DEPOSIT]),
			},
			pluck="name",
		)
	)
	lines_of: dict[str, list[LineFacts]] = defaultdict(list)
	by_order = {o.name: o for o in orders}
	for r in rows:
		order = by_order[r.parent]
		requested = (
			getdate(r.delivery_date or order.delivery_date)
			if (r.delivery_date or order.delivery_date)
			else None
		)
		promised = getdate(r.expected_date) if r.expected_date and flt(r.shortage_qty) > 0 else requested
		factor = flt(r.conversion_factor) or 1.0
		delivered = flt(r.delivered_qty) * factor
		pending = max((flt(r.qty) * factor if r.qty is not None else flt(r.stock_qty)) - delivered, 0.0)
		lines_of[r.parent].append(
			LineFacts(
				line=str(r.idx),
				promised_on=promised,
				pending_qty=pending,
				picked_qty=max(flt(r.picked_qty) - delivered, 0.0),
				shortage_qty=flt(r.shortage_qty),
				shortage_decided=bool(r.shortage_action),
				requested_on=requested,
			)
		)
	over_limit = customers_over_credit_limit({(o.customer, o.company) for o in orders})
	return [
		OrderFacts(
			o.name,
			tuple(lines_of.get(o.name, ())),
			awaiting_prepayment=o.payment_terms_template in holding and o.payment_status != "Paid",
			on_credit_hold=(o.customer, o.company) in over_limit,
		)
		for o in orders
	]


def customers_over_credit_limit(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
	"""(customer, company) whose ERPNext outstanding (ledger plus unbilled orders, as ERPNext's own
	credit check counts it) is over their credit limit now: their deliveries will be held."""
	from erpnext.selling.doctype.customer.customer import get_credit_limit, get_customer_outstanding

	limits = frappe.get_all(
		"Customer Credit Limit",
		filters={"parenttype": "Customer", "parent": ("in", sorted({c for c, _ in pairs}) or [""])},
		fields=["parent", "company"],
	)
	with_limit = {(row.parent, row.company) for row in limits} & pairs
	return {
		(customer, company)
		for customer, company in with_limit
		if flt(get_customer_outstanding(customer, company)) > flt(get_credit_limit(customer, company))
	}


def sweep(names: list[str] | None = None) -> list[Risk]:
	"""Assess open approved orders (all, or `names`), store their risks, resolve the ones that
	are no longer at risk. Returns the risks found."""
	orders = open_orders(names)
	by_name = {o.name: o for o in orders}
	today = getdate(nowdate())
	settings = RiskSettings()
	found = []
	calendars = {}
	for facts in gather(orders):
		order = by_name[facts.order]
		if order.company not in calendars:
			calendars[order.company] = work_calendar(order.company)
		risk = assess(facts, today, calendars[order.company], settings)
		store(order, risk)
		if risk.at_risk:
			found.append(risk)
	if names:
		# Orders no longer open (delivered, cancelled) are not at risk any more.
		for name in set(names) - set(by_name):
			resolve(name)
	else:
		stale = frappe.get_all(
			"Order Risk",
			filters={"status": "Open", "customer_order": ("not in", list(by_name) or [""])},
			pluck="name",
		)
		for name in stale:
			resolve(name)
	return found


def store(order: dict, risk: Risk) -> None:
	exists = frappe.db.exists("Order Risk", order.name)
	if not risk.at_risk:
		if exists:
			resolve(order.name)
		return
	doc = frappe.get_doc("Order Risk", order.name) if exists else frappe.new_doc("Order Risk")
	codes = ",".join(sorted({r.code for r in risk.reasons}))
	new_codes = set(codes.split(",")) - set(
		(doc.reason_codes or "").split(",") if doc.status == "Open" else []
	)
	doc.update(
		{
			"customer_order": order.name,
			"customer": order.customer,
			"grade": risk.grade,
			"status": "Open",
			"promised_on": risk.promised_on,
			"grand_total": order.grand_total,
			"responsible": ", ".join(sorted({_(r.responsible) for r in risk.reasons})),
			"assessed_on": now_datetime(),
			"resolved_on": None,
			"reasons": "\n".join(reason_text(r.code, r.line, r.working_days_left) for r in risk.reasons),
			"reason_codes": codes,
		}
	)
	with server_owned.writing(doc):
		doc.save(ignore_permissions=True) if exists else doc.insert(ignore_permissions=True)
	if new_codes:
		assign(order, risk, new_codes)


def assign(order: dict, risk: Risk, codes: set[str]) -> None:
	"""A ToDo on the order for the people who can resolve each new reason, in their language."""
	for responsible in sorted({r.responsible for r in risk.reasons if r.code in codes}):
		users = [order.owner] if responsible == "Sales" and order.owner != "Administrator" else []
		users = users or users_with_role(ROLE_OF[responsible])
		reasons = [r for r in risk.reasons if r.code in codes and r.responsible == responsible]
		for user in users:
			with in_language(user_language(user)):
				description = _("{0} may miss its delivery promise: {1}").format(
					order.name, "; ".join(reason_text(r.code, r.line, r.working_days_left) for r in reasons)
				)
			add_assignment(
				{
					"assign_to": [user],
					"doctype": "Customer Order",
					"name": order.name,
					"description": description,
					"priority": "High" if risk.grade == "High" else "Medium",
					"date": risk.promised_on,
				},
				ignore_permissions=True,
			)


def resolve(name: str) -> None:
	if not frappe.db.exists("Order Risk", name):
		return
	doc = frappe.get_doc("Order Risk", name)
	if doc.status == "Resolved":
		return
	doc.status, doc.resolved_on = "Resolved", now_datetime()
	with server_owned.writing(doc):
		doc.save(ignore_permissions=True)


def hourly_sweep() -> None:
	sweep()


def on_order_event(doc, method=None) -> None:
	"""After a pick list, delivery, invoice or payment: re-assess the orders it touches, after commit."""
	names = _orders_of(doc)
	if names and frappe.db.exists("Order Risk", {"customer_order": ("in", names)}):
		frappe.enqueue(
			"order_mgmt.fulfilment.risk_sweep.sweep", queue="short", enqueue_after_commit=True, names=names
		)


def _orders_of(doc) -> list[str]:
	sales_orders = {
		row.get("sales_order") or row.get("against_sales_order")
		for row in doc.get("items") or doc.get("locations") or []
		if row.get("sales_order") or row.get("against_sales_order")
	}
	for ref in doc.get("references") or []:
		if ref.get("reference_doctype") == "Sales Order":
			sales_orders.add(ref.reference_name)
	if not sales_orders:
		return []
	return frappe.get_all("Customer Order", filters={"sales_order": ("in", list(sales_orders))}, pluck="name")


def open_risk(order: str) -> dict | None:
	"""The order's open risk for its form (grade, reasons, who acts), if any."""
	risk = frappe.db.get_value(
		"Order Risk",
		{"customer_order": order, "status": "Open"},
		["grade", "reasons", "reason_codes", "responsible", "promised_on", "assessed_on"],
		as_dict=True,
	)
	return dict(risk) if risk else None


@frappe.whitelist(methods=["POST"])
def recheck_order(order: str) -> dict | None:
	"""The form's "Re-check Delivery": re-promise the order's lines against supply now, then grade it."""
	from order_mgmt.fulfilment.promising import repromise_pairs

	frappe.has_permission("Customer Order", "write", order, throw=True)
	doc = frappe.get_doc("Customer Order", order)
	pairs = [(row.item_code, row.warehouse) for row in doc.items if row.warehouse]
	repromise_pairs(pairs, reason=_("re-checked by {0}").format(frappe.utils.get_fullname()))
	sweep([order])
	return open_risk(order)


@frappe.whitelist(methods=["POST"])
def send_payment_reminder(order: str) -> bool:
	"""The form's "Send Payment Reminder" for an order whose prepayment holds its promise: the customer
	gets what is owed, the order link and the company's bank details, in their own language."""
	from order_mgmt.portal.documents import how_to_pay, order_documents
	from order_mgmt.review.notifications import in_language
	from order_mgmt.utils import customer_email, customer_language, email_customer

	frappe.has_permission("Customer Order", "read", order, throw=True)
	if not frappe.has_permission("Payment Entry", "create"):
		frappe.throw(_("Only users who record payments may send payment reminders"), frappe.PermissionError)
	doc = frappe.get_doc("Customer Order", order)
	email = customer_email(doc.customer, doc.contact_person)
	if not email:
		frappe.throw(_("Customer {0} has no email address to send the reminder to").format(doc.customer))
	payment = how_to_pay(doc, order_documents(doc))
	language = customer_language(doc.customer)
	with in_language(language):
		subject = _("Payment for your order {0}").format(doc.name)
		lines = [
			_("Your order {0} ships once it is paid: {1} is outstanding.").format(
				doc.name, payment.outstanding
			),
			_("Order: {0}").format(frappe.utils.get_url(f"/my-orders/{doc.name}")),
		]
		if payment.bank:
			lines.append(
				_("Bank transfer to {0}, {1} {2}, reference {3}").format(
					payment.company,
					payment.bank.bank or "",
					payment.bank.bank_account_no or payment.bank.iban or "",
					payment.payment_reference,
				)
			)
		unsent = _("Payment reminder to {0} not sent: no outgoing Email Account is set up")
	sent = email_customer(doc, email, subject, lines, unsent)
	if sent:
		doc.add_comment("Info", _("Payment reminder sent to {0}").format(email))
	return sent
