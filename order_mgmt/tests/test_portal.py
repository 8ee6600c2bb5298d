"""Customer portal: a portal user's orders and return requests (pages /my-orders, /my-returns and
the return form), and that a portal user never sees another customer's documents nor reaches the
desk API of Customer Order and Return Request."""

from urllib.parse import quote, urlencode

import frappe
import frappe.client
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate, set_request
from frappe.website.serve import get_response
from frappe.website.utils import clear_website_cache

from order_mgmt.portal import customers as portal_customers
from order_mgmt.portal import orders as portal_orders
from order_mgmt.portal import returns as portal_returns
from order_mgmt.returns.review import review_return
from order_mgmt.returns.validation import ReturnNotAllowedError
from order_mgmt.tests.test_return_request import delivered_order
from order_mgmt.tests.utils import (
	acting_as,
	count,
	make_customer,
	make_item,
	make_order,
	reviewer,
	unique,
)

# A 1x1 transparent PNG: the smallest real image for upload tests.
PNG = bytes.fromhex(
	"89504e470d0a1a0a0000000d4948445200000001000000010806000000"
	"1f15c4890000000d49444154789c6360000002000005000148afa4710000000049454e44ae426082"
)


def make_portal_user(customer: str | None, key: str = "portal") -> str:
	"""A Website User with the role Customer, linked to `customer` through a Contact (the Contact's
	user is the portal user and its links name the Customer)."""
	email = f"{unique(f'omt-{key}').lower()}@example.com"
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": "OMT Portal",
			"user_type": "Website User",
			"send_welcome_email": 0,
		}
	)
	user.insert(ignore_permissions=True)
	user.add_roles("Customer")
	if customer:
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "OMT Portal",
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"user": email,
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)
	return email


def upload_image(user: str, name: str = "box.png") -> frappe._dict:
	"""What /api/method/upload_file does for a portal user: a private File attached to nothing."""
	with acting_as(user):
		file = frappe.get_doc(
			{"doctype": "File", "file_name": name, "content": PNG, "is_private": 1, "folder": "Home"}
		).insert()
	return frappe._dict(name=file.name, file_url=file.file_url)


def portal_line(delivery, qty=1, **fields) -> dict:
	return {
		"delivery_note_item": delivery.line,
		"qty": qty,
		"reason": "No Longer Needed",
		"condition": "Unopened",
		**fields,
	}


def create_request(user: str, delivery, lines: list[dict], resolution_type: str = "Refund", **kwargs):
	with acting_as(user):
		return portal_returns.create_return_request(
			delivery.order.name, frappe.as_json(lines), resolution_type, **kwargs
		)


class PortalTestCase(FrappeTestCase):
	"""Two customers with a delivered order and a portal user each."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		clear_website_cache()  # the route rules and portal menu come from hooks
		cls.mine = delivered_order(qty=5, rate=100)
		cls.theirs = delivered_order(qty=3, rate=50)
		cls.user = make_portal_user(cls.mine.customer)
		cls.other_user = make_portal_user(cls.theirs.customer)

	@staticmethod
	def fresh(qty: float = 5) -> tuple[frappe._dict, str]:
		"""A delivered order of a new customer, and that customer's portal user."""
		delivery = delivered_order(qty=qty, rate=100)
		return delivery, make_portal_user(delivery.customer)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.form_dict = frappe._dict()
		frappe.local.flags.redirect_location = None
		if hasattr(frappe.local, "request"):
			del frappe.local.request

	def render(self, path: str, user: str, **query):
		"""The page at `path` as `user` sees it, through Frappe's website router."""
		with acting_as(user):
			set_request(method="GET", path=path, query_string=urlencode(query))
			frappe.local.form_dict = frappe._dict(query)
			frappe.local.flags.redirect_location = None
			response = get_response()
		return response, frappe.safe_decode(response.get_data())


class TestPortalCustomers(PortalTestCase):
	def test_a_portal_user_is_linked_through_a_contact_or_the_customers_portal_users(self):
		self.assertEqual(frappe.db.get_value("User", self.user, "user_type"), "Website User")
		self.assertEqual(portal_customers.customers_of_user(self.user), [self.mine.customer])
		self.assertEqual(portal_customers.customers_of_user(self.other_user), [self.theirs.customer])
		self.assertEqual(portal_customers.customers_of_user("Guest"), [])

		# ERPNext's own link, the Customer's Portal Users table, counts too
		second = make_customer()
		customer = frappe.get_doc("Customer", second)
		customer.append("portal_users", {"user": self.user})
		customer.save()
		self.assertEqual(portal_customers.customers_of_user(self.user), sorted([self.mine.customer, second]))

	def test_a_user_without_the_customer_role_or_without_a_link_has_no_customer(self):
		unlinked = make_portal_user(None, key="unlinked")
		self.assertEqual(portal_customers.customers_of_user(unlinked), [])
		# (ERPNext gives a user linked through a Contact the role on every save: take it away directly)
		frappe.db.delete("Has Role", {"parent": self.other_user, "role": "Customer"})
		frappe.clear_cache(user=self.other_user)
		self.addCleanup(lambda: frappe.get_doc("User", self.other_user).add_roles("Customer"))
		self.assertEqual(portal_customers.customers_of_user(self.other_user), [])

		with acting_as(unlinked):
			self.assertFalse(portal_orders.order_list().linked)
			self.assertFalse(portal_returns.request_list().linked)
		response, html = self.render("/my-orders", unlinked)
		self.assertEqual(response.status_code, 200)
		self.assertIn("not linked to a customer", html)


class TestPortalOrders(PortalTestCase):
	def test_the_order_list_holds_only_the_users_submitted_orders(self):
		draft = make_order(self.mine.customer, [{"item_code": self.mine.item, "qty": 1}])
		with acting_as(self.user):
			listed = portal_orders.order_list()
		self.assertTrue(listed.linked)
		self.assertEqual([order.name for order in listed.orders], [self.mine.order.name])
		self.assertNotIn(draft.name, [order.name for order in listed.orders])
		(row,) = listed.orders
		self.assertEqual(row.status, frappe.db.get_value("Customer Order", row.name, "status"))
		self.assertEqual(row.per_delivered, "100%")
		grand_total = frappe.db.get_value("Customer Order", row.name, "grand_total")  # taxes included
		self.assertIn(f"{grand_total:,.2f}", row.grand_total)

		with acting_as(self.other_user):
			self.assertEqual(
				[order.name for order in portal_orders.order_list().orders], [self.theirs.order.name]
			)

	def test_the_order_detail_shows_lines_shipments_and_return_requests(self):
		frappe.db.set_value(
			"Delivery Note",
			self.mine.delivery_note,
			{"transporter_name": "SF Express", "lr_no": "SF1234567890", "lr_date": nowdate()},
		)
		with acting_as(self.user):
			detail = portal_orders.order_detail(self.mine.order.name)
		self.assertEqual(detail.order.name, self.mine.order.name)
		self.assertEqual([(item.item_code, item.qty) for item in detail.lines], [(self.mine.item, "5")])
		self.assertEqual(
			[(s.name, s.carrier, s.tracking_number) for s in detail.shipments],
			[(self.mine.delivery_note, "SF Express", "SF1234567890")],
		)
		self.assertTrue(detail.can_request_return)
		self.assertEqual(detail.return_requests, [])

	def test_another_customers_order_is_not_found_like_a_missing_one(self):
		with acting_as(self.user):
			with self.assertRaises(frappe.PermissionError) as foreign:
				portal_orders.order_detail(self.theirs.order.name)
			with self.assertRaises(frappe.PermissionError) as missing:
				portal_orders.order_detail("CO-NO-SUCH-ORDER")
			with self.assertRaises(frappe.PermissionError):
				portal_returns.new_request_context(self.theirs.order.name)
		self.assertEqual(
			str(foreign.exception).replace(self.theirs.order.name, "X"),
			str(missing.exception).replace("CO-NO-SUCH-ORDER", "X"),
		)

	def test_the_desk_api_refuses_a_portal_user(self):
		delivery, user = self.fresh()
		request = create_request(user, delivery, [portal_line(delivery)])
		with acting_as(user):
			for doctype, name in (
				("Customer Order", delivery.order.name),
				("Return Request", request["name"]),
			):
				self.assertFalse(frappe.has_permission(doctype, "read", name))
				with self.assertRaises(frappe.PermissionError):
					frappe.get_list(doctype)
				with self.assertRaises(frappe.PermissionError):
					frappe.get_doc(doctype, name).check_permission("read")
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get(doctype, name)  # /api/resource/<doctype>/<name>
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get_list(doctype)  # /api/resource/<doctype>
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get_value(doctype, "name", {"name": name})
			from order_mgmt.returns.deliveries import get_returnable_lines

			with self.assertRaises(frappe.PermissionError):
				get_returnable_lines(delivery.order.name)

	def test_the_pages_render_the_users_orders_only(self):
		response, html = self.render("/my-orders", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(self.mine.order.name, html)
		self.assertNotIn(self.theirs.order.name, html)
		self.assertIn("/my-returns", html)  # the portal menu

		response, html = self.render(f"/my-orders/{self.mine.order.name}", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(self.mine.delivery_note, html)
		self.assertIn(f"/my-returns/new?order={quote(self.mine.order.name)}", html)

		for name in (self.theirs.order.name, "CO-NO-SUCH-ORDER"):
			response, html = self.render(f"/my-orders/{name}", self.user)
			self.assertEqual(response.status_code, 403)
			self.assertNotIn(self.theirs.customer, html)

	def test_a_guest_is_sent_to_the_login_page(self):
		for path, query in (
			("/my-orders", {}),
			(f"/my-orders/{self.mine.order.name}", {}),
			("/my-returns", {}),
			("/my-returns/new", {"order": self.mine.order.name}),
		):
			response, _html = self.render(path, "Guest", **query)
			self.assertEqual(response.status_code, 302, path)
			location = response.headers["Location"]
			self.assertTrue(location.startswith("/login?redirect-to="), location)
			self.assertIn(quote(path, safe=""), location)

		with acting_as("Guest"), self.assertRaises(frappe.PermissionError):
			portal_orders.order_detail(self.mine.order.name)

	def test_the_return_form_without_an_order_offers_the_orders_with_something_to_return(self):
		response, html = self.render("/my-returns/new", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="returnable-orders"', html)
		self.assertIn(f"/my-returns/new?order={quote(self.mine.order.name)}", html)
		self.assertNotIn(self.theirs.order.name, html)

	def test_the_pages_speak_chinese(self):
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		_response, html = self.render("/my-orders", self.user)
		self.assertIn("我的订单", html)


class TestPortalReturnRequests(PortalTestCase):
	def test_the_return_form_lists_the_returnable_lines(self):
		delivery, user = self.fresh()
		create_request(user, delivery, [portal_line(delivery, qty=2)])
		with acting_as(user):
			context = portal_returns.new_request_context(delivery.order.name)
		(line,) = context.lines
		self.assertEqual(
			(line.delivery_note_item, line.item_code, line.delivered_qty, line.returnable_qty, line.blocked),
			(delivery.line, delivery.item, 5, 3, None),
		)
		self.assertTrue(context.can_return)
		self.assertIn("No Longer Needed", [reason.name for reason in context.reasons])

		response, html = self.render("/my-returns/new", user, order=delivery.order.name)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="portal-return-form"', html)
		self.assertIn(f'data-line="{delivery.line}"', html)
		self.assertIn("create_return_request", html)  # the page script

		response, _html = self.render("/my-returns/new", user, order=self.theirs.order.name)
		self.assertEqual(response.status_code, 403)

	def test_lines_outside_the_window_or_not_returnable_are_shown_but_blocked(self):
		delivery = delivered_order(qty=2, is_returnable=0)
		user = make_portal_user(delivery.customer)
		with acting_as(user):
			(line,) = portal_returns.new_request_context(delivery.order.name).lines
			self.assertTrue(line.blocked)
			self.assertFalse(portal_orders.order_detail(delivery.order.name).can_request_return)
		frappe.db.set_value(
			"Delivery Note", self.mine.delivery_note, "posting_date", add_days(nowdate(), -31)
		)
		with acting_as(self.user):
			(line,) = portal_returns.new_request_context(self.mine.order.name).lines
		self.assertIn("30", line.blocked)
		frappe.db.set_value("Delivery Note", self.mine.delivery_note, "posting_date", nowdate())

	def test_a_request_is_created_and_submitted_with_the_users_lines(self):
		mine, user = self.fresh()
		photo = upload_image(user)
		before = count("Return Request", customer_order=mine.order.name)
		result = create_request(
			user,
			mine,
			[
				portal_line(
					mine,
					qty=2,
					reason="Damaged in Transit",
					condition="Damaged",
					notes="Box crushed",
					photo=photo.file_url,
					item_code="SOMETHING-ELSE",  # ignored: the item is the delivered line's
				)
			],
			resolution_type="Exchange",
			notes="Please send new ones",
		)
		self.assertEqual(count("Return Request", customer_order=mine.order.name), before + 1)
		request = frappe.get_doc("Return Request", result["name"])
		self.assertEqual(
			(request.docstatus, request.status, request.workflow_state), (1, "Submitted", "Submitted")
		)
		self.assertEqual(request.owner, user)
		self.assertEqual((request.customer, request.resolution_type), (mine.customer, "Exchange"))
		self.assertEqual(request.notes, "Please send new ones")
		(line,) = request.items
		self.assertEqual(
			(line.item_code, line.delivery_note, line.delivery_note_item, line.qty, line.amount),
			(mine.item, mine.delivery_note, mine.line, 2, 200),
		)
		self.assertEqual(
			(line.reason, line.condition, line.notes, line.photo),
			("Damaged in Transit", "Damaged", "Box crushed", photo.file_url),
		)
		self.assertEqual(
			frappe.db.get_value("File", photo.name, ["attached_to_doctype", "attached_to_name"]),
			("Return Request", request.name),
		)
		self.assertEqual(result["route"], f"/my-returns/{request.name}")
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{"reference_name": request.name, "comment_type": "Info", "content": ("like", "%portal%")},
			)
		)
		# the four-eyes rule still applies to staff; the portal user is the creator
		with acting_as(user):
			context = portal_returns.new_request_context(mine.order.name)
		self.assertEqual(context.lines[0].returnable_qty, 3)

	def assert_refused(self, user, delivery, lines, error, *fragments, **kwargs):
		"""Refused with `error` naming `fragments`; no request or draft is left behind."""
		before = count("Return Request", customer_order=delivery.order.name)
		total = count("Return Request")
		with self.assertRaises(error) as caught:
			create_request(user, delivery, lines, **kwargs)
		for fragment in fragments:
			self.assertIn(fragment, str(caught.exception))
		self.assertEqual(count("Return Request", customer_order=delivery.order.name), before)
		self.assertEqual(count("Return Request"), total)
		return str(caught.exception)

	def test_another_customers_order_is_refused(self):
		self.assert_refused(self.user, self.theirs, [portal_line(self.theirs)], frappe.PermissionError)
		self.assert_refused("Guest", self.mine, [portal_line(self.mine)], frappe.PermissionError)

	def test_a_line_of_another_order_is_refused(self):
		foreign_line = portal_line(self.theirs, item_code=self.theirs.item)
		self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine), foreign_line],
			ReturnNotAllowedError,
			"Row 2",
			"is not on a submitted Delivery Note",
		)

	def test_a_quantity_above_what_can_be_returned_is_refused_naming_the_row(self):
		message = self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine, qty=1), portal_line(self.mine, qty=5)],
			ReturnNotAllowedError,
			"Row 2",
			"Qty to Return 5",
		)
		self.assertNotIn("Row 1", message)

	def test_missing_condition_photo_or_a_wrong_resolution_is_refused(self):
		self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine, condition="")],
			ReturnNotAllowedError,
			"Row 1",
			"Condition",
		)
		self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine, reason="Damaged in Transit")],
			ReturnNotAllowedError,
			"Row 1",
			"Photo",
		)
		someone_elses = upload_image(self.other_user)
		self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine, photo=someone_elses.file_url)],
			ReturnNotAllowedError,
			"Row 1",
			"photo",
		)
		self.assert_refused(
			self.user,
			self.mine,
			[portal_line(self.mine)],
			ReturnNotAllowedError,
			"Resolution",
			resolution_type="Cash Back",
		)
		self.assert_refused(self.user, self.mine, [], ReturnNotAllowedError, "at least one line")

	def test_the_users_requests_show_status_decisions_and_resulting_documents(self):
		mine, user = self.fresh()
		result = create_request(user, mine, [portal_line(mine, qty=1)])
		theirs = create_request(self.other_user, self.theirs, [portal_line(self.theirs, qty=1)])
		with acting_as(user):
			listed = portal_returns.request_list()
		self.assertEqual([(r.name, r.status) for r in listed.requests], [(result["name"], "Submitted")])

		with acting_as(reviewer("Sales")):
			review_return(result["name"], "Approve", "Photos match the complaint")
		replacement = make_order(mine.customer, [{"item_code": make_item(), "qty": 1}], submit=True)
		frappe.db.set_value(
			"Return Request",
			result["name"],
			{"credit_note": "ACC-SINV-TEST-1", "replacement_order": replacement.name},
		)
		with acting_as(user):
			detail = portal_returns.request_detail(result["name"])
			self.assertEqual(
				[r.status for r in portal_orders.order_detail(mine.order.name).return_requests],
				["Approved"],
			)
		self.assertEqual(detail.request.status, "Approved")
		self.assertEqual(
			[(d.decision, d.comment) for d in detail.decisions], [("Approved", "Photos match the complaint")]
		)
		self.assertNotIn("reviewer", detail.decisions[0])
		self.assertEqual(
			(detail.credit_note, detail.replacement_order), ("ACC-SINV-TEST-1", replacement.name)
		)
		self.assertTrue(detail.replacement_order_visible)

		response, html = self.render(f"/my-returns/{result['name']}", user)
		self.assertEqual(response.status_code, 200)
		self.assertIn("Photos match the complaint", html)
		self.assertIn("ACC-SINV-TEST-1", html)
		self.assertIn(f"/my-orders/{replacement.name}", html)
		self.assertNotIn(reviewer("Sales"), html)

		response, html = self.render("/my-returns", user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(result["name"], html)
		self.assertNotIn(theirs["name"], html)

		for name in (theirs["name"], "RR-NO-SUCH-REQUEST"):
			with acting_as(user), self.assertRaises(frappe.PermissionError):
				portal_returns.request_detail(name)
			response, html = self.render(f"/my-returns/{name}", user)
			self.assertEqual(response.status_code, 403)
			self.assertNotIn(self.theirs.customer, html)

	def test_the_create_method_is_whitelisted_for_post_only(self):
		method = portal_returns.create_return_request
		self.assertIn(method, frappe.whitelisted)
		self.assertNotIn(method, frappe.guest_methods)
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[method], ["POST"])
