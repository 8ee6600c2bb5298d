"""Hostile input, as a corpus: every kind of bad payload of issue 18 sent the way any logged-in
browser or script can send it (frappe.client as an Order Clerk; the portal's whitelisted method as a
portal user), each either refused with a ValidationError whose message names the field (and the row
for child rows) with nothing saved, or stored harmlessly.

CASES is a plain module-level table so that other intake paths (the REST intake, the importer) can
replay it: a Case is (kind, name, doctype, path, header and line overrides, what the message must
name or how the stored document must look). Values starting with "@" are fixtures resolved at run
time (FIXTURES, made by make_fixtures); DROP removes the key from the payload. order_payload(case)
and request_payload(case, delivery) build the payloads another path would send.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import frappe
import frappe.client
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.portal import returns as portal_returns
from order_mgmt.tests.utils import (
	PRICE_LIST,
	acting_as,
	company,
	make_customer,
	make_first_invoice,
	make_item,
	manager,
	role_user,
	unique,
	warehouse,
)

CO, RR = "Customer Order", "Return Request"
DROP = "@drop"
NAN, INF = float("nan"), float("inf")

# paths: how a case's payload reaches the server
INSERT = "insert"  # frappe.client.insert
SUBMIT = "submit"  # a clean draft inserted, then frappe.client.submit with the overrides
UPDATE = "update"  # a clean order inserted and submitted, then frappe.client.save with the overrides
CANCEL = "cancel"  # a clean order inserted and submitted, then cancel_order with the reason (as a manager)
PORTAL = "portal"  # order_mgmt.portal.returns.create_return_request as the customer's portal user

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


@dataclass(frozen=True)
class Case:
	kind: str
	name: str
	doctype: str = CO
	path: str = INSERT
	header: dict = field(default_factory=dict)
	line: dict = field(default_factory=dict)
	names: tuple[str, ...] = ()
	"""Refused: fragments the message must contain (field label, row). Empty: stored harmlessly."""
	stored: Callable[[frappe._dict], None] | None = None
	"""Stored harmlessly: a check of the stored document (as_dict, children included)."""
	at: tuple[int | None, str | None] | None = None
	"""Refused: the (row, field) a channel answering errors as data (REST) must name, when the case's
	one overridden key does not say it (see `location`)."""

	@property
	def refused(self) -> bool:
		return bool(self.names)


def location(case: Case) -> tuple[int | None, str | None]:
	"""The (row, field) a refusal of the case is about: `at`, else the one key the case sets (a line's:
	row 1)."""
	if case.at is not None:
		return case.at
	line = [key for key, value in case.line.items() if not key.startswith("_") and value != DROP]
	header = [key for key, value in case.header.items() if not key.startswith("_") and value != DROP]
	if len(line) == 1 and not header:
		return 1, line[0]
	if len(header) == 1 and not line:
		return None, header[0]
	raise ValueError(f"case {case.name!r}: give `at`, the (row, field) its refusal names")


def no_markup(*fieldnames: str, line: bool = False) -> Callable:
	def check(doc):
		rows = doc["items"] if line else [doc]
		for row in rows:
			for fieldname in fieldnames:
				value = row.get(fieldname) or ""
				assert "<" not in value and ">" not in value, f"{fieldname} stored with markup: {value!r}"
				assert "alert" not in value or "&lt;" in value, f"{fieldname} kept live script: {value!r}"

	return check


def factor_is_items(doc):
	line = doc["items"][0]
	assert line["conversion_factor"] == 12, line["conversion_factor"]
	assert line["stock_qty"] == 12 * line["qty"], line["stock_qty"]


def factor_is_one(doc):
	line = doc["items"][0]
	assert line["conversion_factor"] == 1, line["conversion_factor"]
	assert line["stock_qty"] == line["qty"], line["stock_qty"]


def discount_measured_against_customers_price(doc):
	line = doc["items"][0]
	assert line["price_list_rate"] == 100, line["price_list_rate"]
	assert line["rate"] == 75, line["rate"]
	assert round(line["discount_percentage"], 6) == 25, line["discount_percentage"]
	assert doc["price_list"] == PRICE_LIST, doc["price_list"]
	assert "High discount" in {reason["rule"] for reason in doc["hold_reasons"]}, doc["hold_reasons"]


def number_cases(doctype: str, fieldname: str, label: str, values: list) -> list[Case]:
	return [
		Case(
			"numbers",
			f"{doctype} {fieldname} = {value!r}",
			doctype,
			line={fieldname: value},
			names=("Row 1", label),
		)
		for value in values
	]


HOSTILE_NUMBERS = [NAN, INF, -INF, "NaN", "Infinity", "abc", [1], {"value": 1}, 1e18, "1e18", True]

CASES: list[Case] = [
	# --- numbers: finite, within the column, each message naming row and field ----------------------
	*number_cases(CO, "qty", "Quantity", HOSTILE_NUMBERS),
	*number_cases(CO, "rate", "Rate", [NAN, "abc", [100], 1e18, -5]),
	*number_cases(CO, "discount_percentage", "Discount", [NAN, "NaN", [5], 150, -10]),
	*number_cases(CO, "conversion_factor", "Conversion Factor", [NAN, "abc", INF]),
	Case(
		"numbers", "header conversion_rate = NaN", header={"conversion_rate": NAN}, names=("Exchange Rate",)
	),
	Case("numbers", "header grand_total = 1e18", header={"grand_total": 1e18}, names=("Grand Total",)),
	Case(
		"master data",
		"conversion factor 0.001 replaced by the item's",
		line={"uom": "@dozen", "qty": 2, "conversion_factor": 0.001},
		stored=factor_is_items,
	),
	Case(
		"master data",
		"conversion factor 0.001 on the stock UOM",
		line={"conversion_factor": 0.001},
		stored=factor_is_one,
	),
	*number_cases(RR, "qty", "Qty to Return", [NAN, "Infinity", "abc", [1], 1e18, -1]),
	# --- dates: real dates only, within a sane window ---------------------------------------------------
	*[
		Case("dates", f"order_date = {value!r}", header={"order_date": value}, names=("Order Date",))
		for value in ["31/12/2099", 20991231, "2025-02-30", "tomorrow", ["2026-01-01"]]
	],
	Case(
		"dates", "order_date 9999-12-31", header={"order_date": "9999-12-31"}, names=("Order Date", "years")
	),
	Case(
		"dates",
		"order_date 1900-01-01",
		header={"order_date": "1900-01-01"},
		names=("Order Date", "fiscal year"),
	),
	Case(
		"dates",
		"delivery_date 31/12/2099",
		header={"delivery_date": "31/12/2099"},
		names=("Requested Delivery Date",),
	),
	Case(
		"dates",
		"delivery_date 2099-12-31",
		header={"delivery_date": "2099-12-31"},
		names=("Requested Delivery Date", "years"),
	),
	Case(
		"dates",
		"line delivery_date 1900-01-01",
		line={"delivery_date": "1900-01-01"},
		names=("Row 1", "Delivery Date"),
	),
	Case(
		"dates",
		"line delivery_date 2025-02-30",
		line={"delivery_date": "2025-02-30"},
		names=("Row 1", "Delivery Date"),
	),
	Case(
		"dates",
		"Return Request posting_date 31/12/2099",
		RR,
		header={"posting_date": "31/12/2099"},
		names=("Request Date",),
	),
	# --- types --------------------------------------------------------------------------------------------
	Case("types", "items as a string", header={"items": "abc"}, names=("Items", "list")),
	Case(
		"types",
		"items as an object",
		header={"items": {"item_code": "@item", "qty": 1}},
		names=("Items", "list"),
	),
	Case(
		"types", "items row as a string", header={"items": ["abc"]}, names=("Items", "row 1"), at=(1, "items")
	),
	Case(
		"types", "Return Request items row as a number", RR, header={"items": [5]}, names=("Items", "row 1")
	),
	Case(
		"types",
		"customer as an object (a filter)",
		header={"customer": {"customer_name": ["like", "%"]}},
		names=("Customer",),
	),
	Case("types", "customer as a list", header={"customer": ["@customer"]}, names=("Customer",)),
	Case(
		"types",
		"line warehouse as a list",
		line={"warehouse": ["@disabled_warehouse"]},
		names=("Row 1", "Warehouse"),
	),
	Case(
		"types", "line item as an object", line={"item_code": {"item_code": "@item"}}, names=("Row 1", "Item")
	),
	Case("types", "Return Request items as a string", RR, header={"items": "abc"}, names=("Items", "list")),
	Case("types", "customer_po as a list", header={"customer_po": ["PO-1", "PO-2"]}, names=("Customer PO",)),
	Case("types", "notes as an object", header={"notes": {"text": "x"}}, names=("Notes",)),
	Case("types", "docstatus 7", header={"docstatus": 7}, names=("docstatus",)),
	Case("types", "docstatus as text", header={"docstatus": "abc"}, names=("docstatus",)),
	Case("types", "order_type not an option", header={"order_type": "Hack"}, names=("Order Type",)),
	Case("types", "priority as a number", header={"priority": 5}, names=("Priority",)),
	Case("types", "order_type as a list", header={"order_type": ["Standard"]}, names=("Order Type",)),
	Case("types", "line idx as text", line={"idx": "abc"}, names=("Row", "idx")),
	# --- master data --------------------------------------------------------------------------------------
	Case(
		"master data",
		"disabled warehouse",
		line={"warehouse": "@disabled_warehouse"},
		names=("Row 1", "Warehouse", "disabled"),
	),
	Case(
		"master data",
		"group warehouse",
		line={"warehouse": "@group_warehouse"},
		names=("Row 1", "Warehouse", "group"),
	),
	Case(
		"master data",
		"other company's warehouse",
		line={"warehouse": "@other_company_warehouse"},
		names=("Row 1", "Warehouse", "company"),
	),
	Case("master data", "disabled UOM", line={"uom": "@disabled_uom"}, names=("Row 1", "UOM")),
	Case(
		"master data",
		"UOM without conversion",
		line={"uom": "@loose_uom"},
		names=("Row 1", "UOM", "conversion"),
	),
	Case("master data", "no company", header={"company": DROP}, names=("Company",), at=(None, "company")),
	Case("master data", "unknown company", header={"company": "No Such Company"}, names=("Company",)),
	Case(
		"master data",
		"cheaper price list: discount measured against the customer's price",
		header={"price_list": "@cheap_price_list"},
		stored=discount_measured_against_customers_price,
	),
	Case(
		"master data",
		"cheaper price list below the item's maximum discount",
		header={"price_list": "@cheap_price_list"},
		line={"item_code": "@capped_item"},
		names=("Row 1", "Rate", "maximum discount"),
		at=(1, "rate"),
	),
	# --- naming series ------------------------------------------------------------------------------------
	Case("naming series", "client-chosen series", header={"naming_series": "HACK-.####"}, names=("Series",)),
	Case(
		"naming series",
		"Return Request client-chosen series",
		RR,
		header={"naming_series": "HACK-.####"},
		names=("Series",),
	),
	# --- HTML: stored as plain text on every write path ---------------------------------------------------
	Case(
		"html",
		"customer_po on insert",
		header={"customer_po": SCRIPT + "PO-1"},
		stored=no_markup("customer_po"),
	),
	Case("html", "notes on insert", header={"notes": IMG + "call first"}, stored=no_markup("notes")),
	Case(
		"html",
		"shipping_address on insert",
		header={"shipping_address": SCRIPT + "Dock 4"},
		stored=no_markup("shipping_address"),
	),
	Case(
		"html",
		"customer_po, notes and address in the submit call",
		path=SUBMIT,
		header={"customer_po": SCRIPT + "PO-2", "notes": IMG + "x", "shipping_address": SCRIPT + "Gate 2"},
		stored=no_markup("customer_po", "notes", "shipping_address"),
	),
	Case(
		"html", "notes changed after submit", path=UPDATE, header={"notes": SCRIPT + "late"}, names=("Notes",)
	),
	Case(
		"html",
		"cancellation reason",
		path=CANCEL,
		header={"cancellation_reason": SCRIPT + "changed mind"},
		stored=no_markup("cancellation_reason"),
	),
	Case(
		"html", "Return Request notes", RR, header={"notes": SCRIPT + "box dented"}, stored=no_markup("notes")
	),
	Case(
		"html",
		"Return Request line notes",
		RR,
		line={"notes": IMG + "scratch"},
		stored=no_markup("notes", line=True),
	),
	# --- the portal's return form -------------------------------------------------------------------------
	*[
		Case(
			"portal",
			f"portal qty = {value!r}",
			RR,
			PORTAL,
			line={"qty": value},
			names=("Row 1", "Qty to Return"),
		)
		for value in ["abc", "NaN", [1], 1e18, {"qty": 1}]
	],
	Case(
		"portal",
		"portal notes with HTML",
		RR,
		PORTAL,
		header={"notes": SCRIPT + "dented"},
		stored=no_markup("notes"),
	),
	Case(
		"portal",
		"portal line notes with HTML",
		RR,
		PORTAL,
		line={"notes": IMG + "scratch"},
		stored=no_markup("notes", line=True),
	),
]

FIXTURES: dict[str, str] = {}
OUTCOMES: list[str] = []
"""What each passing case did (refused with which message, or stored harmlessly), for a reader's look."""


def make_fixtures(delivery: frappe._dict) -> dict[str, str]:
	"""The master data the cases name with "@…"."""
	from order_mgmt.tests.test_portal import make_portal_user

	own = company()
	abbr = frappe.get_cached_value("Company", own, "abbr")
	item = make_item(rate=100, stock_qty=500, max_discount=0)
	for uom, enabled in (("OMT Disabled UOM", 0), ("OMT Loose UOM", 1), ("OMT Dozen", 1)):
		if not frappe.db.exists("UOM", uom):
			frappe.get_doc({"doctype": "UOM", "uom_name": uom, "enabled": enabled}).insert()
	item_doc = frappe.get_doc("Item", item)
	item_doc.append("uoms", {"uom": "OMT Dozen", "conversion_factor": 12})
	item_doc.save()

	disabled = frappe.db.get_value("Warehouse", {"warehouse_name": "OMT Disabled", "company": own})
	if not disabled:
		disabled = (
			frappe.get_doc(
				{"doctype": "Warehouse", "warehouse_name": "OMT Disabled", "company": own, "disabled": 1}
			)
			.insert()
			.name
		)
	group = frappe.db.get_value("Warehouse", {"company": own, "is_group": 1}, "name")
	other = other_company()
	other_warehouse = frappe.db.get_value("Warehouse", {"company": other, "is_group": 0}, "name")

	cheap = "OMT Cheap Selling"
	if not frappe.db.exists("Price List", cheap):
		frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": cheap,
				"selling": 1,
				"currency": delivery.order.currency,
			}
		).insert()
	capped = make_item(rate=100, stock_qty=500, max_discount=10)
	for code in (item, capped):
		frappe.get_doc(
			{"doctype": "Item Price", "item_code": code, "price_list": cheap, "price_list_rate": 75}
		).insert()

	return {
		"@item": item,
		"@capped_item": capped,
		"@customer": make_customer(),
		"@company": own,
		"@abbr": abbr,
		"@dozen": "OMT Dozen",
		"@disabled_uom": "OMT Disabled UOM",
		"@loose_uom": "OMT Loose UOM",
		"@disabled_warehouse": disabled,
		"@group_warehouse": group,
		"@other_company_warehouse": other_warehouse,
		"@cheap_price_list": cheap,
		"@portal_user": make_portal_user(delivery.customer, key="hostile"),
	}


def other_company() -> str:
	name = "OMT Other Company"
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": "OMTOC",
				"default_currency": frappe.get_cached_value("Company", company(), "default_currency"),
				"country": frappe.get_cached_value("Company", company(), "country"),
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert()
	return name


def resolve(value):
	if isinstance(value, str) and value.startswith("@") and value != DROP:
		return FIXTURES[value]
	if isinstance(value, dict):
		return {key: resolve(inner) for key, inner in value.items()}
	if isinstance(value, list):
		return [resolve(inner) for inner in value]
	return value


def apply(payload: dict, overrides: dict) -> dict:
	for key, value in overrides.items():
		if value == DROP:
			payload.pop(key, None)
		else:
			payload[key] = resolve(value)
	return payload


def order_payload(case: Case) -> dict:
	line = apply({"item_code": FIXTURES["@item"], "qty": 2, "warehouse": warehouse()}, case.line)
	return apply(
		{
			"doctype": CO,
			"customer": FIXTURES["@customer"],
			"company": company(),
			"order_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [line],
		},
		case.header,
	)


def request_payload(case: Case, delivery: frappe._dict) -> dict:
	line = apply(
		{
			"item_code": delivery.item,
			"qty": 1,
			"reason": "No Longer Needed",
			"condition": "Unopened",
		},
		case.line,
	)
	return apply(
		{
			"doctype": RR,
			"customer": delivery.customer,
			"customer_order": delivery.order.name,
			"resolution_type": "Refund",
			"posting_date": nowdate(),
			"items": [line],
		},
		case.header,
	)


def counts(doctype: str) -> tuple[int, int]:
	child = {CO: "Customer Order Item", RR: "Return Request Item"}[doctype]
	return frappe.db.count(doctype), frappe.db.count(child)


def messages_of(error: Exception) -> str:
	texts = [str(error)]
	for entry in frappe.local.message_log or []:
		if isinstance(entry, str):
			try:
				entry = json.loads(entry)
			except ValueError:
				texts.append(entry)
				continue
		texts.append(str(entry.get("message", entry)) if isinstance(entry, dict) else str(entry))
	return " ".join(texts)


def send(case: Case, delivery: frappe._dict, clerk: str) -> str:
	"""Send the case's payload on its path; the name of the stored document."""
	if case.path == PORTAL:
		line = apply(
			{
				"delivery_note_item": delivery.line,
				"qty": 1,
				"reason": "No Longer Needed",
				"condition": "Unopened",
			},
			case.line,
		)
		with acting_as(FIXTURES["@portal_user"]):
			result = portal_returns.create_return_request(
				delivery.order.name,
				json.dumps([line]),
				"Refund",
				notes=resolve(case.header.get("notes")),
			)
		return result["name"]
	if case.doctype == RR:  # by the order's own clerk: only who may read an order may request its return
		with acting_as(delivery.order.owner):
			return frappe.client.insert(json.dumps(request_payload(case, delivery)))["name"]
	with acting_as(clerk):
		if case.path == INSERT:
			return frappe.client.insert(json.dumps(order_payload(case)))["name"]
		clean = Case(case.kind, case.name)
		draft = frappe.client.insert(json.dumps(order_payload(clean)))
		if case.path == SUBMIT:
			return frappe.client.submit(frappe.as_json(apply(draft, case.header)))["name"]
		submitted = frappe.client.submit(frappe.as_json(draft))
		if case.path == UPDATE:
			return frappe.client.save(frappe.as_json(apply(submitted, case.header)))["name"]
	with acting_as(manager()):  # who may cancel is the workflow's; the reason is the payload here
		cancel_order(submitted["name"], resolve(case.header["cancellation_reason"]))
	return submitted["name"]


class TestHostileInput(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from order_mgmt.tests.test_return_request import delivered_order

		cls.delivery = delivered_order(qty=5, rate=100)
		FIXTURES.clear()
		FIXTURES.update(make_fixtures(cls.delivery))
		cls.clerk = role_user("clerk-only", ["Order Clerk"])

	def tearDown(self):
		frappe.set_user("Administrator")

	def run_case(self, case: Case) -> str | None:
		"""None when the case passed, else what went wrong."""
		before = counts(case.doctype)
		frappe.local.message_log = []
		savepoint = unique("hostile").replace("-", "_").lower()
		frappe.db.savepoint(savepoint)
		try:
			name = send(case, self.delivery, self.clerk)
		except frappe.ValidationError as error:
			text = messages_of(error)
			frappe.db.rollback(save_point=savepoint)
			if not case.refused:
				return f"refused although it should be stored harmlessly: {type(error).__name__}: {text}"
			missing = [part for part in case.names if part.lower() not in text.lower()]
			if missing:
				return f"message does not name {missing}: {type(error).__name__}: {text}"
			if counts(case.doctype) != before:
				return "something was saved"
			OUTCOMES.append(f"[{case.kind}] {case.name}: refused: {text[:160]}")
			return None
		except Exception as error:  # a raw error: the defect this corpus is about
			frappe.db.rollback(save_point=savepoint)
			return f"raw error {type(error).__name__}: {error} {frappe.get_traceback()[-600:]}"
		finally:
			frappe.set_user("Administrator")
		try:
			if case.refused:
				return f"accepted ({name}), expected a refusal naming {case.names}"
			stored = frappe.get_doc(case.doctype, name).as_dict()
			case.stored(stored)
			OUTCOMES.append(f"[{case.kind}] {case.name}: stored harmlessly")
			return None
		except AssertionError as error:
			return f"stored harmfully: {error}"
		finally:
			frappe.db.rollback(save_point=savepoint)

	def test_corpus(self):
		failures = []
		for case in CASES:
			with self.subTest(kind=case.kind, case=case.name):
				problem = self.run_case(case)
				if problem:
					failures.append(f"[{case.kind}] {case.name}: {problem}")
		print(f"\nHostile input corpus: {len(CASES)} cases, {len(CASES) - len(failures)} passed")
		for failure in failures:
			print("  FAIL", failure)
		self.assertFalse(failures, "\n".join(failures))

	def test_print_formats_escape_free_text(self):
		"""Whatever reached an invoice's PO reference or customer name (older data, other apps), the
		"Order Invoice" print format shows it as text, never as markup."""
		invoice = frappe.get_doc("Sales Invoice", make_first_invoice(FIXTURES["@customer"]))
		invoice.db_set({"po_no": IMG + "PO-9", "customer_name": SCRIPT + "ACME"})
		html = frappe.get_print("Sales Invoice", invoice.name, print_format="Order Invoice", doc=invoice)
		self.assertNotIn(IMG, html)
		self.assertNotIn(SCRIPT, html)
		self.assertIn("&lt;img", html)
		self.assertIn("&lt;script&gt;", html)

	def test_the_corpus_covers_every_kind_of_the_issue(self):
		kinds = {case.kind for case in CASES}
		self.assertLessEqual(
			{"numbers", "dates", "types", "master data", "naming series", "html", "portal"}, kinds
		)
		self.assertTrue(any(case.doctype == RR and case.kind == "numbers" for case in CASES))
		self.assertTrue(any(case.path == SUBMIT for case in CASES))
