"""The customer portal's security grid, over real HTTP requests as a logged-in portal customer: another
customer's orders, invoices, PDFs and return requests are out of reach by page, by /api/method, by
Frappe's own print and resource endpoints and by guessed names; every state-changing portal call needs
Frappe's CSRF token and a POST; what a customer sees first (landing page, menu, the 403 page).

Requests go through Frappe's WSGI application (frappe.app.application, as `bench serve` and gunicorn
run it) with werkzeug's test client, each in its own thread with its own site connection, as a web
server would; the data they read is committed first (unique names: re-runs add their own)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import threading
from urllib.parse import quote, urlencode

import frappe
from frappe.app import application
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password
from frappe.website.utils import clear_website_cache, get_home_page
from werkzeug.test import Client

import order_mgmt.portal
from order_mgmt.setup import portal_menu
from order_mgmt.tests.test_portal import PortalTestCase, make_portal_user, portal_line
from order_mgmt.tests.test_portal_documents import lifecycle_order
from order_mgmt.tests.utils import acting_as, make_customer, make_order

PASSWORD = "Omt-Portal-Secret-4711"
READ_ONLY_METHODS = {
	"order_mgmt.portal.documents.download_invoice",
	"order_mgmt.portal.ordering.search_items",
	"order_mgmt.portal.ordering.addresses_of",
	"order_mgmt.portal.ordering.price_cart",
}
"""Portal methods that change nothing (a GET may reach them); every other one must be POST only."""
WAY_BACK = re.compile(r"""href=["']/my-orders["'][^>]*>\s*Back to My Orders""")
"""The 403 page's button for a logged-in customer."""


def portal_methods() -> dict[str, object]:
	"""Every whitelisted function of the portal modules, by dotted path."""
	for module in pkgutil.iter_modules(order_mgmt.portal.__path__):
		importlib.import_module(f"order_mgmt.portal.{module.name}")
	return {
		f"{fn.__module__}.{fn.__name__}": fn
		for fn in frappe.whitelisted
		if fn.__module__.startswith("order_mgmt.portal")
	}


class HttpSession:
	"""A browser's session with the site: cookies kept between requests."""

	def __init__(self):
		self.client = Client(application, use_cookies=True)
		self.site = frappe.local.site

	def request(self, method: str, path: str, headers: dict | None = None, **kwargs):
		result = {}

		def run():
			try:
				result["response"] = self.client.open(
					path,
					method=method,
					headers={"X-Frappe-Site-Name": self.site, **(headers or {})},
					**kwargs,
				)
			except Exception as error:  # surfaced in the test's thread
				result["error"] = error

		thread = threading.Thread(target=run)
		thread.start()
		thread.join(timeout=180)
		if "error" in result:
			raise result["error"]
		return result["response"]

	def get(self, path: str, **query):
		return self.request("GET", f"{path}?{urlencode(query)}" if query else path)

	def post(self, method: str, data: dict, token: str | None = None):
		headers = {"Accept": "application/json"}
		if token:
			headers["X-Frappe-CSRF-Token"] = token
		return self.request("POST", f"/api/method/{method}", headers=headers, json=data)

	def login(self, user: str) -> dict:
		response = self.request("POST", "/api/method/login", json={"usr": user, "pwd": PASSWORD})
		assert response.status_code == 200, response.get_data(as_text=True)
		return response.json

	def csrf_token(self) -> str:
		"""The token Frappe writes into every page it renders for the session."""
		html = self.get("/my-orders").get_data(as_text=True)
		return re.search(r'frappe\.csrf_token = "([^"]+)"', html).group(1)


def password_user(customer: str, key: str) -> str:
	user = make_portal_user(customer, key=key)
	update_password(user, PASSWORD)
	return user


class TestPortalSecurityGrid(FrappeTestCase):
	"""Customer A (self.user) against customer B's documents, over HTTP."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		clear_website_cache()
		cls.mine = lifecycle_order(make_customer(), portal=False)
		cls.user = password_user(cls.mine.customer, "grid-a")
		cls.in_review = make_order(
			cls.mine.customer, [{"item_code": cls.mine.item, "qty": 1}], submit=True, channel="Portal"
		)
		cls.theirs = lifecycle_order(make_customer(), portal=False)
		cls.their_user = password_user(cls.theirs.customer, "grid-b")
		cls.their_name = frappe.db.get_value("Customer", cls.theirs.customer, "customer_name")
		from order_mgmt.portal.returns import create_return_request

		with acting_as(cls.their_user):
			cls.their_request = create_return_request(
				cls.theirs.order.name, frappe.as_json([portal_line(cls.theirs, qty=1)]), "Refund"
			)["name"]
		frappe.db.commit()  # the HTTP requests run on their own connections
		cls.http = HttpSession()
		cls.landing = cls.http.login(cls.user)
		cls.token = cls.http.csrf_token()

	def assert_nothing_of_theirs(self, response, path):
		body = response.get_data(as_text=True)
		for secret in (self.their_name, self.theirs.item, self.theirs.invoice + ".pdf", "%PDF"):
			self.assertNotIn(secret, body, path)

	def test_login_lands_a_portal_customer_on_their_orders(self):
		self.assertEqual(self.landing["home_page"], "/my-orders")
		response = self.http.get("/")
		self.assertEqual(response.status_code, 200)
		self.assertIn(self.mine.order.name, response.get_data(as_text=True))

	def test_another_customers_pages_are_refused_like_missing_ones(self):
		for path in (
			f"/my-orders/{self.theirs.order.name}",
			"/my-orders/CO-2099-99999",
			f"/my-returns/{self.their_request}",
			"/my-returns/RR-2099-99999",
			f"/my-returns/new?order={quote(self.theirs.order.name)}",
			f"/printview?doctype=Sales%20Invoice&name={quote(self.theirs.invoice)}&format=Order%20Invoice",
		):
			response = self.http.get(path)
			self.assertEqual(response.status_code, 403, path)
			self.assert_nothing_of_theirs(response, path)
			body = response.get_data(as_text=True)
			# a logged-in customer is offered the way back, not a login
			self.assertTrue(WAY_BACK.search(body), path)
			self.assertNotIn("/login?redirect-to", body, path)
		for path in (
			f"/my-orders/new?from={quote(self.theirs.order.name)}",
			f"/invoices/{quote(self.theirs.invoice)}",
			f"/orders/{quote(self.theirs.order.sales_order)}",
		):
			response = self.http.get(path)
			self.assert_nothing_of_theirs(response, path)

	def test_another_customers_invoices_and_pdfs_are_refused_by_every_endpoint(self):
		method = "/api/method/order_mgmt.portal.documents.download_invoice"
		for name, order in (
			(self.theirs.invoice, self.theirs.order.name),
			(self.theirs.invoice, self.mine.order.name),
			("ACC-SINV-2099-99999", self.mine.order.name),
			(self.mine.invoice, self.theirs.order.name),
		):
			response = self.http.get(method, name=name, order=order)
			self.assertEqual(response.status_code, 403, (name, order))
			self.assert_nothing_of_theirs(response, (name, order))
		for path, query in (
			(
				"/api/method/frappe.utils.print_format.download_pdf",
				{"doctype": "Sales Invoice", "name": self.theirs.invoice, "format": "Order Invoice"},
			),
			(
				"/api/method/frappe.www.printview.get_html_and_style",
				{"doc": "Sales Invoice", "name": self.theirs.invoice, "print_format": "Order Invoice"},
			),
			("/api/method/frappe.client.get", {"doctype": "Sales Invoice", "name": self.theirs.invoice}),
			(f"/api/resource/Sales Invoice/{quote(self.theirs.invoice)}", {}),
		):
			response = self.http.get(path, **query)
			self.assertIn(response.status_code, (403, 404), path)
			self.assert_nothing_of_theirs(response, path)

	def test_another_customers_orders_and_returns_cannot_be_acted_on(self):
		before = frappe.db.get_value(
			"Customer Order", self.theirs.order.name, ["docstatus", "status", "modified"], as_dict=True
		)
		methods = portal_methods()
		attempts = [
			(
				"order_mgmt.portal.returns.create_return_request",
				{
					"customer_order": self.theirs.order.name,
					"items": [portal_line(self.theirs, qty=1)],
					"resolution_type": "Refund",
				},
			),
			(
				"order_mgmt.portal.ordering.cancel_order",
				{"name": self.theirs.order.name, "reason": "mine now"},
			),
			(
				"order_mgmt.portal.ordering.change_order",
				{"name": self.theirs.order.name, "cart": {}, "request_key": "x"},
			),
			("order_mgmt.portal.feedback.leave_feedback", {"name": self.theirs.order.name, "rating": 1}),
		]
		tried = 0
		for method, data in attempts:
			if method not in methods:
				continue  # not built (yet) on this branch
			tried += 1
			response = self.http.post(method, data, token=self.token)
			self.assertNotEqual(response.status_code, 200, method)
			self.assertNotEqual(
				response.status_code, 400, f"{method}: refused for CSRF, not for the customer"
			)
			self.assert_nothing_of_theirs(response, method)
		self.assertGreaterEqual(tried, 2)
		frappe.db.rollback()  # read what the requests committed
		after = frappe.db.get_value(
			"Customer Order", self.theirs.order.name, ["docstatus", "status", "modified"], as_dict=True
		)
		self.assertEqual(after, before)
		self.assertEqual(frappe.db.count("Return Request", {"customer_order": self.theirs.order.name}), 1)
		for doctype, name in (
			("Customer Order", self.theirs.order.name),
			("Return Request", self.their_request),
			("Sales Invoice", self.theirs.invoice),
		):
			response = self.http.get(f"/api/resource/{doctype}/{quote(name)}")
			self.assertEqual(response.status_code, 403, doctype)

	def test_every_state_changing_portal_call_is_post_only_and_needs_the_csrf_token(self):
		methods = portal_methods()
		self.assertIn("order_mgmt.portal.returns.create_return_request", methods)
		for path, fn in sorted(methods.items()):
			self.assertNotIn(fn, frappe.guest_methods, path)
			allowed = frappe.allowed_http_methods_for_whitelisted_func[fn]
			if path not in READ_ONLY_METHODS:
				self.assertEqual(allowed, ["POST"], f"{path} changes state: POST only, so CSRF applies")
			if "POST" in allowed:
				response = self.http.post(path, {"name": self.in_review.name})
				self.assertEqual(response.status_code, 400, path)
				self.assertIn("CSRFTokenError", response.get_data(as_text=True), path)
		# a GET cannot reach a POST-only method (no CSRF check applies to GET)
		requests_before = frappe.db.count("Return Request", {"customer_order": self.mine.order.name})
		response = self.http.get(
			"/api/method/order_mgmt.portal.returns.create_return_request",
			customer_order=self.mine.order.name,
			items=frappe.as_json([portal_line(self.mine, qty=1)]),
			resolution_type="Refund",
		)
		self.assertEqual(response.status_code, 403)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.count("Return Request", {"customer_order": self.mine.order.name}), requests_before
		)

	def test_the_csrf_token_lets_the_customers_own_call_through_and_stays_required_after_it(self):
		data = {
			"customer_order": self.mine.order.name,
			"items": [portal_line(self.mine, qty=1)],
			"resolution_type": "Refund",
		}
		refused = self.http.post("order_mgmt.portal.returns.create_return_request", data)
		self.assertEqual(refused.status_code, 400)
		response = self.http.post("order_mgmt.portal.returns.create_return_request", data, token=self.token)
		self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
		created = response.json["message"]["name"]
		frappe.db.rollback()  # a fresh snapshot: the request committed on its own connection
		self.assertEqual(frappe.db.get_value("Return Request", created, "customer"), self.mine.customer)
		# the call submits the request as the app (acting as Administrator): the session keeps its token
		for _attempt in range(2):
			again = self.http.post("order_mgmt.portal.ordering.cancel_order", {"name": self.in_review.name})
			self.assertEqual(again.status_code, 400, again.get_data(as_text=True))
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Customer Order", self.in_review.name, "docstatus"), 1)

	def test_a_call_that_acts_as_the_app_keeps_the_customers_session(self):
		"""create_return_request submits as Administrator (acting_as): Frappe's set_user blanks the web
		session's id and data, which the session's periodic save would then store."""
		http = HttpSession()
		http.login(self.user)
		token = http.csrf_token()
		sid = http.client.get_cookie("sid").value
		frappe.cache.hdel("last_db_session_update", sid)  # this request's end saves the session
		delivery = lifecycle_order(self.mine.customer, portal=False)
		frappe.db.commit()
		data = {
			"customer_order": delivery.order.name,
			"items": [portal_line(delivery, qty=1)],
			"resolution_type": "Refund",
		}
		response = http.post("order_mgmt.portal.returns.create_return_request", data, token=token)
		self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
		logged = http.get("/api/method/frappe.auth.get_logged_user")
		self.assertEqual((logged.status_code, logged.json.get("message")), (200, self.user))
		again = http.post("order_mgmt.portal.ordering.cancel_order", {"name": self.in_review.name})
		self.assertEqual(again.status_code, 400, again.get_data(as_text=True))


class TestWhatACustomerSeesFirst(PortalTestCase):
	def setUp(self):
		frappe.cache.hdel("home_page", self.user)
		frappe.cache.hdel("portal_menu_items", self.user)

	def test_a_portal_customer_lands_on_their_orders_unless_an_admin_chose_otherwise(self):
		with acting_as(self.user):
			self.assertEqual(get_home_page(), "my-orders")
		previous = frappe.db.get_single_value("Portal Settings", "default_portal_home")
		self.addCleanup(frappe.cache.hdel, "home_page", self.user)
		self.addCleanup(frappe.db.set_single_value, "Portal Settings", "default_portal_home", previous)
		frappe.db.set_single_value("Portal Settings", "default_portal_home", "addresses")
		frappe.cache.hdel("home_page", self.user)
		with acting_as(self.user):
			self.assertEqual(get_home_page(), "addresses")

	def sidebar(self, user):
		frappe.cache.hdel("portal_menu_items", user)
		_response, html = self.render("/my-orders", user)
		return re.findall(r'<li class="sidebar-item">\s*<a href="([^"]+)"', html)

	def test_the_menu_shows_the_apps_pages_first_and_none_of_erpnexts_that_say_nothing_to_show(self):
		routes = self.sidebar(self.user)
		self.assertEqual(routes[:3], ["/my-orders", "/my-orders/templates", "/my-returns"])
		for hidden in portal_menu.HIDDEN_ROUTES:
			self.assertNotIn(hidden, routes)
		self.assertIn("/addresses", routes)  # the customer's addresses serve ordering

	def test_the_menu_is_set_up_once_and_an_admins_later_choice_stands(self):
		self.addCleanup(self.restore_menu, self.snapshot_menu())
		settings = frappe.get_single("Portal Settings")
		settings.get("menu", {"route": "/invoices"})[0].enabled = 1
		settings.save()
		portal_menu.apply_portal_menu()  # as the next migrate does
		self.assertIn("/invoices", self.sidebar(self.user))

		portal_menu.remove_portal_menu()  # uninstall
		routes = self.sidebar(self.user)
		self.assertNotIn("/my-orders", routes)
		self.assertIn("/orders", routes)

		frappe.get_single("Portal Settings").sync_menu()  # a new install: Frappe adds the hooks' entries
		portal_menu.apply_portal_menu()  # then the app's after_install
		routes = self.sidebar(self.user)
		self.assertEqual(routes[0], "/my-orders")
		self.assertNotIn("/invoices", routes)

	def snapshot_menu(self):
		settings = frappe.get_single("Portal Settings")
		return (
			[row.as_dict() for row in settings.menu],
			frappe.db.get_default(portal_menu.APPLIED_KEY),
		)

	def restore_menu(self, snapshot):
		rows, applied = snapshot
		settings = frappe.get_single("Portal Settings")
		settings.set("menu", [])
		for row in rows:
			settings.append(
				"menu",
				{
					key: row[key]
					for key in ("title", "route", "reference_doctype", "role", "enabled", "target")
				},
			)
		settings.save()
		frappe.db.set_default(portal_menu.APPLIED_KEY, applied)
		frappe.cache.hdel("portal_menu_items", self.user)

	def test_the_403_page_offers_a_logged_in_user_the_way_back_and_a_guest_the_login(self):
		response, html = self.render(f"/my-orders/{self.theirs.order.name}", self.user)
		self.assertEqual(response.status_code, 403)
		self.assertTrue(WAY_BACK.search(html))
		self.assertNotIn("/login?redirect-to", html)

		response, html = self.render(
			"/printview", "Guest", doctype="Delivery Note", name=self.mine.delivery_note
		)
		self.assertEqual(response.status_code, 403)
		self.assertIn("/login?redirect-to", html)

	def test_my_returns_offers_a_new_return_and_a_chooser_of_returnable_orders(self):
		response, html = self.render("/my-returns", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="new-return" href="/my-returns/new"', html)
		response, html = self.render("/my-returns/new", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(f'data-name="{self.mine.order.name}"', html)
		self.assertNotIn(self.theirs.order.name, html)

		# an order not delivered yet has nothing to return and is not offered
		undelivered = make_order(self.mine.customer, [{"item_code": self.mine.item, "qty": 1}], submit=True)
		_response, html = self.render("/my-returns/new", self.user)
		self.assertNotIn(undelivered.name, html)

		unlinked = make_portal_user(None, key="chooser")
		_response, html = self.render("/my-returns/new", unlinked)
		self.assertIn("not linked to a customer", html)
		delivered, user = self.fresh()
		frappe.db.set_value("Item", delivered.item, "is_returnable", 0)
		_response, html = self.render("/my-returns/new", user)
		self.assertIn('id="returnable-orders-empty"', html)

	def test_portal_tables_become_labelled_cards_on_a_phone(self):
		_response, html = self.render(f"/my-orders/{self.mine.order.name}", self.user)
		self.assertIn("@media (max-width: 575.98px)", html)
		self.assertIn("content: attr(data-label)", html)
		self.assertIn('setAttribute("data-label"', html)
