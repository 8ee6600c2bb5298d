"""Payments of orders whose Payment Terms Template allocates payments per term (ERPNext's *Allocate Payment
Based On Payment Terms*) and of orders whose template does not: before and after invoicing, a part payment,
the rest, the whole at once, and an overpayment refused. For each: the Payment Entry's amounts, the Sales
Order's / Sales Invoice's outstanding and the payment schedule's paid amounts, GL balanced per voucher; and
a term-allocated advance refunded at cancellation."""

import frappe
from frappe.utils import flt

from order_mgmt.accounting.payments import PaymentError
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.tests import test_refund_grid  # the module, not its TestCase (not run twice)
from order_mgmt.tests.test_cancellation_approval import set_threshold
from order_mgmt.tests.test_order_to_cash import OrderToCashTestCase, gl
from order_mgmt.tests.test_return_request import accounts_user, act
from order_mgmt.tests.test_return_settlement import SettlementTestCase
from order_mgmt.tests.utils import (
	acting_as,
	make_customer,
	make_item,
	make_order,
	make_split_terms_template,
)

PART_SHARE = 0.3
RETURN_RATE = 100.0


class PaymentTermsGrid:
	"""The grid's cases; the two classes below run them for each kind of template."""

	BY_TERM: bool

	def terms_order(self):
		return self.order(make_split_terms_template(self.BY_TERM))

	def schedule_paid(self, doctype: str, name: str) -> list[float]:
		return [
			flt(value)
			for value in frappe.get_all(
				"Payment Schedule",
				filters={"parenttype": doctype, "parent": name},
				pluck="paid_amount",
				order_by="idx",
			)
		]

	def expected_schedule(self, paid: float) -> list[float]:
		"""Per term (two halves of the total), what ERPNext records as paid: by term, the first term
		first; without term allocation ERPNext leaves the schedule as it is."""
		if not self.BY_TERM:
			return [0.0, 0.0]
		half = round(self.total / 2, 2)
		first = min(paid, half)
		return [round(first, 2), round(paid - first, 2)]

	def assert_entries(self, entries: list[str], amount: float, reference_doctype: str) -> None:
		received = 0.0
		for name in entries:
			entry = frappe.get_doc("Payment Entry", name)
			allocated = round(sum(flt(row.allocated_amount) for row in entry.references), 2)
			self.assertEqual(
				(entry.docstatus, flt(entry.difference_amount), flt(entry.unallocated_amount)),
				(1, 0, 0),
				name,
			)
			self.assertEqual(allocated, flt(entry.paid_amount), name)
			self.assertEqual({row.reference_doctype for row in entry.references}, {reference_doctype})
			self.assertEqual(all(row.payment_term for row in entry.references), self.BY_TERM, name)
			gl("Payment Entry", name)  # balanced
			received += flt(entry.paid_amount)
		self.assertEqual(round(received, 2), round(amount, 2))

	def assert_sales_order(self, order, paid: float) -> None:
		self.assertEqual(flt(frappe.db.get_value("Sales Order", order.sales_order, "advance_paid")), paid)
		self.assertEqual(self.schedule_paid("Sales Order", order.sales_order), self.expected_schedule(paid))

	def assert_invoice(self, invoice: str, paid: float, on_invoice: float) -> None:
		"""`paid` in all, `on_invoice` of it by Payment Entries against the invoice's payment terms."""
		self.assertEqual(
			flt(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")),
			round(self.total - paid, 2),
		)
		self.assertEqual(self.schedule_paid("Sales Invoice", invoice), self.expected_schedule(on_invoice))

	def test_part_then_rest_before_invoicing(self):
		order = self.terms_order()
		part = round(self.total * PART_SHARE, 2)
		self.assert_entries(self.pay(order, part), part, "Sales Order")
		self.assert_sales_order(order, part)
		self.assert_order_paid(order, part, "Partly Paid")
		self.assert_outstanding(-part)

		rest = round(self.total - part, 2)
		self.assert_entries(self.pay(order, rest), rest, "Sales Order")
		self.assert_sales_order(order, self.total)
		self.assert_order_paid(order, self.total, "Paid")
		self.assert_outstanding(-self.total)

		self.ship(order)
		invoice = self.invoice(order)
		self.assertEqual(flt(invoice.total_advance), self.total)
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(0)

	def test_whole_at_once_before_invoicing(self):
		order = self.terms_order()
		self.assert_entries(self.pay(order, self.total), self.total, "Sales Order")
		self.assert_sales_order(order, self.total)
		self.assert_order_paid(order, self.total, "Paid")

	def test_overpayment_is_refused(self):
		order = self.terms_order()
		with self.assertRaisesRegex(PaymentError, "more than"):
			self.pay(order, self.total + 1)
		part = round(self.total * PART_SHARE, 2)
		self.pay(order, part)
		with self.assertRaisesRegex(PaymentError, "more than"):
			self.pay(order, round(self.total - part + 1, 2))
		self.assert_order_paid(order, part, "Partly Paid")

	def test_part_then_rest_of_an_invoice(self):
		order = self.terms_order()
		self.ship(order)
		invoice = self.invoice(order).name
		self.assert_outstanding(self.total)
		part = round(self.total * PART_SHARE, 2)
		self.assert_entries(self.pay(order, part), part, "Sales Invoice")
		self.assert_invoice(invoice, part, part)
		self.assert_order_paid(order, part, "Partly Paid")
		rest = round(self.total - part, 2)
		self.assert_entries(self.pay(order, rest), rest, "Sales Invoice")
		self.assert_invoice(invoice, self.total, self.total)
		self.assert_order_paid(order, self.total, "Paid")
		self.assert_outstanding(0)

	def test_whole_invoice_at_once(self):
		order = self.terms_order()
		self.ship(order)
		invoice = self.invoice(order).name
		self.assert_entries(self.pay(order, self.total), self.total, "Sales Invoice")
		self.assert_invoice(invoice, self.total, self.total)
		self.assert_order_paid(order, self.total, "Paid")

	def test_part_advance_then_the_rest_on_the_invoice(self):
		order = self.terms_order()
		part = round(self.total * PART_SHARE, 2)
		self.pay(order, part)
		self.ship(order)
		invoice = self.invoice(order)
		self.assertEqual(flt(invoice.total_advance), part)
		self.assert_invoice_gl(invoice)
		rest = round(self.total - part, 2)
		self.assert_entries(self.pay(order, rest), rest, "Sales Invoice")
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 0)
		self.assert_order_paid(order, self.total, "Paid")
		self.assert_outstanding(0)

	def test_a_reversed_part_payment_gives_its_terms_back(self):
		order = self.terms_order()
		part = round(self.total * PART_SHARE, 2)
		(entry,) = self.pay(order, part)
		with acting_as("Administrator"):
			frappe.get_doc("Payment Entry", entry).cancel()
		self.assert_sales_order(order, 0)
		self.assert_order_paid(order, 0, "Unpaid")
		self.assert_entries(self.pay(order, self.total), self.total, "Sales Order")
		self.assert_sales_order(order, self.total)

	def test_part_advance_refunded_at_cancellation(self):
		order = self.terms_order()
		part = round(self.total * PART_SHARE, 2)
		(advance,) = self.pay(order, part)
		set_threshold(self, 0)  # no approval step: cancelled at once
		with acting_as("Administrator"):
			result = cancel_order(order.name, "changed their mind", advance_settlement="Refund")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)
		refund = result["refund_payment_entry"]
		self.assertTrue(refund)
		self.assertEqual(
			frappe.db.get_value("Payment Entry", refund, ["payment_type", "paid_amount", "docstatus"]),
			("Pay", part, 1),
		)
		gl("Payment Entry", refund)
		self.assertEqual(flt(frappe.db.get_value("Payment Entry", advance, "unallocated_amount")), 0)
		self.assert_outstanding(0)


class TestPaymentsAllocatedByTerm(PaymentTermsGrid, OrderToCashTestCase):
	BY_TERM = True


class TestPaymentsNotAllocatedByTerm(PaymentTermsGrid, OrderToCashTestCase):
	BY_TERM = False


class TestReturnRefundsByTerm(SettlementTestCase):
	"""A return refunded on an invoice whose template allocates payments per term (the invoice paid by
	`register_payment` spread over its terms)."""

	def setUp(self):
		super().setUp()
		template = make_split_terms_template(True)
		item = make_item(rate=RETURN_RATE, stock_qty=12)
		order = make_order(
			make_customer(), [{"item_code": item, "qty": 2}], submit=True, payment_terms_template=template
		)
		note = deliver_pick_list(create_pick_list([order.name])["pick_list"])[0]
		line = frappe.db.get_value("Delivery Note Item", {"parent": note, "item_code": item}, "name")
		self.delivery = frappe._dict(
			item=item, order=order, customer=order.customer, delivery_note=note, line=line
		)
		self.customer = order.customer
		self.opening_balance = self.balance()

	def refund_case(self, share: float) -> None:
		invoice = self.invoice()
		self.assertEqual(
			frappe.db.get_value("Sales Invoice", invoice, "payment_terms_template"),
			make_split_terms_template(True),
		)
		paid = round(self.invoice_total * share, 2)
		self.pay(paid)
		request = self.approved_request("Refund")
		self.receive(request)
		act(accounts_user(), request, "Refund")
		request.reload()
		credit = self.unit_total
		owed = round(self.invoice_total - paid, 2)
		refund = round(credit - min(credit, owed), 2)
		self.assertEqual(
			flt(frappe.db.get_value("Payment Entry", request.refund_payment_entry, "paid_amount"))
			if request.refund_payment_entry
			else 0,
			refund,
		)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")), 0)
		self.assertEqual(round(self.balance() - self.opening_balance, 2), 0)
		test_refund_grid.TestRefundGrid.assert_vouchers_balanced(self, request)

	def test_fully_paid_invoice_refunded(self):
		self.refund_case(1.0)

	def test_partly_paid_invoice_refunded_above_what_is_owed(self):
		self.refund_case(0.6)
