"""Order Analytics Facts: one row per submitted (or cancelled) Customer Order with the figures the
Review Performance, Order Cycle Time, Delivery Performance and Order Accuracy reports read, so that a
report over a period is one narrow scan of the facts (index company + order date) instead of joins
across orders, Sales Orders, Delivery Notes, Sales Invoices, Payment Entries, reviews and returns.

What a row holds does not depend on the day it is read: the order's review flags
(review_kpis.order_flags: auto-approved, manual intervention, held, rejected), milestones
(submitted, approved, first delivery, first invoice, paid), the delivery figures of
delivery.OrderDelivery (lines on time or late, the promised dates of the lines not yet delivered —
overdue or open is decided when the report runs), the accuracy facts of accuracy.AccuracyFact, and the
number of lines short at approval. The reports' own gatherers (gather_milestones, gather_line_facts,
gather_accuracy_facts, gather_order_facts, gather_review_facts) compute them from the documents, so
the definitions stay in one place.

Kept up to date (hooks.doc_events, `on_change` and `on_trash`): a document that changes an order's
figures — the order itself (and the order it amends), its Order Reviews, Sales Order, Delivery
Notes, Sales Invoices, Payment Entries, Return Requests, Order Change Requests — marks the orders it
touches; when the transaction commits, the marked orders go to a background job
(`refresh_marked`, queue short) that recomputes them together: a few indexed reads per query and one
upsert statement. So the order's own transaction — and the Bin and customer locks it holds — does not
pay for analytics (about 23 statements and 17 ms per order, measured), and the reports may lag the
documents by the seconds the queue takes. Values the app writes with db_set after the event (the
hand-off's Sales Order link, payment status) are seen. A rollback forgets the marks; `flush` does the
recomputation in place (tests, in place of a commit and the job). `backfill` recomputes every order (patch, benchmark, data written with
SQL) with the same `refresh`, so incremental upkeep and a rebuild cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager

import frappe
from frappe.query_builder.functions import Count, Min
from frappe.utils import add_to_date, now_datetime
from pypika.terms import Values

from order_mgmt.analytics import delivery, review_kpis
from order_mgmt.utils import WaitingSet

FACT = "Order Analytics Fact"
BATCH = 2000
WATCHED = frozenset(
	(
		"Customer Order",
		"Order Review",
		"Sales Order",
		"Delivery Note",
		"Sales Invoice",
		"Payment Entry",
		"Return Request",
		"Order Change Request",
	)
)
# the columns `refresh` writes, besides the standard ones
COLUMNS = (
	"customer_order",
	"company",
	"order_date",
	"customer",
	"channel",
	"order_type",
	"order_docstatus",
	"auto_approved",
	"manual_intervention",
	"held",
	"rejected",
	"submitted_on",
	"approved_on",
	"delivered_on",
	"invoiced_on",
	"paid_on",
	"so_lines",
	"measured_lines",
	"on_time_lines",
	"late_lines",
	"pending_promised",
	"promised",
	"completed_on",
	"deliveries",
	"shortage_lines",
	"cancellation_reason",
	"superseded",
	"amends_approved",
	"applied_changes",
	"returned_for_changes",
	"wrong_item",
	"not_as_described",
)
_PENDING = "order_analytics_pending"
# the orders committed and not yet recomputed, waiting in Redis for one job
WAITING = WaitingSet("order_mgmt:analytics_fact_orders", "order_mgmt.analytics.facts.refresh_marked")


def on_document_change(doc, method=None) -> None:
	"""doc_events `on_change` / `on_trash` of every document (hooks.py): mark the orders a watched
	document touches; nothing else is done before the commit."""
	if doc.doctype in WATCHED:
		mark(affected_orders(doc))
	if doc.doctype in SALES_VOUCHERS:
		mark_sales(doc.doctype, doc.name)


def affected_orders(doc) -> set[str]:
	"""The Customer Orders whose facts a change of `doc` may change."""
	doctype = doc.doctype
	if doctype == "Customer Order":
		# A draft has no facts (only submitted and cancelled orders do) and never had: nothing to refresh.
		own = {doc.name} if doc.get("docstatus") else set()
		return (own | {doc.get("amended_from")}) - {None, ""}
	if doctype in ("Order Review", "Return Request", "Order Change Request"):
		return {doc.get("customer_order")} - {None, ""}
	sales_orders: set[str] = set()
	extra: set[str] = set()
	if doctype == "Sales Order":
		if doc.flags.get("in_hand_off"):  # made for its order just now: no other order links it yet
			return {doc.get("customer_order")} - {None, ""}
		sales_orders.add(doc.name)
		extra.add(doc.get("customer_order"))
	elif doctype == "Delivery Note":
		sales_orders |= {row.against_sales_order for row in doc.items}
	elif doctype == "Sales Invoice":
		sales_orders |= {row.sales_order for row in doc.items}
	elif doctype == "Payment Entry":
		invoices = set()
		for row in doc.get("references") or ():
			if row.reference_doctype == "Sales Order":
				sales_orders.add(row.reference_name)
			elif row.reference_doctype == "Sales Invoice":
				invoices.add(row.reference_name)
		if invoices:
			sales_orders |= set(
				frappe.get_all(
					"Sales Invoice Item",
					filters={"parent": ("in", list(invoices)), "parenttype": "Sales Invoice"},
					pluck="sales_order",
					distinct=True,
				)
			)
	sales_orders -= {None, ""}
	if sales_orders:
		extra |= set(
			frappe.get_all(
				"Customer Order", filters={"sales_order": ("in", list(sales_orders))}, pluck="name"
			)
		)
	return extra - {None, ""}


def mark(names) -> None:
	"""Recompute these orders' facts just before the transaction commits (once, however often they
	are marked)."""
	names = {name for name in names if name}
	if not names:
		return
	pending = getattr(frappe.local, _PENDING, None)
	if pending is None:
		pending = set()
		setattr(frappe.local, _PENDING, pending)
		frappe.db.before_commit.add(hand_over)
		frappe.db.after_rollback.add(_forget)
	pending |= names


def _forget() -> None:
	setattr(frappe.local, _PENDING, None)


def hand_over() -> None:
	"""Before the commit: once it is done, the marked orders go to the background job."""
	pending = getattr(frappe.local, _PENDING, None)
	_forget()
	if pending:
		names = sorted(pending)
		frappe.db.after_commit.add(lambda: queue_for_refresh(names))


def queue_for_refresh(names: list[str]) -> None:
	"""Once the commit is done: the orders wait for the job (utils.WaitingSet)."""
	WAITING.add(names, "Analytics facts not queued")


def refresh_marked() -> None:
	"""The background job (and an hourly safety net): recompute the orders committed since the last run
	(an order committed meanwhile waits for the next job)."""
	names = WAITING.take()
	for start in range(0, len(names), BATCH):
		with _guarded():
			refresh(names[start : start + BATCH])


def flush() -> None:
	"""Recompute the marked orders now (what the commit does; tests call it in place of a commit)."""
	pending = getattr(frappe.local, _PENDING, None)
	_forget()
	if pending:
		with _guarded():
			refresh(sorted(pending))


def backfill(company: str | None = None, batch: int = BATCH) -> int:
	"""Recompute the facts of every submitted or cancelled order (of a company), and the Sales Analytics
	Facts: after install (patch), for the benchmark, or after data was written with SQL. Returns the
	number of orders."""
	backfill_sales(company)
	order = frappe.qb.DocType("Customer Order")
	query = frappe.qb.from_(order).select(order.name).where(order.docstatus >= 1).orderby(order.name)
	if company:
		query = query.where(order.company == company)
	names = [name for (name,) in query.run()]
	fact = frappe.qb.DocType(FACT)
	stale = frappe.qb.from_(fact).delete().where(fact.name.notin(query))
	(stale.where(fact.company == company) if company else stale).run()
	for start in range(0, len(names), batch):
		refresh(names[start : start + batch])
	return len(names)


def refresh(names: list[str]) -> None:
	"""Recompute the facts of these orders from their documents: one upsert for those submitted or
	cancelled, a delete for the others (drafts, deleted orders)."""
	from order_mgmt.order_mgmt.report.delivery_performance.delivery_performance import gather_line_facts
	from order_mgmt.order_mgmt.report.order_accuracy.order_accuracy import gather_accuracy_facts
	from order_mgmt.order_mgmt.report.order_cycle_time.order_cycle_time import gather_milestones
	from order_mgmt.order_mgmt.report.review_performance.review_performance import (
		gather_order_facts,
		gather_review_facts,
	)

	for start in range(0, len(names), BATCH):
		batch = names[start : start + BATCH]
		order = frappe.qb.DocType("Customer Order")
		conditions = (order.docstatus >= 1) & order.name.isin(batch)
		base = (
			frappe.qb.from_(order)
			.select(
				order.name,
				order.company,
				order.order_date,
				order.customer,
				order.channel,
				order.order_type,
				order.docstatus,
			)
			.where(conditions)
			.run()
		)
		gone = set(batch) - {row[0] for row in base}
		if gone:
			fact = frappe.qb.DocType(FACT)
			frappe.qb.from_(fact).delete().where(fact.name.isin(list(gone))).run()
		if not base:
			continue
		milestones = {m.name: m for m in gather_milestones(conditions)}
		deliveries = {d.order: d for d in delivery.summarize(gather_line_facts(conditions))}
		accuracy = {a.name: a for a in gather_accuracy_facts(conditions)}
		shortages = shortage_lines(conditions)
		reviews = defaultdict(list)
		for review in gather_review_facts(conditions):
			reviews[review.customer_order].append(review)
		flags = {o.name: review_kpis.order_flags(o, reviews[o.name]) for o in gather_order_facts(conditions)}
		rows = [
			fact_row(
				row,
				flags.get(row[0], {}),
				milestones.get(row[0]),
				deliveries.get(row[0]),
				accuracy.get(row[0]),
				shortages.get(row[0], 0),
			)
			for row in base
		]
		upsert(rows)


def shortage_lines(conditions) -> dict[str, int]:
	"""Per order: its lines short at approval or with a shortage decision."""
	order, line = frappe.qb.DocType("Customer Order"), frappe.qb.DocType("Customer Order Item")
	return dict(
		frappe.qb.from_(line)
		.join(order)
		.on(order.name == line.parent)
		.select(line.parent, Count("*"))
		.where(
			(line.parenttype == "Customer Order")
			& ((line.shortage_qty > 0) | (line.shortage_action.isnotnull() & (line.shortage_action != "")))
			& conditions
		)
		.groupby(line.parent)
		.run()
	)


def fact_row(base, flags: dict, milestones, lines, accuracy, shortages: int) -> tuple:
	"""The values of COLUMNS for one order."""
	name, company, order_date, customer, channel, order_type, docstatus = base
	lines = lines or delivery.OrderDelivery(name, order_date)
	return (
		name,
		company,
		order_date,
		customer,
		channel,
		order_type,
		docstatus,
		int(flags.get("auto_approved", False)),
		int(flags.get("manual", False)),
		int(flags.get("held", False)),
		int(flags.get("rejected", False)),
		milestones.submitted if milestones else None,
		milestones.approved if milestones else None,
		milestones.delivered if milestones else None,
		milestones.invoiced if milestones else None,
		milestones.paid if milestones else None,
		lines.lines,
		lines.measured,
		lines.on_time,
		lines.late,
		delivery.pack_dates(lines.pending),
		lines.promised,
		lines.delivered,
		lines.deliveries,
		shortages,
		accuracy.cancellation_reason if accuracy else None,
		int(bool(accuracy and accuracy.superseded)),
		int(bool(accuracy and accuracy.amends_approved)),
		accuracy.applied_changes if accuracy else 0,
		int(bool(accuracy and accuracy.returned_for_changes)),
		int(bool(accuracy and accuracy.wrong_item)),
		int(bool(accuracy and accuracy.not_as_described)),
	)


def upsert(rows: list[tuple]) -> None:
	"""One INSERT … ON DUPLICATE KEY UPDATE for all the rows (named like their orders)."""
	if not rows:
		return
	now, user = now_datetime(), frappe.session.user if frappe.session else "Administrator"
	fact = frappe.qb.Table(f"tab{FACT}")
	standard = ("name", "owner", "modified_by", "creation", "modified", "docstatus", "idx")
	query = frappe.qb.into(fact).columns(*standard, *COLUMNS)
	for row in rows:
		query = query.insert(row[0], user, user, now, now, 0, 0, *row)
	for column in (*COLUMNS, "modified", "modified_by"):
		query = query.on_duplicate_key_update(fact[column], Values(fact[column]))
	query.run()


# Sales Analytics Facts: one row per line of a submitted Sales Invoice (net amount in the company
# currency, cost = stock quantity × the valuation rate of its Delivery Note line, or its own when the
# invoice moved the stock) or Sales Order (bookings), with the invoice's or order's customer, group and
# territory — what Sales Analysis sums, without reading ERPNext's wide line tables. Kept up to date the
# same way: a Sales Invoice or Sales Order change marks the voucher, its lines are rewritten at commit
# (a delete and one INSERT … SELECT); the hourly resync_after_reposts rewrites a company's invoice lines
# from the date of a completed Repost Item Valuation on, since it changes the valuation rates.
SALES_FACT = "Sales Analytics Fact"
SALES_VOUCHERS = ("Sales Invoice", "Sales Order")
_SALES_COLUMNS = """(name, owner, modified_by, creation, modified, docstatus, idx, voucher_type, voucher,
	company, posting_date, customer, customer_group, territory, item_code, item_group, sales_order,
	order_key, revenue, cost)"""
_INVOICE_LINES = f"""insert into `tab{SALES_FACT}` {_SALES_COLUMNS}
	select concat('SI-', line.name), %(user)s, %(user)s, %(now)s, %(now)s, 0, 0, 'Sales Invoice', si.name,
		si.company, si.posting_date, si.customer, si.customer_group, si.territory, line.item_code,
		line.item_group, line.sales_order, coalesce(line.sales_order, si.name), line.base_net_amount,
		line.stock_qty * (case when dn_line.name is not null then dn_line.incoming_rate
			else line.incoming_rate end)
	from `tabSales Invoice Item` line
	join `tabSales Invoice` si on si.name = line.parent
	left join `tabDelivery Note Item` dn_line on dn_line.name = line.dn_detail
	where si.docstatus = 1 and {{where}}"""
_ORDER_LINES = f"""insert into `tab{SALES_FACT}` {_SALES_COLUMNS}
	select concat('SO-', line.name), %(user)s, %(user)s, %(now)s, %(now)s, 0, 0, 'Sales Order', so.name,
		so.company, so.transaction_date, so.customer, so.customer_group, so.territory, line.item_code,
		line.item_group, so.name, so.name, line.base_net_amount, 0
	from `tabSales Order Item` line
	join `tabSales Order` so on so.name = line.parent
	where so.docstatus = 1 and {{where}}"""
_PENDING_SALES = "sales_analytics_pending"


def mark_sales(doctype: str, name: str) -> None:
	pending = getattr(frappe.local, _PENDING_SALES, None)
	if pending is None:
		pending = set()
		setattr(frappe.local, _PENDING_SALES, pending)
		frappe.db.before_commit.add(flush_sales)
		frappe.db.after_rollback.add(_forget_sales)
	pending.add((doctype, name))


def _forget_sales() -> None:
	setattr(frappe.local, _PENDING_SALES, None)


def flush_sales() -> None:
	pending = getattr(frappe.local, _PENDING_SALES, None)
	_forget_sales()
	for doctype in SALES_VOUCHERS:
		names = sorted(name for kind, name in pending or () if kind == doctype)
		if names:
			with _guarded():
				refresh_sales(doctype, names)


@contextmanager
def _guarded():
	"""A failing recomputation must not stop the commit of the documents that marked it: its writes are
	undone (savepoint), it is logged (Error Log) and the facts stay as they were until the next change
	or a backfill. Tests see the error."""
	frappe.db.savepoint("analytics_facts")
	try:
		yield
	except Exception:
		if frappe.flags.in_test:
			raise
		frappe.db.rollback(save_point="analytics_facts")
		frappe.log_error(title="Analytics facts not recomputed")


def _values() -> dict:
	return {"user": frappe.session.user if frappe.session else "Administrator", "now": now_datetime()}


def refresh_sales(doctype: str, names: list[str]) -> None:
	"""Rewrite the lines of these vouchers (none for those not submitted)."""
	fact = frappe.qb.DocType(SALES_FACT)
	frappe.qb.from_(fact).delete().where((fact.voucher_type == doctype) & fact.voucher.isin(names)).run()
	if doctype == "Sales Invoice":
		frappe.db.sql(_INVOICE_LINES.format(where="si.name in %(names)s"), {**_values(), "names": names})
	else:
		frappe.db.sql(_ORDER_LINES.format(where="so.name in %(names)s"), {**_values(), "names": names})


def backfill_sales(company: str | None = None, from_date=None) -> None:
	"""Rewrite the lines of every submitted Sales Invoice and Sales Order (of a company; invoices and
	orders dated from `from_date` on)."""
	fact = frappe.qb.DocType(SALES_FACT)
	stale = frappe.qb.from_(fact).delete()
	if company:
		stale = stale.where(fact.company == company)
	if from_date:
		stale = stale.where(fact.posting_date >= from_date)
	stale.run()
	values = {**_values(), "company": company, "from_date": from_date}
	for template, alias, date_field in (
		(_INVOICE_LINES, "si", "posting_date"),
		(_ORDER_LINES, "so", "transaction_date"),
	):
		where = ["1 = 1"]
		if company:
			where.append(f"{alias}.company = %(company)s")
		if from_date:
			where.append(f"{alias}.{date_field} >= %(from_date)s")
		frappe.db.sql(template.format(where=" and ".join(where)), values)


def resync_after_reposts(hours: int = 2) -> None:
	"""Hourly (hooks.scheduler_events): ERPNext's Repost Item Valuation changes the valuation rates of
	stock moved on or after its date without a document event (its status is written with db_set);
	rewrite the invoice lines of each company from the earliest date of the reposts completed in the
	last `hours`."""
	repost = frappe.qb.DocType("Repost Item Valuation")
	for company, from_date in (
		frappe.qb.from_(repost)
		.select(repost.company, Min(repost.posting_date))
		.where(
			(repost.status == "Completed")
			& (repost.docstatus == 1)
			& (repost.modified >= add_to_date(now_datetime(), hours=-hours))
		)
		.groupby(repost.company)
		.run()
	):
		backfill_sales(company, from_date)
