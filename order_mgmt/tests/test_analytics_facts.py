"""Order Analytics Facts (analytics/facts.py) follow the documents: each event on real documents marks
the order, the commit's recomputation (facts.flush, called here in place of a commit) writes its
figures, and they equal what a rebuild (facts.refresh) computes from scratch."""

import frappe
from erpnext.controllers.sales_and_purchase_return import make_return_doc
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, getdate, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.analytics import facts
from order_mgmt.fulfilment.picking import deliver_order
from order_mgmt.fulfilment.shortage import decide_shortage
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.tests.test_return_request import make_request
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	manager,
	receive_stock,
	role_user,
	unique,
)

FIELDS = [column for column in facts.COLUMNS if column != "customer_order"]  # every figure a row holds


def picker() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


def accountant() -> str:
	return role_user("accountant", ["Accounts User", "Accounts Manager"])


def committed(order: str) -> frappe._dict | None:
	"""The order's facts after the commit's recomputation; they must equal a rebuild's."""
	facts.flush()
	after_events = frappe.db.get_value(facts.FACT, order, FIELDS, as_dict=True)
	frappe.db.delete(facts.FACT, {"name": order})
	facts.refresh([order])
	rebuilt = frappe.db.get_value(facts.FACT, order, FIELDS, as_dict=True)
	assert after_events == rebuilt, (after_events, rebuilt)
	return after_events


def sales_lines(doctype: str, voucher: str) -> list[tuple]:
	"""The voucher's Sales Analytics Facts (net amount, cost) after the commit's rewrite; they must
	equal a rebuild's."""
	facts.flush_sales()

	def lines():
		return sorted(
			(flt(revenue), flt(cost))
			for revenue, cost in frappe.get_all(
				facts.SALES_FACT, filters={"voucher": voucher}, fields=["revenue", "cost"], as_list=True
			)
		)

	after_events = lines()
	frappe.db.delete(facts.SALES_FACT, {"voucher": voucher})
	facts.refresh_sales(doctype, [voucher])
	assert lines() == after_events, (after_events, lines())
	return after_events


class TestOrderAnalyticsFacts(FrappeTestCase):
	def setUp(self):
		facts.flush()
		self.customer = make_customer()

	def test_approval_delivery_invoice_credit_note_and_payment(self):
		order = make_order(
			self.customer,
			[{"item_code": make_item(rate=100, stock_qty=50), "qty": 2}],
			customer_po=unique("PO"),
			payment_terms_template="Cash on Delivery",
			submit=True,
		)
		self.assertIn(order.name, frappe.local.order_analytics_pending)
		self.assertIsNone(frappe.db.get_value(facts.FACT, order.name))  # not before the commit
		fact = committed(order.name)
		self.assertTrue(order.sales_order)
		self.assertEqual((fact.order_docstatus, fact.so_lines, fact.measured_lines), (1, 1, 1))
		self.assertTrue(fact.submitted_on and fact.approved_on)
		self.assertEqual(fact.pending_promised, str(getdate(add_days(nowdate(), 5))))
		self.assertEqual((fact.on_time_lines, fact.deliveries), (0, 0))

		with acting_as(picker()):
			deliver_order(order.name)
		fact = committed(order.name)
		self.assertEqual((fact.on_time_lines, fact.pending_promised, fact.deliveries), (1, "", 1))
		self.assertEqual(fact.delivered_on, getdate(nowdate()))
		self.assertEqual(fact.completed_on, getdate(nowdate()))

		with acting_as(accountant()):
			invoice = create_sales_invoice(order.name)
		fact = committed(order.name)
		self.assertEqual(fact.invoiced_on, getdate(nowdate()))
		self.assertIsNone(fact.paid_on)

		with acting_as(accountant()):
			grand_total = flt(frappe.db.get_value("Sales Invoice", invoice, "grand_total"))
			register_payment(order.name, grand_total, "Cash", reference_no=unique("REF"))
		fact = committed(order.name)
		self.assertEqual(fact.paid_on, getdate(nowdate()))

		# a credit note for the invoice: the order is touched, its first invoice stays
		credit = make_return_doc("Sales Invoice", invoice)
		credit.insert()
		credit.submit()
		self.assertIn(order.name, frappe.local.order_analytics_pending)
		self.assertEqual(committed(order.name).invoiced_on, getdate(nowdate()))

		# the Sales Analytics Facts: the order's booking, the invoice and the credit note, each line
		# as a rebuild writes it; a cancelled credit note's lines go
		self.assertEqual(sales_lines("Sales Order", order.sales_order), [(200.0, 0.0)])
		self.assertEqual(sales_lines("Sales Invoice", invoice), [(200.0, 100.0)])
		# a completed valuation repost changes rates without an event: the hourly resync catches up
		frappe.db.set_value(facts.SALES_FACT, {"voucher": invoice}, "cost", 999)
		repost = frappe.get_doc(
			{
				"doctype": "Repost Item Valuation",
				"name": unique("RIV"),
				"based_on": "Transaction",
				"voucher_type": "Sales Invoice",
				"voucher_no": invoice,
				"company": frappe.db.get_value("Sales Invoice", invoice, "company"),
				"posting_date": nowdate(),
				"posting_time": "00:00:00",
				"status": "Completed",
				"docstatus": 1,
			}
		)
		repost.db_insert()  # as ERPNext's job leaves it, without its controller
		facts.resync_after_reposts()
		self.assertEqual(sales_lines("Sales Invoice", invoice), [(200.0, 100.0)])
		self.assertEqual([revenue for revenue, _cost in sales_lines("Sales Invoice", credit.name)], [-200.0])
		credit.reload()
		credit.cancel()
		self.assertEqual(sales_lines("Sales Invoice", credit.name), [])

	def test_partial_delivery_and_a_cancelled_delivery_note(self):
		scarce = make_item(stock_qty=3)
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		try:
			order = make_order(self.customer, [{"item_code": scarce, "qty": 5}], submit=True)
		finally:
			frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule)
		fact = committed(order.name)
		self.assertEqual(fact.shortage_lines, 1)
		with acting_as(clerk()):
			decide_shortage(order.name, order.items[0].name, "Ship Partially")
		with acting_as(picker()):
			first = deliver_order(order.name)
		fact = committed(order.name)
		self.assertEqual((fact.deliveries, fact.on_time_lines), (1, 0))
		self.assertTrue(fact.pending_promised)  # 3 of 5 delivered: still pending
		self.assertIsNone(fact.completed_on)
		receive_stock(scarce, 2)
		with acting_as(picker()):
			second = deliver_order(order.name)
		fact = committed(order.name)
		self.assertEqual((fact.deliveries, fact.on_time_lines, fact.pending_promised), (2, 1, ""))

		frappe.get_doc("Delivery Note", second).cancel()
		fact = committed(order.name)
		self.assertEqual((fact.deliveries, fact.on_time_lines), (1, 0))
		self.assertTrue(fact.pending_promised)
		self.assertEqual(fact.delivered_on, frappe.db.get_value("Delivery Note", first, "posting_date"))

	def test_cancel_return_and_amend(self):
		item = make_item(stock_qty=50)
		line = [{"item_code": item, "qty": 1}]
		returned = make_order(self.customer, line, customer_po=unique("PO"), submit=True)
		with acting_as(picker()):
			deliver_order(returned.name)
		make_request(
			frappe._dict(item=item, order=returned, customer=self.customer),
			[{"qty": 1, "reason": "Wrong Item"}],
			submit=True,
		)
		fact = committed(returned.name)
		self.assertEqual((fact.wrong_item, fact.not_as_described), (1, 0))

		original = make_order(self.customer, line, customer_po=unique("PO"), submit=True)
		with acting_as(manager()):
			cancel_order(original.name, "Change the quantity")
		fact = committed(original.name)
		self.assertEqual((fact.order_docstatus, fact.cancellation_reason), (2, "Change the quantity"))
		self.assertEqual(fact.superseded, 0)

		amendment = make_order(
			self.customer, line, customer_po=unique("PO"), submit=True, amended_from=original.name
		)
		self.assertIn(original.name, frappe.local.order_analytics_pending)
		self.assertEqual(committed(original.name).superseded, 1)
		self.assertEqual(committed(amendment.name).amends_approved, 1)

	def test_a_rollback_forgets_the_marks_and_a_backfill_equals_the_upkeep(self):
		order = make_order(self.customer, [{"item_code": make_item(), "qty": 1}], submit=True)
		facts.flush()
		kept = frappe.db.get_value(facts.FACT, order.name, FIELDS, as_dict=True)
		facts.mark([order.name])
		facts._forget()  # what a rollback does
		self.assertIsNone(frappe.local.order_analytics_pending)
		frappe.db.delete(facts.FACT, {"customer": self.customer})
		facts.backfill(frappe.db.get_value("Customer Order", order.name, "company"))
		self.assertEqual(frappe.db.get_value(facts.FACT, order.name, FIELDS, as_dict=True), kept)

	def test_the_commit_leaves_the_recomputation_to_a_background_job(self):
		"""The order's transaction only marks; once it commits, the marked orders wait in Redis for one queued
		job, which recomputes them (equal to a rebuild) and empties the waiting set."""
		order = make_order(self.customer, [{"item_code": make_item(), "qty": 1}], submit=True)
		facts.flush()
		expected = frappe.db.get_value(facts.FACT, order.name, FIELDS, as_dict=True)
		frappe.db.delete(facts.FACT, {"name": order.name})
		facts.WAITING.clear()
		self.addCleanup(facts.WAITING.clear)
		queued_before = facts.WAITING.job_waiting()

		facts.mark([order.name])
		callbacks = len(frappe.db.after_commit._functions)
		facts.hand_over()  # what the commit runs first: nothing is recomputed in the order's transaction
		self.assertEqual(
			len(frappe.db.after_commit._functions), callbacks + 1
		)  # the queueing, once committed
		frappe.db.after_commit.reset()  # this test commits nothing
		self.assertIsNone(frappe.db.get_value(facts.FACT, order.name))
		self.assertIsNone(frappe.local.order_analytics_pending)
		self.assertFalse(queued_before)
		facts.queue_for_refresh([order.name])  # what the commit runs once done
		self.assertTrue(facts.WAITING.job_waiting())
		self.assertEqual(facts.WAITING.members(), {order.name})

		facts.refresh_marked()  # the job
		self.assertEqual(frappe.db.get_value(facts.FACT, order.name, FIELDS, as_dict=True), expected)
		self.assertEqual(facts.WAITING.members(), set())
		self.assertFalse(facts.WAITING.job_waiting())

	def test_the_hooks_mark_exactly_the_doctypes_the_facts_watch(self):
		"""hooks.py lists the DocTypes whose changes mark orders; facts.WATCHED is what `on_document_change`
		reads: one list in two places, kept equal here."""
		hooked = {
			doctype
			for key, events in frappe.get_hooks("doc_events").items()
			for doctype in (key if isinstance(key, tuple) else (key,))  # Frappe expands tuple keys
			for event in ("on_change", "on_trash")
			if "order_mgmt.analytics.facts.on_document_change" in (events.get(event) or [])
		}
		self.assertEqual(hooked, set(facts.WATCHED))
