"""Credit figures (the permlevel-1 fields of Customer Order: credit limit, credit exposure, the review
checks, line valuation) never reach a user without permlevel-1 read — walked path by path as an
Order Clerk: review records and their checks, the changes list of an amended order's review, the
form's timeline (Version) and docinfo, comments, notifications, ToDos, emails, prints, the portal."""

import json
from urllib.parse import urlencode

import frappe
import frappe.client
from frappe.desk.form import load
from frappe.desk.reportview import get as reportview_get
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt, fmt_money, now_datetime, set_request
from frappe.website.serve import get_response
from frappe.website.utils import clear_website_cache

from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_portal import make_portal_user
from order_mgmt.tests.utils import acting_as, clerk, make_customer, make_item, make_order, manager, reviewer

CREDIT_LIMIT = 12345.67
VALUATION = 9876.54


def figure_forms(value: float) -> set[str]:
	"""The ways a figure can be written: raw, rounded, grouped, with and without the currency."""
	value = flt(value, 2)
	return {
		f"{value:.2f}",
		f"{value:,.2f}",
		repr(value),
		fmt_money(value),
		fmt_money(value, currency=frappe.defaults.get_global_default("currency")),
	}


def report_view(doctype: str, fields: list[str], filters: list) -> dict:
	"""What the list and report views fetch (frappe.desk.reportview.get reads the request's form)."""
	frappe.local.form_dict = frappe._dict(
		doctype=doctype, fields=json.dumps(fields), filters=json.dumps(filters), with_comment_count=0
	)
	try:
		return reportview_get()
	finally:
		frappe.local.form_dict = frappe._dict()


def as_text(value) -> str:
	return value if isinstance(value, str) else json.dumps(value, default=str)


class TestCreditFiguresNeverReachAClerk(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		clear_website_cache()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.form_dict = frappe._dict()
		if hasattr(frappe.local, "request"):
			del frappe.local.request

	def build(self):
		"""Priced below cost (Sales) and over the credit limit (Finance); Finance returns it; the clerk
		amends it with another quantity, so its review lists what changed (credit exposure too)."""
		self.started = now_datetime()
		item = make_item(rate=10000, valuation_rate=VALUATION, stock_qty=20)
		customer = make_customer(credit_limit=CREDIT_LIMIT)
		frappe.local.message_log = []
		order = make_order(customer, [{"item_code": item, "qty": 2, "discount_percentage": 5}], submit=True)
		self.clerk_messages = list(frappe.local.message_log)
		self.assertEqual(order.review_route, "Sales, Finance")
		with acting_as(reviewer("Sales")):
			take_action(order.name, "Approve", expected_state=order.workflow_state)
		order.reload()
		with acting_as(reviewer("Finance")):
			take_action(order.name, "Return for Changes", "ask for a deposit", order.workflow_state)
		with acting_as(clerk()):
			take_action(order.name, "Cancel", expected_state="Returned for Changes")
			amended = frappe.copy_doc(frappe.get_doc("Customer Order", order.name), ignore_no_copy=False)
			amended.docstatus = 0
			amended.amended_from = order.name
			amended.items[0].qty = 3
			amended.insert()
			amended.submit()
		self.clerk_messages += frappe.local.message_log
		amended.reload()
		self.orders = [order.name, amended.name]
		self.reviews = frappe.get_all(
			"Order Review", filters={"customer_order": ("in", self.orders)}, pluck="name"
		)
		exposures = [frappe.db.get_value("Customer Order", name, "credit_exposure") for name in self.orders]
		self.assertTrue(all(exposures), exposures)
		self.needles = figure_forms(CREDIT_LIMIT) | figure_forms(VALUATION)
		for exposure in exposures:
			self.needles |= figure_forms(exposure)
		self.customer = customer

		# The figures are really there for those who may see them (so this test can fail).
		with acting_as(manager()):
			views = as_text([frappe.client.get("Order Review", name) for name in self.reviews])
		self.assertTrue(any(n in views for n in self.needles), views)
		# The facts the review froze for policy replay carry the credit limit and the valuation.
		with acting_as(manager()):
			frozen = [frappe.client.get("Order Review", name).get("decision_facts") for name in self.reviews]
		self.assertTrue(any(f and str(CREDIT_LIMIT) in f and str(VALUATION) in f for f in frozen), frozen)
		amended_review = frappe.get_last_doc("Order Review", filters={"customer_order": amended.name})
		self.assertTrue(amended_review.changes)
		return order, amended

	def assert_clean(self, path: str, value) -> None:
		text = as_text(value)
		leaked = sorted(n for n in self.needles if n in text)
		self.assertFalse(leaked, f"{path} shows {leaked}: {text[:2000]}")

	def read_or_refused(self, path: str, call) -> None:
		try:
			result = call()
		except frappe.PermissionError:
			frappe.clear_last_message()
			return
		self.assert_clean(path, result)

	def test_a_clerk_sees_no_credit_figure_by_any_path(self):
		order, amended = self.build()
		user = clerk()
		with acting_as(user):
			for name in self.reviews:
				self.read_or_refused(
					f"Order Review {name}", lambda n=name: frappe.client.get("Order Review", n)
				)
				frappe.response.docs = []
				self.read_or_refused(
					f"getdoc Order Review {name}",
					lambda n=name: (load.getdoc("Order Review", n), frappe.response)[1],
				)
			self.read_or_refused(
				"Order Review list",
				lambda: frappe.client.get_list(
					"Order Review", fields=["*"], filters={"name": ("in", self.reviews)}, limit_page_length=0
				),
			)
			for doctype, parent, fields in (
				("Order Review Check", "Order Review", ["message", "measured_value", "threshold", "rule"]),
				("Customer Order Hold Reason", "Customer Order", ["message", "measured_value", "threshold"]),
				("Customer Order Item", "Customer Order", ["valuation_rate"]),
			):
				for field in fields:
					self.read_or_refused(
						f"{doctype}.{field} list",
						lambda d=doctype, p=parent, f=field: frappe.client.get_list(
							d, fields=[f, "parent"], parent=p, limit_page_length=0
						),
					)
			for name in self.reviews:
				self.read_or_refused(
					f"frozen review facts of {name}",
					lambda n=name: frappe.client.get_value("Order Review", "decision_facts", {"name": n}),
				)
			self.read_or_refused(
				"Order Review list with frozen facts",
				lambda: frappe.client.get_list(
					"Order Review",
					fields=["name", "decision_facts"],
					filters={"name": ("in", self.reviews)},
					limit_page_length=0,
				),
			)
			self.read_or_refused(
				"report view of frozen facts",
				lambda: report_view(
					"Order Review",
					["`tabOrder Review`.`decision_facts`"],
					[["Order Review", "name", "in", self.reviews]],
				),
			)
			self.read_or_refused(
				"report view of review checks",
				lambda: report_view(
					"Order Review",
					["`tabOrder Review Check`.`message`", "`tabOrder Review`.`changes`"],
					[["Order Review", "name", "in", self.reviews]],
				),
			)
			for name in self.orders:
				frappe.response.docs = []
				self.read_or_refused(
					f"getdoc Customer Order {name} (form, timeline)",
					lambda n=name: (load.getdoc("Customer Order", n), frappe.response)[1],
				)
				self.read_or_refused(
					f"get_value credit_exposure {name}",
					lambda n=name: frappe.client.get_value("Customer Order", "credit_exposure", {"name": n}),
				)
				frappe.flags.in_test = True  # get_print would otherwise commit
				self.read_or_refused(f"print {name}", lambda n=name: frappe.get_print("Customer Order", n))
			for name in self.reviews:
				self.read_or_refused(
					f"print review {name}", lambda n=name: frappe.get_print("Order Review", n)
				)
			self.read_or_refused(
				"Customer Order list with credit fields",
				lambda: frappe.client.get_list(
					"Customer Order",
					fields=["name", "credit_limit", "credit_exposure"],
					filters={"name": ("in", self.orders)},
					limit_page_length=0,
				),
			)
			self.read_or_refused(
				"report view with credit fields",
				lambda: report_view(
					"Customer Order",
					["`tabCustomer Order`.`credit_exposure`", "`tabCustomer Order Item`.`valuation_rate`"],
					[["Customer Order", "name", "in", self.orders]],
				),
			)
			self.read_or_refused(
				"Version list",
				lambda: frappe.client.get_list(
					"Version",
					fields=["data"],
					filters={"docname": ("in", self.orders + self.reviews)},
					limit_page_length=0,
				),
			)

		# What the clerk is shown or sent, whichever way it is read.
		self.assert_clean("messages shown to the clerk", self.clerk_messages)
		references = self.orders + self.reviews
		self.assert_clean(
			"Version data",
			frappe.get_all("Version", filters={"docname": ("in", references)}, pluck="data"),
		)
		self.assert_clean(
			"comments",
			frappe.get_all("Comment", filters={"reference_name": ("in", references)}, pluck="content"),
		)
		self.assert_clean(
			"notifications",
			frappe.get_all(
				"Notification Log", filters={"for_user": user}, fields=["subject", "email_content"]
			),
		)
		self.assert_clean(
			"ToDos",
			frappe.get_all("ToDo", filters={"reference_name": ("in", references)}, pluck="description"),
		)
		self.assert_clean(
			"emails",
			frappe.get_all("Email Queue", filters={"creation": (">=", self.started)}, pluck="message"),
		)

		# The customer's portal.
		with acting_as("Administrator"):
			portal_user = make_portal_user(self.customer, key="leaks")
		for name in self.orders:
			with acting_as(portal_user):
				set_request(method="GET", path=f"/my-orders/{name}", query_string=urlencode({}))
				frappe.local.form_dict = frappe._dict()
				response = get_response()
			self.assertEqual(response.status_code, 200)
			self.assert_clean(f"portal page of {name}", frappe.safe_decode(response.get_data()))

	def test_an_amended_orders_changes_list_names_what_changed_without_noise(self):
		_order, amended = self.build()
		review = frappe.get_last_doc("Order Review", filters={"customer_order": amended.name})
		meta = frappe.get_meta("Customer Order")
		lines = frappe.utils.strip_html(review.changes).splitlines()
		labels = {line.split(":")[0].strip() for line in lines}
		self.assertIn(
			f"{frappe._('Row {0}').format(1)} {frappe.get_meta('Customer Order Item').get_label('qty')}",
			labels,
		)
		noise = {"ID", "Document Status"} | {
			meta.get_label(field)
			for field in ("duplicate_key", "amended_from", "review_decision", "status", "workflow_state")
		}
		self.assertFalse(noise & labels, lines)
		self.assert_clean("changes", review.changes)
		# The reviewer of the stage still learns how the credit exposure moved.
		with acting_as(reviewer("Sales")):
			seen = frappe.client.get("Order Review", review.name)
		self.assertIn(
			frappe.get_meta("Customer Order").get_label("credit_exposure"),
			seen.get("restricted_changes") or "",
		)


class TestCreditApprovalLeavesNoFigureOnTheSalesOrder(FrappeTestCase):
	def test_the_sales_order_of_an_order_approved_over_its_credit_limit_shows_no_figure(self):
		item = make_item(rate=10000, valuation_rate=10, stock_qty=20)
		order = make_order(
			make_customer(credit_limit=CREDIT_LIMIT), [{"item_code": item, "qty": 2}], submit=True
		)
		self.assertEqual(order.review_route, "Finance")
		with acting_as(reviewer("Finance")):
			take_action(order.name, "Approve", "deposit received", order.workflow_state)
		order.reload()
		self.assertEqual(order.workflow_state, "Approved")
		needles = figure_forms(CREDIT_LIMIT)
		with acting_as(clerk()):
			frappe.response.docs = []
			load.getdoc("Sales Order", order.sales_order)
			seen = as_text(frappe.response)
			frappe.flags.in_test = True
			seen += frappe.get_print("Sales Order", order.sales_order)
		seen += as_text(
			frappe.get_all("Comment", filters={"reference_name": order.sales_order}, pluck="content")
		)
		self.assertFalse([n for n in needles if n in seen], seen[:3000])


class TestVersionsWrittenBeforeTheFix(FrappeTestCase):
	def test_the_patch_strips_restricted_figures_from_existing_versions(self):
		from order_mgmt.patches.v0_3.strip_restricted_fields_from_versions import execute

		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		data = {
			"changed": [["credit_exposure", "1.0", "12,345.67"], ["notes", "a", "b"]],
			"added": [
				["hold_reasons", {"message": "exposure 12345.67"}],
				["items", {"valuation_rate": 12345.67}],
			],
			"removed": [],
			"row_changed": [["items", 0, "x", [["valuation_rate", 1, 12345.67], ["qty", 1, 2]]]],
		}
		version = frappe.get_doc(
			{
				"doctype": "Version",
				"ref_doctype": "Customer Order",
				"docname": order.name,
				"data": json.dumps(data),
			}
		)
		version.db_insert()  # as written before the before_insert hook existed
		execute()
		kept = json.loads(frappe.db.get_value("Version", version.name, "data"))
		self.assertNotIn("12345.67", json.dumps(kept))
		self.assertNotIn("12,345.67", json.dumps(kept))
		self.assertEqual(kept["changed"], [["notes", "a", "b"]])
		self.assertEqual(kept["row_changed"], [["items", 0, "x", [["qty", 1, 2]]]])
