"""The money of a return, as a grid: how much was paid of the invoice (nothing, part of it with the
return below, equal to and above what is still owed, all of it) against the resolution (Refund,
Store Credit, Exchange). Per case: the refund Payment Entry (or none), the invoice's outstanding, the
credit left on the credit note, the customer's balance in ERPNext's ledger, and every voucher of the
flow balanced.

The rule (issue 11, item 4): the credit note first settles what is owed on the order's invoices, only
the rest is refunded, never more than was paid. Invoice 1,000, paid 600, 500 returned for a refund:
400 settles the invoice, 100 is refunded, the customer's balance is 0.

One more case: two invoices of one order, the credited one paid, the other still owed — the credit
settles the other (ERPNext's Payment Reconciliation), nothing is refunded.

Each case is one line of 2 units, 1 returned: the credit C is half the invoice total T (taxes as the
site's defaults make them). The paid shares are those of the 1,000/600/500 example."""

import frappe
from frappe.query_builder.functions import Sum
from frappe.utils import flt

from order_mgmt.tests.test_return_request import accounts_user, act
from order_mgmt.tests.test_return_settlement import SettlementTestCase

ACTIONS = {"Refund": "Refund", "Store Credit": "Issue Store Credit", "Exchange": "Replace"}

# case: (share of the invoice paid before the return, resolution, expected (refund, invoice outstanding,
# credit left) as functions of T = invoice total, C = credit, P = paid). The customer's balance
# (against the balance before the order) is always what the invoice still owes less the credit left.
NONE = None
GRID = {
	"unpaid_refund": (0.0, "Refund", lambda T, C, P: (NONE, T - C, 0)),
	"partly_paid_return_below_outstanding_refund": (0.3, "Refund", lambda T, C, P: (NONE, T - P - C, 0)),
	"partly_paid_return_equal_to_outstanding_refund": (0.5, "Refund", lambda T, C, P: (NONE, 0, 0)),
	"partly_paid_return_above_outstanding_refund": (0.6, "Refund", lambda T, C, P: (C - (T - P), 0, 0)),
	"fully_paid_refund": (1.0, "Refund", lambda T, C, P: (C, 0, 0)),
	"unpaid_store_credit": (0.0, "Store Credit", lambda T, C, P: (NONE, T - C, 0)),
	"partly_paid_return_above_outstanding_store_credit": (
		0.6,
		"Store Credit",
		lambda T, C, P: (NONE, 0, C - (T - P)),
	),
	"fully_paid_store_credit": (1.0, "Store Credit", lambda T, C, P: (NONE, 0, C)),
	"partly_paid_return_above_outstanding_exchange": (
		0.6,
		"Exchange",
		lambda T, C, P: (NONE, 0, C - (T - P)),
	),
	"fully_paid_exchange": (1.0, "Exchange", lambda T, C, P: (NONE, 0, C)),
}


def money(value) -> float:
	return round(flt(value), 2)


class TestRefundGrid(SettlementTestCase):
	def run_case(self, paid_share: float, resolution: str, expect) -> None:
		invoice = self.invoice()
		total = self.invoice_total
		paid = money(total * paid_share)
		if paid:
			self.pay(paid)
		request = self.approved_request(resolution)
		self.receive(request)
		act(accounts_user(), request, ACTIONS[resolution])

		credit_note = frappe.get_doc("Sales Invoice", request.credit_note)
		credit = money(-credit_note.grand_total)
		self.assertEqual(credit, self.unit_total)
		refund, outstanding, left = (
			None if value is None else money(value) for value in expect(total, credit, paid)
		)
		facts = {
			"refund": (
				money(frappe.db.get_value("Payment Entry", request.refund_payment_entry, "paid_amount"))
				if request.refund_payment_entry
				else None
			),
			"invoice outstanding": money(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")),
			"credit left": money(
				-flt(frappe.db.get_value("Sales Invoice", credit_note.name, "outstanding_amount"))
			),
			"customer balance": money(self.balance() - self.opening_balance),
		}
		self.assertEqual(
			facts,
			{
				"refund": refund,
				"invoice outstanding": outstanding,
				"credit left": left,
				"customer balance": money(outstanding - left),
			},
			f"invoice {total}, paid {paid}, credit {credit}, {resolution}",
		)
		if request.refund_payment_entry:
			self.assertEqual(
				frappe.db.get_value(
					"Payment Entry", request.refund_payment_entry, ["payment_type", "docstatus"]
				),
				("Pay", 1),
			)
		self.assert_vouchers_balanced(request)
		if resolution == "Exchange":
			self.assertTrue(request.replacement_order)

	def assert_vouchers_balanced(self, request) -> None:
		"""Every voucher the customer's flow posted (invoice, payments, credit note, reconciliation,
		refund, return Delivery Note) has as much debit as credit."""
		gle = frappe.qb.DocType("GL Entry")
		vouchers = set(
			frappe.get_all(
				"GL Entry",
				filters={"party_type": "Customer", "party": self.customer, "is_cancelled": 0},
				pluck="voucher_no",
				distinct=True,
			)
		)
		vouchers.add(request.return_delivery_note)
		self.assertIn(request.credit_note, vouchers)
		rows = (
			frappe.qb.from_(gle)
			.select(gle.voucher_no, Sum(gle.debit), Sum(gle.credit))
			.where(gle.voucher_no.isin(list(vouchers)) & (gle.is_cancelled == 0))
			.groupby(gle.voucher_no)
		).run()
		unbalanced = {
			voucher: (debit, credit) for voucher, debit, credit in rows if money(debit) != money(credit)
		}
		self.assertEqual(unbalanced, {})

	def test_unpaid_refund(self):
		self.run_case(*GRID["unpaid_refund"])

	def test_partly_paid_return_below_outstanding_refund(self):
		self.run_case(*GRID["partly_paid_return_below_outstanding_refund"])

	def test_partly_paid_return_equal_to_outstanding_refund(self):
		self.run_case(*GRID["partly_paid_return_equal_to_outstanding_refund"])

	def test_partly_paid_return_above_outstanding_refund(self):
		"""The 1,000 / 600 / 500 case of the issue: 400 settles the invoice, 100 is refunded."""
		self.run_case(*GRID["partly_paid_return_above_outstanding_refund"])

	def test_fully_paid_refund(self):
		self.run_case(*GRID["fully_paid_refund"])

	def test_unpaid_store_credit(self):
		self.run_case(*GRID["unpaid_store_credit"])

	def test_partly_paid_return_above_outstanding_store_credit(self):
		self.run_case(*GRID["partly_paid_return_above_outstanding_store_credit"])

	def test_fully_paid_store_credit(self):
		self.run_case(*GRID["fully_paid_store_credit"])

	def test_partly_paid_return_above_outstanding_exchange(self):
		self.run_case(*GRID["partly_paid_return_above_outstanding_exchange"])

	def test_fully_paid_exchange(self):
		self.run_case(*GRID["fully_paid_exchange"])

	def test_the_credit_settles_another_open_invoice_of_the_order_before_any_refund(self):
		"""Two invoices of one order (a unit each): the credited one is paid, the other still owed.
		The credit goes to the open invoice (ERPNext's Payment Reconciliation), nothing is refunded."""
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
		from erpnext.accounts.doctype.sales_invoice.sales_invoice import get_bank_cash_account
		from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice

		invoices = []
		for _unit in range(2):
			invoice = make_sales_invoice(self.delivery.delivery_note)
			invoice.items[0].qty = 1
			invoice.insert()
			invoice.submit()
			invoices.append(invoice.name)
		first, credited = invoices
		account = get_bank_cash_account("Bank Transfer", invoice.company)["account"]
		payment = get_payment_entry("Sales Invoice", credited, bank_account=account)
		payment.update(
			{
				"mode_of_payment": "Bank Transfer",
				"reference_no": "PAID",
				"reference_date": frappe.utils.nowdate(),
			}
		)
		payment.insert()
		payment.submit()
		owed = money(frappe.db.get_value("Sales Invoice", first, "outstanding_amount"))

		request = self.approved_request("Refund")
		self.assertEqual(request.sales_invoice, credited)
		self.receive(request)
		act(accounts_user(), request, "Refund")

		credit = money(-frappe.db.get_value("Sales Invoice", request.credit_note, "grand_total"))
		self.assertEqual(credit, owed)  # a unit each
		self.assertFalse(request.refund_payment_entry)
		self.assertEqual(
			[
				money(frappe.db.get_value("Sales Invoice", name, "outstanding_amount"))
				for name in (*invoices, request.credit_note)
			],
			[0, 0, 0],
		)
		self.assertEqual(money(self.balance() - self.opening_balance), 0)
		self.assert_vouchers_balanced(request)
