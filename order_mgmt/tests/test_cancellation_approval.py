"""Cancelling an approved order, made auditable: a request above the threshold, an Order Manager's
approval or rejection (four-eyes, recorded like a review decision), and a paid advance refunded
through ERPNext or kept as customer credit."""

import frappe
import frappe.client
from erpnext.accounts.utils import get_balance_on
from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice
from frappe.query_builder.functions import Sum
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt

from order_mgmt.accounting.payments import register_payment
from order_mgmt.erpnext_bridge.stock_reservation import reserved_qty_by_line
from order_mgmt.orders.cancellation import (
	CancellationApprovalError,
	CancellationError,
	CancellationFourEyesError,
	CancellationRequestError,
	approve_cancellation,
	cancel_order,
	reject_cancellation,
	request_cancellation,
)
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	manager,
	reviewer,
	role_user,
	run_concurrently,
)

THRESHOLD = 150


def money(value) -> float:
	return round(flt(value), 2)


def balance(customer: str) -> float:
	return money(get_balance_on(party_type="Customer", party=customer, company=company()))


def approved_order(rate: float = 100.0, qty: int = 2):
	order = make_order(
		make_customer(), [{"item_code": make_item(rate=rate, stock_qty=10), "qty": qty}], submit=True
	)
	assert order.sales_order, (order.status, [r.message for r in order.hold_reasons])
	return order


def pay_advance(order, amount: float) -> list[str]:
	with acting_as("Administrator"):
		return register_payment(order.name, amount, "Bank Transfer", reference_no="ADVANCE")


def sales_order_total(order) -> float:
	values = frappe.db.get_value("Sales Order", order.sales_order, ["rounded_total", "grand_total"])
	return money(values[0] or values[1])


def set_threshold(test, value: float) -> None:
	previous = frappe.db.get_single_value("Order Management Settings", "cancellation_approval_threshold")
	frappe.db.set_single_value("Order Management Settings", "cancellation_approval_threshold", value)
	test.addCleanup(
		frappe.db.set_single_value,
		"Order Management Settings",
		"cancellation_approval_threshold",
		previous or 0,
	)


def customer_service() -> str:
	return role_user("customer-service", ["Customer Service"])


def open_todos(order, user: str) -> int:
	return frappe.db.count(
		"ToDo",
		{
			"reference_type": "Customer Order",
			"reference_name": order.name,
			"allocated_to": user,
			"status": "Open",
		},
	)


class TestCancellationRequest(FrappeTestCase):
	def setUp(self):
		set_threshold(self, THRESHOLD)
		self.order = approved_order(qty=2)
		self.assertGreaterEqual(self.order.base_grand_total, THRESHOLD)

	def request(self, user: str | None = None, **kwargs):
		with acting_as(user or clerk()):
			result = request_cancellation(
				self.order.name,
				kwargs.pop("cancellation_reason", "Price"),
				kwargs.pop("comment", "found it cheaper"),
				**kwargs,
			)
		self.order.reload()
		return result

	def test_request_then_approval_runs_the_cancellation(self):
		reserved = reserved_qty_by_line(self.order.sales_order)
		self.assertTrue(sum(reserved.values()) > 0)
		self.request()
		self.assertEqual((self.order.docstatus, self.order.cancellation_requested), (1, 1))
		(row,) = self.order.cancellation_decisions
		self.assertEqual(
			(row.requested_by, row.cancellation_reason, row.request_comment, row.decision),
			(clerk(), "Price", "found it cheaper", "Pending"),
		)
		self.assertEqual(open_todos(self.order, manager()), 1)
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "docstatus"), 1)

		with acting_as(manager()):
			approve_cancellation(self.order.name, "agreed")
		self.order.reload()
		self.assertEqual((self.order.docstatus, self.order.status), (2, "Cancelled"))
		self.assertEqual(
			(
				self.order.cancellation_category,
				self.order.cancellation_reason,
				self.order.cancellation_requested,
			),
			("Price", "found it cheaper", 0),
		)
		(row,) = self.order.cancellation_decisions
		self.assertEqual(
			(row.decision, row.decided_by, row.decision_comment), ("Approved", manager(), "agreed")
		)
		self.assertTrue(row.decided_on)
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "docstatus"), 2)
		self.assertEqual(sum(reserved_qty_by_line(self.order.sales_order).values()), 0)
		self.assertEqual(open_todos(self.order, manager()), 0)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{"reference_name": self.order.name, "content": ("like", "%Cancellation%Approved%agreed%")},
			)
		)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": clerk(), "document_name": self.order.name, "subject": ("like", "%approved%")},
			)
		)

	def test_a_rejection_needs_a_comment_and_leaves_the_order_as_it_was(self):
		self.request()
		with acting_as(manager()), self.assertRaises(CancellationError):
			reject_cancellation(self.order.name, "  ")
		with acting_as(manager()):
			reject_cancellation(self.order.name, "the customer must pay the restocking fee first")
		self.order.reload()
		self.assertEqual(
			(self.order.docstatus, self.order.status, self.order.cancellation_requested),
			(1, "To Deliver", 0),
		)
		self.assertFalse(self.order.cancellation_reason)
		(row,) = self.order.cancellation_decisions
		self.assertEqual((row.decision, row.decided_by), ("Rejected", manager()))
		self.assertEqual(frappe.db.get_value("Sales Order", self.order.sales_order, "docstatus"), 1)
		self.assertEqual(open_todos(self.order, manager()), 0)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_name": self.order.name,
					"content": ("like", "%Cancellation%Rejected%restocking%"),
				},
			)
		)
		with acting_as(manager()), self.assertRaises(CancellationRequestError):
			approve_cancellation(self.order.name)  # nothing waits any more
		self.request(comment="asked again")  # a new request may follow
		self.assertEqual([row.decision for row in self.order.cancellation_decisions], ["Rejected", "Pending"])

	def test_the_requester_never_approves_their_own_request(self):
		self.request(manager())
		with acting_as(manager()), self.assertRaises(CancellationFourEyesError):
			approve_cancellation(self.order.name)
		with acting_as(manager()), self.assertRaises(CancellationFourEyesError):
			reject_cancellation(self.order.name, "withdrawn")
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "docstatus"), 1)
		with acting_as(manager("-2")):
			approve_cancellation(self.order.name)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "docstatus"), 2)

	def test_a_clerk_cannot_approve_nor_cancel_directly(self):
		with acting_as(clerk()), self.assertRaises(CancellationApprovalError):
			cancel_order(self.order.name, "changed mind")
		self.request()
		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			approve_cancellation(self.order.name)
		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			reject_cancellation(self.order.name, "never mind")
		self.assertEqual(
			frappe.db.get_value("Customer Order", self.order.name, ["docstatus", "cancellation_requested"]),
			(1, 1),
		)

	def test_two_managers_deciding_at_once_one_decides_the_other_is_told(self):
		self.request()
		first, second = manager(), manager("-2")
		frappe.db.commit()  # the other connections must see the order and its request

		def decide(user, approve):
			frappe.set_user(user)
			if approve:
				return approve_cancellation(self.order.name, "yes")
			return reject_cancellation(self.order.name, "no")

		results = run_concurrently([lambda: decide(first, True), lambda: decide(second, False)])
		errors = [result for result in results if isinstance(result, Exception)]
		self.assertEqual(len(errors), 1, results)
		self.assertIsInstance(errors[0], CancellationRequestError, getattr(errors[0], "traceback", ""))
		self.order.reload()
		(row,) = self.order.cancellation_decisions
		self.assertEqual(self.order.docstatus, 2 if row.decision == "Approved" else 1)
		self.assertEqual(self.order.cancellation_requested, 0)

	def test_two_requests_at_once_make_one_request(self):
		requesters = clerk(), manager()
		frappe.db.commit()  # the other connections must see the order

		def ask(user):
			frappe.set_user(user)
			return request_cancellation(self.order.name, "Price", f"asked by {user}")

		results = run_concurrently([lambda user=user: ask(user) for user in requesters])
		errors = [result for result in results if isinstance(result, Exception)]
		self.assertEqual(len(errors), 1, results)
		self.assertIsInstance(errors[0], CancellationRequestError, getattr(errors[0], "traceback", ""))
		self.order.reload()
		self.assertEqual([row.decision for row in self.order.cancellation_decisions], ["Pending"])

	def test_one_request_at_a_time_and_a_reason_is_required(self):
		with self.assertRaises(CancellationError):
			self.request(cancellation_reason="")
		with self.assertRaises(CancellationError):
			self.request(cancellation_reason="No Such Reason")
		self.request()
		with self.assertRaises(CancellationRequestError):
			self.request(comment="again")
		self.assertEqual(len(self.order.cancellation_decisions), 1)

	def test_an_order_manager_cancelling_directly_decides_a_waiting_request(self):
		self.request()
		with acting_as(manager()):
			cancel_order(self.order.name, "duplicate", category="Duplicate Order")
		self.order.reload()
		self.assertEqual((self.order.docstatus, self.order.cancellation_requested), (2, 0))
		(row,) = self.order.cancellation_decisions
		self.assertEqual((row.decision, row.decided_by), ("Approved", manager()))
		self.assertEqual(open_todos(self.order, manager()), 0)

	def test_the_form_offers_a_request_to_the_clerk_and_the_decision_to_another_manager(self):
		from order_mgmt.orders.cancellation import form_info

		def info(user):
			with acting_as(user):
				return form_info(frappe.get_doc("Customer Order", self.order.name))

		before = info(clerk())
		self.assertEqual(
			(before["needs_approval"], before["is_manager"], before["can_cancel"], before["pending"]),
			(True, False, True, None),
		)
		self.request()
		self.assertEqual(info(clerk())["pending"]["cancellation_reason"], "Price")
		self.assertEqual([info(user)["can_decide"] for user in (clerk(), manager())], [False, True])

	def test_below_the_threshold_the_clerk_cancels_at_once_and_needs_no_request(self):
		order = approved_order(qty=1)
		self.assertLess(order.base_grand_total, THRESHOLD)
		with acting_as(clerk()), self.assertRaises(CancellationRequestError):
			request_cancellation(order.name, "Price")
		with acting_as(clerk()):
			cancel_order(order.name, "cheaper elsewhere", category="Price")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)

	def test_approving_a_request_refunds_the_advance_as_requested(self):
		paid = money(sales_order_total(self.order) / 2)
		pay_advance(self.order, paid)
		self.request(advance_settlement="Refund")
		self.assertEqual(self.order.cancellation_decisions[0].advance_settlement, "Refund")
		with acting_as(manager()):
			approve_cancellation(self.order.name)
		self.order.reload()
		self.assertEqual(
			(self.order.advance_settlement, money(self.order.advance_at_cancellation)), ("Refund", paid)
		)
		self.assertEqual(
			frappe.db.get_value(
				"Payment Entry", self.order.refund_payment_entry, ["payment_type", "paid_amount"]
			),
			("Pay", paid),
		)


class TestForgedCancellationFields(FrappeTestCase):
	FORGED = {
		"cancellation_requested": 1,
		"advance_settlement": "Refund",
		"advance_at_cancellation": 500,
	}

	def test_request_fields_sent_by_a_client_are_not_stored(self):
		set_threshold(self, THRESHOLD)
		order = approved_order(qty=2)
		approver = manager()
		(someone_elses_payment,) = pay_advance(approved_order(qty=1), 10)
		forged = {**self.FORGED, "refund_payment_entry": someone_elses_payment}
		with acting_as(clerk()):
			doc = frappe.client.get("Customer Order", order.name)
			doc.update(forged)
			doc["cancellation_decisions"] = [
				{
					"requested_by": clerk(),
					"cancellation_reason": "Price",
					"decision": "Approved",
					"decided_by": approver,
				}
			]
			frappe.client.save(doc)
		stored = frappe.db.get_value("Customer Order", order.name, list(forged), as_dict=True)
		self.assertEqual({field: stored[field] or None for field in forged}, dict.fromkeys(forged))
		self.assertEqual(frappe.db.count("Customer Order Cancellation Decision", {"parent": order.name}), 0)
		with acting_as(manager()), self.assertRaises(CancellationRequestError):
			approve_cancellation(order.name)  # no request was made
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 1)

	def test_a_row_saved_on_its_own_is_refused(self):
		from order_mgmt.server_owned import ServerOwnedError

		set_threshold(self, THRESHOLD)
		order = approved_order(qty=2)
		with acting_as(clerk()):
			request_cancellation(order.name, "Price")
		row = frappe.db.get_value("Customer Order Cancellation Decision", {"parent": order.name}, "name")
		doc = frappe.get_doc("Customer Order Cancellation Decision", row)
		doc.decision = "Approved"
		with self.assertRaises(ServerOwnedError):
			doc.save(ignore_permissions=True)


class TestRolesAndCancellationActions(FrappeTestCase):
	"""Who may request, approve and reject (an order requested by its clerk for the decisions)."""

	def test_role_grid(self):
		from order_mgmt.tests.test_portal import make_portal_user

		set_threshold(self, THRESHOLD)
		order = approved_order(qty=2)
		users = {
			"Order Clerk": clerk(),
			"Sales Reviewer": reviewer("Sales"),
			"Finance Reviewer": reviewer("Finance"),
			"Warehouse Reviewer": reviewer("Warehouse"),
			"Order Manager": manager(),
			"Customer Service": customer_service(),
			"Portal Customer": make_portal_user(order.customer, key="cancel"),
		}
		expected = {
			"request": {"Order Clerk", "Order Manager"},
			"approve": {"Order Manager"},
			"reject": {"Order Manager"},
		}
		actions = {
			"request": lambda: request_cancellation(order.name, "Price", "grid"),
			"approve": lambda: approve_cancellation(order.name, "grid"),
			"reject": lambda: reject_cancellation(order.name, "grid"),
		}
		found = {action: set() for action in actions}
		for action, call in actions.items():
			for role, user in users.items():
				frappe.db.savepoint("grid")
				if action != "request":
					with acting_as(clerk()):
						request_cancellation(order.name, "Price", "by the clerk")
				try:
					with acting_as(user):
						call()
					found[action].add(role)
				except frappe.PermissionError:
					pass
				finally:
					frappe.db.rollback(save_point="grid")
		self.assertEqual(found, expected)
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, ["docstatus", "cancellation_requested"]), (1, 0)
		)


# Paid share of the Sales Order's total before the cancellation x the choice -> the refund (share of the
# total paid back, None: no Payment Entry), and what stays on the customer's account as credit.
GRID = {
	"unpaid_refund": (0.0, "Refund"),
	"unpaid_credit": (0.0, "Keep as Credit"),
	"partly_paid_refund": (0.4, "Refund"),
	"partly_paid_credit": (0.4, "Keep as Credit"),
	"fully_paid_refund": (1.0, "Refund"),
	"fully_paid_credit": (1.0, "Keep as Credit"),
}


class TestAdvanceOnCancellation(FrappeTestCase):
	def setUp(self):
		set_threshold(self, 0)

	def run_case(self, share: float, choice: str) -> None:
		order = approved_order()
		total = sales_order_total(order)
		before = balance(order.customer)
		paid = money(total * share)
		advances = pay_advance(order, paid) if paid else []
		self.assertEqual(balance(order.customer), money(before - paid))
		with acting_as(clerk()):
			cancel_order(order.name, "changed their mind", advance_settlement=choice)
		order.reload()
		self.assertEqual(order.docstatus, 2)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 2)
		refund = paid if choice == "Refund" and paid else None
		credit = 0 if choice == "Refund" else paid
		facts = {
			"settlement": order.advance_settlement or None,
			"advance": money(order.advance_at_cancellation),
			"refund": money(frappe.db.get_value("Payment Entry", order.refund_payment_entry, "paid_amount"))
			if order.refund_payment_entry
			else None,
			"unallocated on the advance": money(
				sum(
					flt(frappe.db.get_value("Payment Entry", name, "unallocated_amount")) for name in advances
				)
			),
			"customer balance": money(balance(order.customer) - before),
		}
		self.assertEqual(
			facts,
			{
				"settlement": choice if paid else None,
				"advance": paid,
				"refund": refund,
				"unallocated on the advance": credit,
				"customer balance": money(-credit),
			},
			f"total {total}, paid {paid}, {choice}",
		)
		if order.refund_payment_entry:
			self.assertEqual(
				frappe.db.get_value(
					"Payment Entry", order.refund_payment_entry, ["payment_type", "party", "docstatus"]
				),
				("Pay", order.customer, 1),
			)
			# set against the advance (ERPNext's reverse payment): nothing of it stays open
			ple = frappe.qb.DocType("Payment Ledger Entry")
			open_amount = (
				frappe.qb.from_(ple)
				.select(Sum(ple.amount))
				.where((ple.against_voucher_no == order.refund_payment_entry) & (ple.delinked == 0))
			).run()[0][0]
			self.assertEqual(money(open_amount), 0)
		self.assert_ledgers_balanced(order.customer)
		self.assert_bank_moved(advances + [order.refund_payment_entry], money(paid - (refund or 0)))

	def assert_ledgers_balanced(self, customer: str) -> None:
		gle = frappe.qb.DocType("GL Entry")
		vouchers = frappe.get_all(
			"GL Entry",
			filters={"party_type": "Customer", "party": customer, "is_cancelled": 0},
			pluck="voucher_no",
			distinct=True,
		)
		rows = (
			frappe.qb.from_(gle)
			.select(gle.voucher_no, Sum(gle.debit), Sum(gle.credit))
			.where(gle.voucher_no.isin(vouchers) & (gle.is_cancelled == 0))
			.groupby(gle.voucher_no)
		).run()
		self.assertEqual({v: (d, c) for v, d, c in rows if money(d) != money(c)}, {})

	def assert_bank_moved(self, entries: list[str | None], expected: float) -> None:
		"""The money that came in less what went out, on the bank side of the advance and refund."""
		entries = [name for name in entries if name]
		moved = 0.0
		for name in entries:
			payment_type, amount = frappe.db.get_value("Payment Entry", name, ["payment_type", "paid_amount"])
			moved += flt(amount) if payment_type == "Receive" else -flt(amount)
		self.assertEqual(money(moved), expected)

	def test_unpaid_refund(self):
		self.run_case(*GRID["unpaid_refund"])

	def test_unpaid_credit(self):
		self.run_case(*GRID["unpaid_credit"])

	def test_partly_paid_refund(self):
		self.run_case(*GRID["partly_paid_refund"])

	def test_partly_paid_credit(self):
		self.run_case(*GRID["partly_paid_credit"])

	def test_fully_paid_refund(self):
		self.run_case(*GRID["fully_paid_refund"])

	def test_fully_paid_credit(self):
		self.run_case(*GRID["fully_paid_credit"])

	def test_an_invoiced_order_is_not_cancelled_and_nothing_is_paid_out(self):
		"""A refund never pays out what the customer still owes: once invoiced, the order is not cancelled
		(return or credit the invoice instead) and its advance stays where it is."""
		order = approved_order()
		pay_advance(order, money(sales_order_total(order) * 0.4))
		invoice = make_sales_invoice(order.sales_order)
		invoice.insert()
		invoice.submit()
		before = balance(order.customer)
		pays = frappe.db.count("Payment Entry", {"party": order.customer, "payment_type": "Pay"})
		with acting_as(clerk()), self.assertRaises(CancellationError):
			cancel_order(order.name, "changed their mind", advance_settlement="Refund")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 1)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
		self.assertEqual(
			frappe.db.count("Payment Entry", {"party": order.customer, "payment_type": "Pay"}), pays
		)
		self.assertEqual(balance(order.customer), before)

	def test_a_paid_order_is_cancelled_when_erpnext_keeps_advances_linked_on_cancel(self):
		"""Regression: with Accounts Settings › Unlink Advance Payment on Cancellation of Order off, ERPNext
		refused to cancel the Sales Order its advance's Payment Entry references (LinkExistsError), so the
		order could not be cancelled at all; the app releases the advance itself."""
		previous = frappe.db.get_single_value(
			"Accounts Settings", "unlink_advance_payment_on_cancelation_of_order"
		)
		frappe.db.set_single_value("Accounts Settings", "unlink_advance_payment_on_cancelation_of_order", 0)
		self.addCleanup(
			frappe.db.set_single_value,
			"Accounts Settings",
			"unlink_advance_payment_on_cancelation_of_order",
			previous,
		)
		order = approved_order()
		paid = money(sales_order_total(order) / 2)
		(advance,) = pay_advance(order, paid)
		with acting_as(clerk()):
			cancel_order(order.name, "changed their mind", advance_settlement="Refund")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 2)
		order.reload()
		refund = frappe.db.get_value("Payment Entry", order.refund_payment_entry, "paid_amount")
		self.assertEqual(money(refund), paid)
		self.assertEqual(money(frappe.db.get_value("Payment Entry", advance, "unallocated_amount")), 0)

	def test_an_unknown_choice_is_refused(self):
		order = approved_order()
		pay_advance(order, 10)
		with acting_as(clerk()), self.assertRaises(CancellationError):
			cancel_order(order.name, "changed their mind", advance_settlement="Cash Back")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 1)
