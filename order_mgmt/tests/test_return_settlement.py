"""Settling return requests with ERPNext's return documents: the return Delivery Note into the returns
(or damaged-goods) warehouse, credit notes, refunds, store credit and replacement orders — with the
ledgers balanced and the customer's outstanding right afterwards."""

import frappe
from erpnext.accounts.utils import get_balance_on
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.returns.settlement import SettlementError
from order_mgmt.review.actions import atomic
from order_mgmt.tests.test_order_to_cash import gl
from order_mgmt.tests.test_return_request import (
	accounts_user,
	act,
	decide,
	delivered_order,
	make_request,
	stock_user,
)
from order_mgmt.tests.utils import acting_as, company, manager, reviewer

RATE = 100.0


def make_warehouse(name: str) -> str:
	abbr = frappe.get_cached_value("Company", company(), "abbr")
	full = f"{name} - {abbr}"
	if not frappe.db.exists("Warehouse", full):
		parent = frappe.db.get_value("Warehouse", {"company": company(), "is_group": 1}, "name")
		frappe.get_doc(
			{"doctype": "Warehouse", "warehouse_name": name, "company": company(), "parent_warehouse": parent}
		).insert()
	return full


class SettlementTestCase(FrappeTestCase):
	def setUp(self):
		self.returns_warehouse = make_warehouse("OMT Returns")
		self.damaged_warehouse = make_warehouse("OMT Quarantine")
		settings = frappe.get_single("Order Management Settings")
		previous = (settings.returns_warehouse, settings.damaged_returns_warehouse)
		frappe.db.set_single_value(
			"Order Management Settings",
			{
				"returns_warehouse": self.returns_warehouse,
				"damaged_returns_warehouse": self.damaged_warehouse,
			},
		)
		frappe.clear_document_cache("Order Management Settings", "Order Management Settings")
		self.addCleanup(
			lambda: (
				frappe.db.set_single_value(
					"Order Management Settings",
					{"returns_warehouse": previous[0], "damaged_returns_warehouse": previous[1]},
				),
				frappe.clear_document_cache("Order Management Settings", "Order Management Settings"),
			)
		)
		self.delivery = delivered_order(qty=2, rate=RATE)
		self.customer = self.delivery.customer
		self.opening_balance = self.balance()  # the customer's first (known-customer) invoice

	def invoice(self) -> str:
		with acting_as("Administrator"):
			name = create_sales_invoice(self.delivery.order.name)
		# 2 units delivered and invoiced, taxes included: one unit's share is what a return credits.
		self.invoice_total = flt(frappe.db.get_value("Sales Invoice", name, "grand_total"))
		self.unit_total = round(self.invoice_total / 2, 2)
		return name

	def pay(self, amount: float) -> None:
		with acting_as("Administrator"):
			register_payment(self.delivery.order.name, amount, "Bank Transfer", reference_no="PAID")

	def balance(self) -> float:
		return round(flt(get_balance_on(party_type="Customer", party=self.customer, company=company())), 2)

	def approved_request(self, resolution: str, condition: str = "Opened", qty: float = 1):
		request = make_request(
			self.delivery,
			[{"qty": qty, "reason": "Wrong Item", "condition": condition}],
			submit=True,
			resolution_type=resolution,
		)
		decide(reviewer("Sales"), request, "Approve")
		return request

	def receive(self, request):
		act(stock_user(), request, "Receive Goods")
		return frappe.get_doc("Delivery Note", request.return_delivery_note)

	def stock_in(self, warehouse: str) -> float:
		return flt(
			frappe.db.get_value(
				"Bin", {"item_code": self.delivery.item, "warehouse": warehouse}, "actual_qty"
			)
		)


class TestGoodsReceived(SettlementTestCase):
	def test_goods_come_back_on_a_return_delivery_note_into_the_returns_warehouse(self):
		request = self.approved_request("Refund")
		note = self.receive(request)
		self.assertEqual(
			(note.is_return, note.return_against, note.docstatus, note.return_request),
			(1, self.delivery.delivery_note, 1, request.name),
		)
		self.assertEqual(
			[(row.item_code, row.qty, row.warehouse) for row in note.items],
			[(self.delivery.item, -1, self.returns_warehouse)],
		)
		self.assertEqual(self.stock_in(self.returns_warehouse), 1)
		ledger = frappe.get_all(
			"Stock Ledger Entry",
			filters={"voucher_no": note.name, "is_cancelled": 0},
			fields=["warehouse", "actual_qty"],
		)
		self.assertEqual([(r.warehouse, r.actual_qty) for r in ledger], [(self.returns_warehouse, 1)])
		self.assertEqual(request.status, "Goods Received")

	def test_damaged_goods_go_to_the_damaged_goods_warehouse(self):
		request = self.approved_request("Store Credit", condition="Damaged")
		note = self.receive(request)
		self.assertEqual(note.items[0].warehouse, self.damaged_warehouse)
		self.assertEqual(self.stock_in(self.damaged_warehouse), 1)


class TestRefunds(SettlementTestCase):
	def test_refund_of_a_paid_invoice_issues_a_credit_note_and_pays_the_customer_back(self):
		invoice = self.invoice()
		self.pay(self.invoice_total)
		self.assertEqual(self.balance(), self.opening_balance)
		request = self.approved_request("Refund")
		self.receive(request)
		act(accounts_user(), request, "Refund")
		self.assertEqual(request.status, "Refunded")
		credit = frappe.get_doc("Sales Invoice", request.credit_note)
		self.assertEqual(
			(credit.is_return, credit.return_against, flt(credit.grand_total)), (1, invoice, -self.unit_total)
		)
		self.assertEqual(credit.update_stock, 0)
		debtors = frappe.get_cached_value("Company", company(), "default_receivable_account")
		self.assertEqual(gl("Sales Invoice", credit.name)[debtors], -self.unit_total)
		refund = frappe.get_doc("Payment Entry", request.refund_payment_entry)
		self.assertEqual(
			(refund.payment_type, flt(refund.paid_amount), refund.docstatus), ("Pay", self.unit_total, 1)
		)
		self.assertEqual(gl("Payment Entry", refund.name)[debtors], self.unit_total)
		self.assertEqual(
			self.balance(), self.opening_balance
		)  # credited and refunded: nothing owed either way
		# The request's connections count the documents ERPNext made for it.
		from frappe.desk.notifications import get_open_count

		found = get_open_count("Return Request", request.name)["count"]
		counts = {
			row["doctype"]: row["count"]
			for row in found["external_links_found"] + found["internal_links_found"]
		}
		self.assertEqual(
			(counts.get("Delivery Note"), counts.get("Sales Invoice"), counts.get("Payment Entry")), (1, 1, 1)
		)
		act(manager(), request, "Close")
		self.assertEqual(request.status, "Closed")

	def test_refund_of_an_unpaid_invoice_reduces_what_the_customer_owes(self):
		invoice = self.invoice()
		request = self.approved_request("Refund")
		self.receive(request)
		act(accounts_user(), request, "Refund")
		self.assertFalse(request.refund_payment_entry)
		self.assertEqual(
			flt(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")), self.unit_total
		)
		self.assertEqual(self.balance(), round(self.opening_balance + self.unit_total, 2))

	def test_store_credit_leaves_the_credit_note_unallocated(self):
		invoice = self.invoice()
		self.pay(self.invoice_total)
		request = self.approved_request("Store Credit")
		self.receive(request)
		act(accounts_user(), request, "Issue Store Credit")
		credit = frappe.get_doc("Sales Invoice", request.credit_note)
		self.assertEqual(
			(credit.update_outstanding_for_self, flt(credit.outstanding_amount)), (1, -self.unit_total)
		)
		self.assertFalse(request.refund_payment_entry)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")), 0)
		self.assertEqual(self.balance(), round(self.opening_balance - self.unit_total, 2))  # in credit

	def test_a_refund_without_an_invoice_is_refused_and_nothing_changes(self):
		request = self.approved_request("Refund")
		self.receive(request)
		with self.assertRaisesRegex(SettlementError, "invoice it first"), atomic("refund"):
			act(accounts_user(), request, "Refund")  # a request would roll back as a whole
		request.reload()
		self.assertEqual((request.status, request.credit_note), ("Goods Received", None))


class TestExchange(SettlementTestCase):
	def test_an_exchange_makes_a_replacement_order_that_goes_through_review(self):
		self.invoice()
		request = self.approved_request("Exchange", condition="Defective")
		self.receive(request)
		act(accounts_user(), request, "Replace")
		self.assertEqual(request.status, "Replaced")
		replacement = frappe.get_doc("Customer Order", request.replacement_order)
		self.assertEqual(
			(replacement.customer, replacement.docstatus, replacement.customer_po),
			(self.customer, 1, request.name),
		)
		self.assertEqual(
			[(row.item_code, row.qty, row.rate) for row in replacement.items], [(self.delivery.item, 1, RATE)]
		)
		self.assertIn(replacement.status, ("To Deliver", "Pending Review"))
		self.assertTrue(request.credit_note)  # the invoiced goods came back: credited for the replacement

	def test_the_customer_is_told_at_each_step(self):
		request = self.approved_request("Refund")
		self.receive(request)
		comments = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Return Request",
				"reference_name": request.name,
				"comment_type": "Info",
			},
			pluck="content",
		)
		self.assertTrue(any("Goods Received" in text for text in comments), comments)


class TestReturnRateReport(SettlementTestCase):
	def test_requested_and_received_side_by_side_each_with_its_own_reason(self):
		"""Issue 11 item 11: an item with only an open request shows its requested reason next to
		nothing returned — not as the reason of returns; the rate is based on what came back."""
		from frappe.utils import add_days, nowdate

		from order_mgmt.order_mgmt.report.return_rate.return_rate import execute

		self.receive(self.approved_request("Refund"))  # 1 of 2 back, Wrong Item
		pending = delivered_order(qty=1, rate=RATE)  # requested only, not received
		make_request(pending, [{"qty": 1, "reason": "Not as Described"}], submit=True)

		filters = {"company": company(), "from_date": add_days(nowdate(), -1), "to_date": nowdate()}
		columns, rows, _message, chart = execute({**filters, "group_by": "Item"})
		self.assertEqual(
			[column["fieldname"] for column in columns],
			[
				"key",
				"delivered_qty",
				"requested_qty",
				"top_requested_reason",
				"returned_qty",
				"top_returned_reason",
				"return_rate",
			],
		)
		by_key = {row["key"]: row for row in rows}
		fields = (
			"delivered_qty",
			"requested_qty",
			"top_requested_reason",
			"returned_qty",
			"top_returned_reason",
			"return_rate",
		)
		self.assertEqual(
			tuple(by_key[self.delivery.item][f] for f in fields), (2, 1, "Wrong Item", 1, "Wrong Item", 50.0)
		)
		self.assertEqual(
			tuple(by_key[pending.item][f] for f in fields), (1, 1, "Not as Described", 0, None, 0.0)
		)
		self.assertIn(self.delivery.item, chart["data"]["labels"])

		_columns, rows, _message, _chart = execute({**filters, "group_by": "Customer"})
		row = next(row for row in rows if row["key"] == self.customer)
		self.assertEqual(
			(
				row["requested_qty"],
				row["top_requested_reason"],
				row["returned_qty"],
				row["top_returned_reason"],
			),
			(1, "Wrong Item", 1, "Wrong Item"),
		)

		columns, rows, _message, _chart = execute({**filters, "group_by": "Reason"})
		self.assertNotIn("top_requested_reason", [column["fieldname"] for column in columns])
		reasons = {row["key"]: row for row in rows}
		self.assertGreaterEqual(reasons["Wrong Item"]["returned_qty"], 1)
		self.assertGreaterEqual(reasons["Not as Described"]["requested_qty"], 1)
		with self.assertRaises(frappe.ValidationError):
			execute({**filters, "group_by": "Colour"})
