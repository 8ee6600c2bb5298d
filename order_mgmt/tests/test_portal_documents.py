"""The portal's order page: the status timeline built from the order's records (without reviewers'
comments or figures), the order's invoices and credit notes as PDF (only the user's own), what is
still owed and how to pay (the company's bank account, Payment Request links)."""

import frappe
from erpnext.accounts.doctype.payment_request.payment_request import make_payment_request
from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return
from frappe.utils import flt, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.portal import documents as portal_documents
from order_mgmt.portal import timeline as portal_timeline
from order_mgmt.tests.test_invoice_print import company_bank_account
from order_mgmt.tests.test_picking import serving_site_assets
from order_mgmt.tests.test_portal import PortalTestCase, create_request, make_portal_user, portal_line
from order_mgmt.tests.test_review import act
from order_mgmt.tests.utils import acting_as, make_customer, make_item, make_order, reviewer

SECRET_COMMENT = "OMT-INTERNAL: margin too thin, approve anyway"


def lifecycle_order(customer: str, qty: float = 4, rate: float = 100, portal: bool = True) -> frappe._dict:
	"""An order of `customer` through its life: submitted through the portal channel (a Sales review,
	approved with an internal comment), stock reserved, picked, shipped (carrier, tracking number, ship
	date) and delivered in full, invoiced. Returns the order, its item, Delivery Note and line, invoice."""
	item = make_item(rate=rate, stock_qty=qty + 10)
	fields = {"channel": "Portal"} if portal else {}
	order = make_order(customer, [{"item_code": item, "qty": qty}], submit=True, **fields)
	if portal:
		act(reviewer("Sales"), order, "Approve", SECRET_COMMENT)
	note = deliver_pick_list(create_pick_list([order.name])["pick_list"])[0]
	frappe.db.set_value(
		"Delivery Note",
		note,
		{"transporter_name": "OMT Express", "lr_no": "OMT-TRACK-4711", "lr_date": nowdate()},
	)
	with acting_as("Administrator"):
		invoice = create_sales_invoice(order.name)
	line = frappe.db.get_value("Delivery Note Item", {"parent": note, "item_code": item}, "name")
	order.reload()
	return frappe._dict(
		order=order, customer=customer, item=item, delivery_note=note, line=line, invoice=invoice
	)


def pay_in_full(order_name: str) -> list[str]:
	outstanding = flt(frappe.db.get_value("Customer Order", order_name, "outstanding_amount"))
	with acting_as("Administrator"):
		return register_payment(order_name, outstanding, "Bank Transfer", reference_no="OMT-PAID")


def credit_note(invoice: str, qty: float = 1) -> str:
	note = make_sales_return(invoice)
	for row in note.items:
		row.qty = -qty
	note.update_stock = 0
	note.insert()
	note.submit()
	return note.name


class TestOrderTimeline(PortalTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		customer = make_customer()
		cls.life = lifecycle_order(customer)
		cls.payments = pay_in_full(cls.life.order.name)
		cls.customer_user = make_portal_user(customer, key="timeline")
		cls.request = create_request(cls.customer_user, cls.life, [portal_line(cls.life, qty=1)])
		cls.credit = credit_note(cls.life.invoice)

	def test_the_timeline_follows_the_order_from_submission_to_returns(self):
		events = portal_timeline.order_timeline(self.life.order.name)
		self.assertEqual(
			[event.kind for event in events],
			[
				"submitted",
				"review_decision",
				"approved",
				"stock_reserved",
				"picked",
				"shipped",
				"delivered",
				"invoiced",
				"payment",
				"paid",
				"return_requested",
				"credit_note",
			],
		)
		by_kind = {event.kind: event for event in events}
		self.assertEqual(by_kind["review_decision"].label, "Sales review: Approved")
		shipped = by_kind["shipped"]
		self.assertEqual(shipped.reference, self.life.delivery_note)
		self.assertEqual(
			[(detail.key, detail.value) for detail in shipped.details],
			[
				("carrier", "OMT Express"),
				("tracking_number", "OMT-TRACK-4711"),
				("ship_date", frappe.utils.format_date(nowdate())),
			],
		)
		self.assertEqual(by_kind["invoiced"].reference, self.life.invoice)
		self.assertEqual(by_kind["payment"].reference, self.payments[0])
		self.assertEqual(by_kind["credit_note"].reference, self.credit)
		self.assertEqual(
			(by_kind["return_requested"].reference, by_kind["return_requested"].url),
			(self.request["name"], f"/my-returns/{self.request['name']}"),
		)
		self.assertTrue(all(event.date == frappe.utils.format_date(nowdate()) for event in events))

	def test_the_page_shows_the_timeline_without_reviewers_comments_names_or_figures(self):
		response, html = self.render(f"/my-orders/{self.life.order.name}", self.customer_user)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="order-timeline"', html)
		self.assertIn('data-kind="shipped"', html)
		self.assertIn("OMT-TRACK-4711", html)
		self.assertIn("Sales review: Approved", html)
		sales_reviewer = reviewer("Sales")
		for secret in (
			SECRET_COMMENT,
			"margin too thin",
			sales_reviewer,
			frappe.db.get_value("User", sales_reviewer, "full_name"),
			"Portal order",  # the rule that held it
			"credit_exposure",
		):
			self.assertNotIn(secret, html)

	def test_an_order_in_review_and_a_cancelled_one_say_so(self):
		order = make_order(
			self.life.customer, [{"item_code": self.life.item, "qty": 1}], submit=True, channel="Portal"
		)
		kinds = [event.kind for event in portal_timeline.order_timeline(order.name)]
		self.assertEqual(kinds, ["submitted", "in_review"])
		self.assertEqual(portal_timeline.order_timeline(order.name)[1].label, "Sales review in progress")
		act(reviewer("Sales"), order, "Reject", SECRET_COMMENT)
		kinds = [event.kind for event in portal_timeline.order_timeline(order.name)]
		self.assertEqual(kinds, ["submitted", "review_decision"])
		self.assertEqual(portal_timeline.order_timeline(order.name)[1].outcome, "Rejected")

		auto = make_order(make_customer(), [{"item_code": self.life.item, "qty": 1}], submit=True)
		self.assertEqual(
			[event.kind for event in portal_timeline.order_timeline(auto.name)][:3],
			["submitted", "approved", "stock_reserved"],
		)
		with acting_as("Administrator"):
			cancel_order(auto.name, "OMT: the customer changed their mind")
		self.assertEqual(portal_timeline.order_timeline(auto.name)[-1].kind, "cancelled")

	def test_the_timeline_speaks_chinese(self):
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		labels = [event.label for event in portal_timeline.order_timeline(self.life.order.name)]
		self.assertIn("订单已提交", labels)
		self.assertTrue(all(not label.isascii() for label in labels), labels)


class TestOrderDocuments(PortalTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.bank = company_bank_account()
		customer = make_customer()
		cls.paid = lifecycle_order(customer, portal=False)
		pay_in_full(cls.paid.order.name)
		cls.credit = credit_note(cls.paid.invoice)
		cls.unpaid = lifecycle_order(customer, portal=False)
		cls.customer_user = make_portal_user(customer, key="documents")
		cls.others = lifecycle_order(make_customer(), portal=False)
		cls.others_user = make_portal_user(cls.others.customer, key="documents-other")

	def documents(self, life, user=None):
		with acting_as(user or self.customer_user):
			order = portal_documents.get_order(life.order.name)
			return portal_documents.order_documents(order)

	def test_the_orders_invoices_and_credit_notes_are_listed_with_their_pdf_links(self):
		documents = self.documents(self.paid)
		self.assertEqual(
			[(doc.name, doc.is_credit_note) for doc in documents],
			[(self.paid.invoice, False), (self.credit, True)],
		)
		invoice = documents[0]
		self.assertFalse(invoice.owes)
		self.assertIn(f"name={self.paid.invoice}", invoice.pdf_url)
		self.assertIn(f"order={self.paid.order.name}", invoice.pdf_url)
		self.assertEqual([doc.name for doc in self.documents(self.unpaid)], [self.unpaid.invoice])

		response, html = self.render(f"/my-orders/{self.paid.order.name}", self.customer_user)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="order-documents"', html)
		self.assertEqual(html.count('class="invoice-pdf-link"'), 2)
		self.assertIn(self.credit, html)
		self.assertNotIn(self.unpaid.invoice, html)

	def test_the_pdf_of_an_own_invoice_and_credit_note_downloads_in_the_order_invoice_format(self):
		for name in (self.paid.invoice, self.credit):
			with serving_site_assets(), acting_as(self.customer_user):
				frappe.local.response = frappe._dict()
				portal_documents.download_invoice(name=name, order=self.paid.order.name)
				response = frappe.local.response
			self.assertEqual((response.type, response.filename), ("pdf", f"{name}.pdf"))
			self.assertTrue(response.filecontent.startswith(b"%PDF"))

	def test_another_customers_invoice_or_a_guessed_name_is_not_found(self):
		cases = [
			(self.others.invoice, self.others.order.name),  # theirs, with their order
			(self.others.invoice, self.paid.order.name),  # theirs, with my order
			(self.unpaid.invoice, self.paid.order.name),  # mine, with another of my orders
			("ACC-SINV-2026-99999", self.paid.order.name),  # a guessed name
			(None, self.paid.order.name),
			(self.paid.invoice, None),
		]
		for name, order in cases:
			with acting_as(self.customer_user), self.assertRaises(frappe.PermissionError, msg=(name, order)):
				portal_documents.download_invoice(name=name, order=order)
		with acting_as("Guest"), self.assertRaises(frappe.PermissionError):
			portal_documents.download_invoice(name=self.paid.invoice, order=self.paid.order.name)
		# Frappe's own print endpoints refuse another customer's invoice to the portal user too
		from frappe.utils.print_format import download_pdf

		with acting_as(self.customer_user), self.assertRaises(frappe.PermissionError):
			download_pdf("Sales Invoice", self.others.invoice)

	def test_what_is_owed_and_how_to_pay(self):
		payment_request = make_payment_request(
			dt="Sales Order", dn=self.unpaid.order.sales_order, mute_email=1, return_doc=1, submit_doc=0
		)
		if payment_request.is_new():  # ERPNext saves it only with Accounts Settings' draft option
			payment_request.insert(ignore_permissions=True)
		# Where a payment gateway is configured, ERPNext gives the submitted request its payment link.
		frappe.db.set_value(
			"Payment Request",
			payment_request.name,
			{"docstatus": 1, "status": "Initiated", "payment_url": "https://pay.example.com/omt/4711"},
		)
		with acting_as(self.customer_user):
			order = portal_documents.get_order(self.unpaid.order.name)
			payment = portal_documents.how_to_pay(order, portal_documents.order_documents(order))
		self.assertTrue(payment.owes)
		self.assertEqual(payment.payment_reference, self.unpaid.invoice)
		self.assertEqual(payment.bank.bank_account_no, self.bank["bank_account_no"])
		self.assertEqual(
			[request.url for request in payment.payment_requests], ["https://pay.example.com/omt/4711"]
		)

		response, html = self.render(f"/my-orders/{self.unpaid.order.name}", self.customer_user)
		self.assertIn('id="order-payment"', html)
		self.assertIn(self.bank["bank_account_no"], html)
		self.assertIn('class="btn btn-primary btn-sm mb-1 payment-request-link"', html)
		self.assertIn("https://pay.example.com/omt/4711", html)
		grand_total = frappe.db.get_value("Sales Invoice", self.unpaid.invoice, "grand_total")
		self.assertIn(f"{grand_total:,.2f}", html.split('id="order-payment"')[1].split("</dl>")[0])

		# paid in full: nothing owed, no bank details pressed on the customer
		response, html = self.render(f"/my-orders/{self.paid.order.name}", self.customer_user)
		self.assertNotIn("order-bank-details", html)
		self.assertNotIn("payment-request-link", html)
