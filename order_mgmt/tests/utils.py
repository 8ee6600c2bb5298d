"""Factories and hooks shared by the integration tests (each test builds the data it needs)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import frappe
from frappe.utils import add_days, nowdate

from order_mgmt.utils import acting_as  # noqa: F401  (re-exported for the tests)

PRICE_LIST = "Standard Selling"
WHOLE_UOM = "OM Box"


def before_tests() -> None:
	"""Complete ERPNext's setup wizard on a fresh test site, as ERPNext's own suite does."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	from order_mgmt.setup.install import ensure_settings_defaults

	ensure_settings_defaults()
	# The company is born above, after install-app set the modes of payment's accounts (a fresh site).
	from order_mgmt.accounting.modes_of_payment import ensure_accounts

	ensure_accounts()
	reset_review_rules()
	frappe.db.commit()


def reset_review_rules() -> None:
	"""Start every run from the shipped review rules (a test that switches one off puts it back, but
	an interrupted run would not): their enabled and applies-to-changes flags as in the fixture."""
	import json

	with open(frappe.get_app_path("order_mgmt", "fixtures", "order_review_rule.json")) as handle:
		for rule in json.load(handle):
			if frappe.db.exists("Order Review Rule", rule["name"]):
				frappe.db.set_value(
					"Order Review Rule",
					rule["name"],
					{
						"enabled": rule.get("enabled", 1),
						"applies_to_changes": rule.get("applies_to_changes", 0),
					},
				)


def company() -> str:
	return (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", order_by="creation", limit=1)[0]
	)


def warehouse(company_name: str | None = None) -> str:
	company_name = company_name or company()
	return frappe.db.get_value(
		"Warehouse", {"company": company_name, "warehouse_name": "Stores", "is_group": 0}, "name"
	)


def unique(prefix: str) -> str:
	return f"{prefix}-{frappe.generate_hash(length=6).upper()}"


def ensure_whole_number_uom() -> str:
	if not frappe.db.exists("UOM", WHOLE_UOM):
		frappe.get_doc({"doctype": "UOM", "uom_name": WHOLE_UOM, "must_be_whole_number": 1}).insert()
	return WHOLE_UOM


def make_item(
	rate: float = 100.0,
	stock_qty: float = 100.0,
	valuation_rate: float = 50.0,
	is_stock_item: int = 1,
	max_discount: float = 0.0,
	**fields,
) -> str:
	"""An item with a selling price and, for stock items, stock received through a Stock Entry."""
	code = fields.pop("item_code", None) or unique("OMT-ITEM")
	frappe.get_doc(
		{
			"doctype": "Item",
			"item_code": code,
			"item_name": code,
			"item_group": "All Item Groups",
			"stock_uom": fields.pop("stock_uom", None) or ensure_whole_number_uom(),
			"is_stock_item": is_stock_item,
			"valuation_rate": valuation_rate,
			"max_discount": max_discount,
			**fields,
		}
	).insert()
	if rate:
		frappe.get_doc(
			{"doctype": "Item Price", "item_code": code, "price_list": PRICE_LIST, "price_list_rate": rate}
		).insert()
	if is_stock_item and stock_qty:
		receive_stock(code, stock_qty, valuation_rate)
	return code


def receive_stock(item_code: str, qty: float, rate: float = 50.0, target: str | None = None) -> None:
	entry = frappe.get_doc(
		{
			"doctype": "Stock Entry",
			"stock_entry_type": "Material Receipt",
			"company": company(),
			"items": [
				{"item_code": item_code, "qty": qty, "t_warehouse": target or warehouse(), "basic_rate": rate}
			],
		}
	)
	entry.insert()
	entry.submit()


def make_customer(credit_limit: float = 0.0, known: bool = True, **fields) -> str:
	"""A customer; `known` customers get a first invoice so the new-customer rule lets them through."""
	name = fields.pop("customer_name", None) or unique("OMT Customer")
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_type": "Company",
			"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
			"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name") or "All Territories",
			**fields,
		}
	)
	if credit_limit:
		customer.append("credit_limits", {"company": company(), "credit_limit": credit_limit})
	customer.insert()
	if known:
		make_first_invoice(customer.name)
	return customer.name


def make_first_invoice(customer: str) -> str:
	service = frappe.db.get_value("Item", {"item_code": "OMT-SERVICE"}) or make_item(
		item_code="OMT-SERVICE", rate=1, is_stock_item=0, stock_uom="Nos"
	)
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"customer": customer,
			"company": company(),
			"posting_date": nowdate(),
			"due_date": nowdate(),
			"items": [{"item_code": service, "qty": 1, "rate": 1}],
		}
	)
	invoice.insert()
	invoice.submit()
	return invoice.name


def make_sales_order(
	customer: str, lines: dict[str, float], reserve: bool = False, rate: float | None = None
) -> str:
	"""A submitted Sales Order entered in ERPNext directly (item -> qty, the default warehouse); `reserve`:
	its *Reserve Stock*, so that ERPNext reserves the stock itself on submit."""
	delivery_date = add_days(nowdate(), 5)
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"transaction_date": nowdate(),
			"delivery_date": delivery_date,
			"reserve_stock": int(reserve),
			"items": [
				{
					"item_code": item,
					"qty": qty,
					"warehouse": warehouse(),
					"delivery_date": delivery_date,
					"reserve_stock": int(reserve),
					**({"rate": rate} if rate is not None else {}),
				}
				for item, qty in lines.items()
			],
		}
	)
	so.insert()
	so.submit()
	return so.name


def order_doc(customer: str, lines: list[dict], **fields):
	"""An unsaved Customer Order; lines are dicts of Customer Order Item fields."""
	return frappe.get_doc(
		{
			"doctype": "Customer Order",
			"customer": customer,
			"company": company(),
			"order_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [{"warehouse": warehouse(), **line} for line in lines],
			**fields,
		}
	)


def make_order(customer: str, lines: list[dict], submit: bool = False, as_user: str | None = None, **fields):
	"""Entered (and submitted) by an Order Clerk, so that reviewers are not its creator (four-eyes)."""
	with acting_as(as_user or clerk()):
		order = order_doc(customer, lines, **fields)
		order.insert()
		if submit:
			order.submit()
		order.reload()
	return order


def role_user(key: str, roles: list[str]) -> str:
	"""One user per role set and test site, made on first use."""
	email = f"omt-{key}@example.com"
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": f"OMT {key}", "send_welcome_email": 0}
		)
		user.insert(ignore_permissions=True)
		user.add_roles(*roles)
	else:
		user = frappe.get_doc("User", email)
		extra = {row.role for row in user.roles} - set(roles)
		if extra:
			user.remove_roles(*extra)
		user.add_roles(*roles)
	return email


def clerk() -> str:
	return role_user("clerk", ["Order Clerk", "Sales User", "Stock User"])


def reviewer(stage: str, key: str = "") -> str:
	role = {"Sales": "Sales Reviewer", "Finance": "Finance Reviewer", "Warehouse": "Warehouse Reviewer"}[
		stage
	]
	return role_user(f"{stage.lower()}-reviewer{key}", [role])


def manager(key: str = "") -> str:
	return role_user(f"manager{key}", ["Order Manager", "Sales Manager", "Accounts Manager", "Stock User"])


def make_user(roles: list[str]) -> str:
	email = f"{unique('omt').lower()}@example.com"
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": "OMT",
			"send_welcome_email": 0,
			"user_type": "System User",
		}
	)
	user.insert(ignore_permissions=True)
	user.add_roles(*roles)
	return email


def make_tax_template(rate: float = 13.0) -> str:
	company_name = company()
	abbr = frappe.get_cached_value("Company", company_name, "abbr")
	account = f"OMT Output VAT - {abbr}"
	if not frappe.db.exists("Account", account):
		parent = frappe.db.get_value(
			"Account", {"company": company_name, "account_type": "Tax", "is_group": 1}, "name"
		) or frappe.db.get_value(
			"Account", {"company": company_name, "root_type": "Liability", "is_group": 1}
		)
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "OMT Output VAT",
				"company": company_name,
				"parent_account": parent,
				"account_type": "Tax",
				"tax_rate": rate,
			}
		).insert()
	title = f"OMT VAT {rate}"
	name = frappe.db.get_value("Sales Taxes and Charges Template", {"title": title, "company": company_name})
	if name:
		return name
	return (
		frappe.get_doc(
			{
				"doctype": "Sales Taxes and Charges Template",
				"title": title,
				"company": company_name,
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": account,
						"rate": rate,
						"description": "VAT",
					}
				],
			}
		)
		.insert()
		.name
	)


def count(doctype: str, **filters) -> int:
	return frappe.db.count(doctype, filters)


def run_concurrently(calls: list[Callable[[], object]], user: str = "Administrator") -> list[object]:
	"""Run each call in its own thread with its own site connection and transaction.

	Returns each call's result or the exception it raised. Callers must commit the data the
	calls need first: other connections cannot see this test's uncommitted rows.
	"""
	site, sites_path = frappe.local.site, frappe.local.sites_path
	results: list[object] = [None] * len(calls)
	barrier = threading.Barrier(len(calls))

	def worker(index: int, call: Callable[[], object]) -> None:
		frappe.init(site=site, sites_path=sites_path)
		frappe.connect()
		frappe.set_user(user)
		frappe.flags.in_test = True
		try:
			barrier.wait(timeout=30)
			results[index] = call()
			frappe.db.commit()
		except Exception as error:
			error.traceback = frappe.get_traceback()
			frappe.db.rollback()
			results[index] = error
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(timeout=120)
	return results


def set_background_threshold(test, orders: int) -> None:
	"""Bulk actions over more than `orders` orders go to RQ, for the test's duration."""
	previous = frappe.db.get_single_value("Order Management Settings", "background_pick_list_threshold")
	frappe.db.set_single_value("Order Management Settings", "background_pick_list_threshold", orders)
	test.addCleanup(
		frappe.db.set_single_value,
		"Order Management Settings",
		"background_pick_list_threshold",
		previous or 20,
	)


def make_supplier() -> str:
	name = "OMT Supplier"
	if not frappe.db.exists("Supplier", name):
		frappe.get_doc(
			{"doctype": "Supplier", "supplier_name": name, "supplier_group": "All Supplier Groups"}
		).insert()
	return name


def make_split_terms_template(allocate_by_term: bool) -> str:
	"""A Payment Terms Template of two 50 % terms (now, and in 30 days), with ERPNext's *Allocate Payment
	Based On Payment Terms* set or not; no payment gate."""
	return half_and_half_terms(
		"OMT Split 50-50" + (" by term" if allocate_by_term else ""),
		("OMT First Half", "OMT Second Half"),
		allocate_by_term,
	)


def half_and_half_terms(name: str, term_names: tuple[str, str], allocate_by_term: bool = False) -> str:
	"""The Payment Terms Template `name`: its first term due on the invoice date, the second 30 days
	after, 50 % each (made once)."""
	if frappe.db.exists("Payment Terms Template", name):
		return name
	terms = []
	for term, days in zip(term_names, (0, 30), strict=True):
		if not frappe.db.exists("Payment Term", term):
			frappe.get_doc(
				{
					"doctype": "Payment Term",
					"payment_term_name": term,
					"invoice_portion": 50,
					"due_date_based_on": "Day(s) after invoice date",
					"credit_days": days,
				}
			).insert()
		terms.append(
			{
				"payment_term": term,
				"invoice_portion": 50,
				"due_date_based_on": "Day(s) after invoice date",
				"credit_days": days,
			}
		)
	frappe.get_doc(
		{
			"doctype": "Payment Terms Template",
			"template_name": name,
			"allocate_payment_based_on_payment_terms": int(allocate_by_term),
			"terms": terms,
		}
	).insert()
	return name


def make_purchase_order(item_code: str, qty: float, arrival: str, rate: float = 40.0):
	"""A submitted Purchase Order expected to arrive in the test warehouse on `arrival`."""
	po = frappe.get_doc(
		{
			"doctype": "Purchase Order",
			"supplier": make_supplier(),
			"company": company(),
			"schedule_date": arrival,
			"items": [
				{
					"item_code": item_code,
					"qty": qty,
					"rate": rate,
					"warehouse": warehouse(),
					"schedule_date": arrival,
				}
			],
		}
	)
	po.insert()
	po.submit()
	return po
