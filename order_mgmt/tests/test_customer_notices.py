"""Customer notices never block the business step they follow (issue 11, item 7).

With `mute_emails` set (staging and test sites) and no outgoing Email Account, Frappe's `sendmail`
raises AttributeError (its stand-in account has no address), not OutgoingEmailError. Either way the
Delivery Note is submitted and the Return Request moves on; the failure is in the Error Log and a
comment on the document says the email was not sent."""

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
from frappe.tests.utils import FrappeTestCase

from order_mgmt.tests.test_return_request import decide, delivered_order, make_request
from order_mgmt.tests.utils import make_customer, make_item, make_order, reviewer

BUYER = "buyer@example.com"


class NoticeCases:
	"""The cases, run with mute_emails on and off by the two test classes below."""

	mute_emails = False

	def setUp(self):
		# No outgoing Email Account (the test site may have one from other tests: switch them off).
		for account in frappe.get_all("Email Account", pluck="name"):
			frappe.db.set_value("Email Account", account, {"default_outgoing": 0, "enable_outgoing": 0})
		frappe.local.outgoing_email_account = {}  # Frappe's per-request cache of the account
		previous = frappe.flags.mute_emails
		frappe.flags.mute_emails = self.mute_emails
		self.addCleanup(setattr, frappe.flags, "mute_emails", previous)
		self.addCleanup(setattr, frappe.local, "outgoing_email_account", {})

	def assert_told_why_no_email_went(self, doctype: str, name: str) -> None:
		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": doctype, "reference_name": name, "comment_type": "Comment"},
			pluck="content",
		)
		self.assertTrue(any("not sent" in text and BUYER in text for text in comments), comments)
		self.assertTrue(
			frappe.db.exists("Error Log", {"reference_doctype": doctype, "reference_name": name}),
			f"no Error Log for {doctype} {name}",
		)
		self.assertFalse(
			frappe.db.exists("Email Queue", {"reference_doctype": doctype, "reference_name": name})
		)

	def test_a_delivery_note_is_submitted_although_the_shipping_email_fails(self):
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		note = make_delivery_note(order.sales_order)
		note.update({"lr_no": "TRK-7", "contact_email": BUYER})
		note.insert()
		note.submit()
		self.assertEqual(frappe.db.get_value("Delivery Note", note.name, "docstatus"), 1)
		self.assert_told_why_no_email_went("Delivery Note", note.name)

	def test_a_return_request_is_submitted_although_the_customer_email_fails(self):
		delivery = delivered_order(qty=1)
		frappe.db.set_value("Customer", delivery.customer, "email_id", BUYER)
		request = make_request(delivery, [{"qty": 1}], submit=True)
		self.assertEqual((request.docstatus, request.status), (1, "Submitted"))
		self.assert_told_why_no_email_went("Return Request", request.name)
		decide(reviewer("Sales"), request, "Approve")  # a workflow step tells the customer too
		self.assertEqual(request.status, "Approved")


class TestNoticesWithMutedEmails(NoticeCases, FrappeTestCase):
	mute_emails = True


class TestNoticesWithoutAnEmailAccount(NoticeCases, FrappeTestCase):
	mute_emails = False
