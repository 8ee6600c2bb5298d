"""Order to cash in ERPNext's ledgers: for each kind of payment terms, order -> delivery -> invoice ->
payment, with balanced GL entries on the right accounts, the customer's outstanding after each step,
advances allocated, shipment held until paid where the terms say so; reversed payments; credit."""

import frappe
from erpnext.accounts.utils import get_balance_on
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, getdate

from order_mgmt.accounting.credit import CreditControlError
from order_mgmt.accounting.gating import PaymentGateError
from order_mgmt.accounting.invoicing import InvoicingError, create_sales_invoice
from order_mgmt.accounting.payments import PaymentError, register_payment
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.utils import (
	acting_as,
	company,
	make_customer,
	make_item,
	make_order,
	make_tax_template,
	reviewer,
	role_user,
	set_background_threshold,
)

RATE = 100.0
TAX_RATE = 13.0


def accountant() -> str:
	return role_user("accountant", ["Accounts User", "Accounts Manager"])


def warehouse_user() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


def gl(voucher_type: str, voucher_no: str) -> dict[str, float]:
	"""Net debit per account of a voucher's GL entries, after checking they balance."""
	rows = frappe.get_all(
		"GL Entry",
		filters={"voucher_type": voucher_type, "voucher_no": voucher_no, "is_cancelled": 0},
		fields=["account", "debit", "credit"],
	)
	assert rows, f"no GL entries for {voucher_type} {voucher_no}"
	assert abs(sum(flt(r.debit) for r in rows) - sum(flt(r.credit) for r in rows)) < 0.005, rows
	net: dict[str, float] = {}
	for row in rows:
		net[row.account] = round(net.get(row.account, 0) + flt(row.debit) - flt(row.credit), 2)
	return {account: amount for account, amount in net.items() if amount}


class OrderToCashTestCase(FrappeTestCase):
	def setUp(self):
		self.company = company()
		values = frappe.get_cached_doc("Company", self.company)
		self.debtors = values.default_receivable_account
		self.income = values.default_income_account
		self.tax_account = frappe.db.get_value(
			"Sales Taxes and Charges", {"parent": make_tax_template(TAX_RATE)}, "account_head"
		)
		self.customer = make_customer()
		self.opening_balance = self.balance()

	def order(self, terms: str, qty: float = 2, **fields):
		order = make_order(
			self.customer,
			[{"item_code": make_item(rate=RATE, stock_qty=50), "qty": qty}],
			payment_terms_template=terms,
			taxes_and_charges=make_tax_template(TAX_RATE),
			submit=True,
			**fields,
		)
		self.assertEqual(order.status, "To Deliver", [r.message for r in order.hold_reasons])
		self.total = round(qty * RATE * (1 + TAX_RATE / 100), 2)
		self.assertEqual(flt(order.grand_total), self.total)
		return order

	def balance(self) -> float:
		return round(flt(get_balance_on(party_type="Customer", party=self.customer, company=self.company)), 2)

	def assert_outstanding(self, expected: float) -> None:
		"""The customer's balance in ERPNext's ledger, on top of the opening (first) invoice."""
		self.assertEqual(round(self.balance() - self.opening_balance, 2), round(expected, 2))

	def pay(self, order, amount: float, mode: str = "Bank Transfer") -> list[str]:
		with acting_as(accountant()):
			return register_payment(order.name, amount, mode, reference_no=f"REF-{order.name}")

	def ship(self, order) -> list[str]:
		with acting_as(warehouse_user()):
			pick_list = create_pick_list([order.name])["pick_list"]
			return deliver_pick_list(pick_list)

	def invoice(self, order) -> frappe._dict:
		with acting_as(accountant()):
			name = create_sales_invoice(order.name)
		return frappe.get_doc("Sales Invoice", name)

	def mode_account(self, mode: str) -> str:
		return frappe.db.get_value(
			"Mode of Payment Account", {"parent": mode, "company": self.company}, "default_account"
		)

	def assert_order_paid(self, order, paid: float, status: str) -> None:
		values = frappe.db.get_value(
			"Customer Order",
			order.name,
			["paid_amount", "outstanding_amount", "payment_status"],
			as_dict=True,
		)
		self.assertEqual(
			(flt(values.paid_amount), flt(values.outstanding_amount), values.payment_status),
			(round(paid, 2), round(self.total - paid, 2), status),
		)

	def assert_invoice_gl(self, invoice) -> None:
		net = round(self.total / (1 + TAX_RATE / 100), 2)
		self.assertEqual(
			gl("Sales Invoice", invoice.name),
			{self.debtors: self.total, self.income: -net, self.tax_account: -round(self.total - net, 2)},
		)


class TestModesOfPayment(FrappeTestCase):
	def test_fixture_modes_of_payment_have_an_account_for_the_company(self):
		for mode, account_type in (
			("Bank Transfer", "Bank"),
			("Card", "Bank"),
			("Cash", "Cash"),
			("Alipay", "Bank"),
			("WeChat Pay", "Bank"),
		):
			account = frappe.db.get_value(
				"Mode of Payment Account", {"parent": mode, "company": company()}, "default_account"
			)
			self.assertTrue(account, mode)
			self.assertEqual(frappe.db.get_value("Account", account, "account_type"), account_type, mode)

	def test_payment_terms_templates_carry_their_gate(self):
		gates = {
			name: frappe.db.get_value(
				"Payment Terms Template", name, ["order_payment_gate", "deposit_percentage"]
			)
			for name in ("Prepaid", "Deposit 30%", "Cash on Delivery", "Net 30", "3 Installments")
		}
		self.assertEqual(
			gates,
			{
				"Prepaid": ("Prepaid", 0),
				"Deposit 30%": ("Deposit", 30),
				"Cash on Delivery": ("Cash on Delivery", 0),
				"Net 30": ("Credit", 0),
				"3 Installments": ("Installments", 0),
			},
		)


class TestPrepaid(OrderToCashTestCase):
	def test_prepaid_order_ships_only_when_paid_then_the_advance_settles_the_invoice(self):
		order = self.order("Prepaid")
		self.assert_order_paid(order, 0, "Unpaid")
		with self.assertRaisesRegex(PaymentGateError, "Prepaid.*before picking"):
			self.ship(order)
		# ERPNext's own Delivery Note from the Sales Order is held too.
		with self.assertRaisesRegex(PaymentGateError, "before shipment"):
			note = make_delivery_note(order.sales_order)
			note.insert()
			note.submit()

		(entry,) = self.pay(order, self.total)
		self.assertEqual(
			frappe.db.get_value("Payment Entry Reference", {"parent": entry}, "reference_doctype"),
			"Sales Order",
		)
		self.assertEqual(
			gl("Payment Entry", entry),
			{self.mode_account("Bank Transfer"): self.total, self.debtors: -self.total},
		)
		self.assert_outstanding(-self.total)  # an advance: the customer is in credit
		self.assert_order_paid(order, self.total, "Paid")

		self.ship(order)
		self.assert_outstanding(-self.total)  # delivery books no receivable
		invoice = self.invoice(order)
		self.assertEqual(flt(invoice.total_advance), self.total)
		self.assertEqual(flt(invoice.outstanding_amount), 0)
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(0)
		self.assert_order_paid(order, self.total, "Paid")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Completed")

	def test_a_prepaid_order_may_be_invoiced_before_delivery_and_is_not_billed_twice(self):
		order = self.order("Prepaid")
		invoice = self.invoice(order)  # from the Sales Order: nothing is delivered yet
		self.assertFalse(any(row.dn_detail for row in invoice.items))
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(self.total)
		(entry,) = self.pay(order, self.total, "Card")
		self.assertEqual(
			frappe.db.get_value("Payment Entry Reference", {"parent": entry}, "reference_name"), invoice.name
		)
		self.assert_outstanding(0)
		self.ship(order)
		with self.assertRaisesRegex(InvoicingError, "left to invoice"):
			self.invoice(order)
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Completed")


class TestDeposit(OrderToCashTestCase):
	def test_deposit_before_picking_and_balance_before_shipment(self):
		order = self.order("Deposit 30%")
		deposit = round(self.total * 0.3, 2)
		with self.assertRaisesRegex(PaymentGateError, "before picking"):
			self.ship(order)
		self.pay(order, deposit, "Alipay")
		self.assert_outstanding(-deposit)
		self.assert_order_paid(order, deposit, "Partly Paid")
		with acting_as(warehouse_user()):
			pick_list = create_pick_list([order.name])["pick_list"]
			with self.assertRaisesRegex(PaymentGateError, "before shipment"):
				deliver_pick_list(pick_list)
		self.pay(order, self.total - deposit, "WeChat Pay")
		self.assert_outstanding(-self.total)
		with acting_as(warehouse_user()):
			deliver_pick_list(pick_list)
		invoice = self.invoice(order)
		self.assertEqual(flt(invoice.total_advance), self.total)
		self.assertEqual(flt(invoice.outstanding_amount), 0)
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(0)
		# Both advances, each on its own clearing account.
		accounts = {
			row.paid_to
			for row in frappe.get_all(
				"Payment Entry", filters={"party": self.customer, "docstatus": 1}, fields=["paid_to"]
			)
		}
		self.assertEqual(accounts, {self.mode_account("Alipay"), self.mode_account("WeChat Pay")})


class TestCashOnDelivery(OrderToCashTestCase):
	def test_cash_on_delivery_ships_unpaid_then_the_invoice_is_paid_in_cash(self):
		order = self.order("Cash on Delivery")
		self.ship(order)
		self.assert_outstanding(0)
		invoice = self.invoice(order)
		self.assertEqual(getdate(invoice.due_date), getdate(invoice.posting_date))
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(self.total)
		self.assert_order_paid(order, 0, "Unpaid")
		(entry,) = self.pay(order, self.total, "Cash")
		self.assertEqual(
			frappe.db.get_value("Payment Entry Reference", {"parent": entry}, "reference_name"), invoice.name
		)
		self.assertEqual(
			gl("Payment Entry", entry), {self.mode_account("Cash"): self.total, self.debtors: -self.total}
		)
		self.assert_outstanding(0)
		self.assert_order_paid(order, self.total, "Paid")
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 0)


class TestCreditTerms(OrderToCashTestCase):
	def test_net_30_invoice_falls_due_in_30_days_and_takes_part_payments(self):
		order = self.order("Net 30")
		self.ship(order)
		invoice = self.invoice(order)
		self.assertEqual(getdate(invoice.due_date), getdate(add_days(invoice.posting_date, 30)))
		self.assert_invoice_gl(invoice)
		self.assert_outstanding(self.total)
		self.pay(order, 100, "Card")
		self.assert_outstanding(self.total - 100)
		self.assert_order_paid(order, 100, "Partly Paid")
		self.assertEqual(
			flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), self.total - 100
		)


class TestInstallments(OrderToCashTestCase):
	def test_installments_make_a_three_part_payment_schedule(self):
		order = self.order("3 Installments", qty=3)
		self.ship(order)
		invoice = self.invoice(order)
		schedule = [(row.invoice_portion, getdate(row.due_date)) for row in invoice.payment_schedule]
		posting = invoice.posting_date
		self.assertEqual(
			schedule,
			[
				(33.34, getdate(posting)),
				(33.33, getdate(add_days(posting, 30))),
				(33.33, getdate(add_days(posting, 60))),
			],
		)
		self.assertAlmostEqual(
			sum(flt(row.payment_amount) for row in invoice.payment_schedule), self.total, 2
		)
		self.assert_invoice_gl(invoice)
		first = flt(invoice.payment_schedule[0].payment_amount)
		self.pay(order, first, "Bank Transfer")
		self.assert_outstanding(self.total - first)
		self.assert_order_paid(order, first, "Partly Paid")


class TestPaymentRules(OrderToCashTestCase):
	def test_a_reversed_payment_puts_a_prepaid_order_back_on_hold_until_paid_again(self):
		order = self.order("Prepaid")
		(entry,) = self.pay(order, self.total)
		with acting_as(accountant()):
			frappe.get_doc("Payment Entry", entry).cancel()
		values = frappe.db.get_value("Customer Order", order.name, ["status", "payment_status"], as_dict=True)
		self.assertEqual((values.status, values.payment_status), ("On Hold", "Unpaid"))
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "status"), "On Hold")
		reason = frappe.get_all(
			"Customer Order Hold Reason", filters={"parent": order.name, "rule": "Payment"}, pluck="message"
		)
		self.assertTrue(reason and entry in reason[0], reason)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": order.owner, "document_name": order.name, "subject": ("like", "%on hold%")},
			)
		)
		self.assert_outstanding(0)
		with self.assertRaisesRegex(frappe.ValidationError, "On Hold"):  # ERPNext ships nothing on hold
			note = make_delivery_note(order.sales_order)
			note.insert()
			note.submit()
		self.pay(order, self.total)
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "To Deliver")
		self.assertNotEqual(frappe.db.get_value("Sales Order", order.sales_order, "status"), "On Hold")
		self.ship(order)

	def test_payments_above_the_outstanding_or_not_positive_are_refused(self):
		order = self.order("Net 30")
		with self.assertRaisesRegex(PaymentError, "Amount: .* more than"):
			self.pay(order, self.total + 1)
		with self.assertRaisesRegex(PaymentError, "Amount"):
			self.pay(order, 0)
		self.assertFalse(frappe.db.exists("Payment Entry", {"party": self.customer, "docstatus": 1}))

	def test_credit_terms_are_not_invoiced_before_delivery(self):
		from order_mgmt.accounting.invoicing import can_invoice

		order = self.order("Net 30")
		self.assertFalse(can_invoice(order))  # the form offers no Sales Invoice yet
		with self.assertRaises(InvoicingError):
			self.invoice(order)
		self.ship(order)
		self.assertTrue(can_invoice(frappe.get_doc("Customer Order", order.name)))

	def test_several_orders_are_invoiced_together_and_a_refusal_stops_none_of_the_others(self):
		from order_mgmt.accounting.invoicing import create_sales_invoices

		delivered = [self.order("Net 30"), self.order("Cash on Delivery")]
		for order in delivered:
			self.ship(order)
		undelivered = self.order("Net 30")
		with acting_as(accountant()):
			result = create_sales_invoices([o.name for o in [*delivered, undelivered]])
		self.assertEqual(sorted(result["created"]), sorted(o.name for o in delivered))
		self.assertIn("left to invoice", result["failed"][undelivered.name])
		for order in delivered:
			self.assertEqual(
				frappe.db.get_value("Sales Invoice", result["created"][order.name], "docstatus"), 1
			)
		self.assertEqual(frappe.db.get_value("Customer Order", undelivered.name, "per_billed"), 0)

	def test_many_orders_are_invoiced_by_a_background_job(self):
		from frappe.utils.background_jobs import get_redis_conn
		from rq.job import Job

		from order_mgmt.accounting.invoicing import create_sales_invoices, invoice_orders

		set_background_threshold(self, 1)
		orders = [self.order("Net 30"), self.order("Net 30")]
		for order in orders:
			self.ship(order)
		names = [order.name for order in orders]
		with acting_as(accountant()):
			result = create_sales_invoices(names)
		job = Job.fetch(result["job_id"], connection=get_redis_conn())
		self.addCleanup(job.delete)
		self.assertEqual((job.kwargs["kwargs"]["order_names"], job.kwargs["user"]), (names, accountant()))
		with acting_as(accountant()):  # what the worker runs
			done = invoice_orders(names)
		self.assertEqual(sorted(done["created"]), sorted(names))
		self.assertTrue(
			frappe.db.exists(
				"Notification Log", {"for_user": accountant(), "subject": ("like", "%2 created%")}
			)
		)

	def test_a_clerk_cannot_register_payments(self):
		order = self.order("Net 30")
		with acting_as(role_user("clerk-only", ["Order Clerk"])), self.assertRaises(frappe.PermissionError):
			register_payment(order.name, 10, "Cash")


class TestCreditControl(FrappeTestCase):
	def test_an_order_over_the_credit_limit_is_approved_only_with_a_finance_role(self):
		order = make_order(
			make_customer(credit_limit=100),
			[{"item_code": make_item(rate=500, stock_qty=10), "qty": 1}],
			submit=True,
		)
		self.assertEqual(order.workflow_state, "Pending Finance Review")
		manager = role_user("credit-manager", ["Order Manager"])
		with acting_as(manager), self.assertRaisesRegex(CreditControlError, "finance role"):
			take_action(order.name, "Approve", "looks fine", expected_state="Pending Finance Review")
		order.reload()
		self.assertEqual(order.workflow_state, "Pending Finance Review")
		self.assertFalse(
			frappe.db.exists("Order Review", {"customer_order": order.name, "decision": "Approved"})
		)
		with acting_as(reviewer("Finance")):
			take_action(
				order.name, "Approve", "limit raised by phone", expected_state="Pending Finance Review"
			)
		order.reload()
		self.assertEqual(order.status, "To Deliver")
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
