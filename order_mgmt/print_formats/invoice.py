"""What the "Order Invoice" print format shows beyond the Sales Invoice itself: seller and buyer with
tax IDs and addresses, the orders behind the invoice, taxes per rate, the total in English and
Chinese words, the company's bank account and a QR code of the invoice reference."""

from __future__ import annotations

import html
import json

import frappe
from frappe import _
from frappe.utils import flt, fmt_money, money_in_words

from order_mgmt.accounting.amount_in_words import chinese_amount_in_words


def invoice_context(doc) -> dict:
	# The portal prints a customer's own invoice after its own check (portal/documents.py: the document's
	# ignore_permissions flag, which has_website_permission honours), as does ERPNext's portal.
	if not (frappe.has_permission("Sales Invoice", "read", doc) or frappe.has_website_permission(doc)):
		frappe.throw(_("Not permitted to read {0}").format(doc.name), frappe.PermissionError)
	total = flt(doc.grand_total, doc.precision("grand_total"))
	words = money_in_words(abs(total), doc.currency)
	return {
		"seller": seller(doc),
		"buyer": buyer(doc),
		"orders": order_references(doc),
		"lines": lines(doc),
		"taxes": tax_breakdown(doc),
		"total": total,
		"in_words": _("Minus {0}").format(words) if total < 0 else words,
		"in_words_zh": chinese_amount_in_words(total),
		"payment_terms_template": doc.payment_terms_template,
		"payment_schedule": payment_schedule(doc),
		**paid_and_outstanding(doc),
		"bank": bank_details(doc.company),
		"qr_code": qr_code_data_uri(qr_text(doc)),
	}


def payment_schedule(doc) -> list[dict]:
	"""The instalments, each named: its Payment Term, else its description, else the template's name
	(one instalment) or "Instalment n of N"; an invoice without a template gets one unnamed row from
	ERPNext, which reads "Payment in full" here."""
	rows = doc.get("payment_schedule") or []
	return [
		{
			"payment_term": row.payment_term,
			"description": row.description,
			"label": row.payment_term
			or row.description
			or (doc.payment_terms_template if len(rows) == 1 else None)
			or (
				_("Instalment {0} of {1}").format(row.idx, len(rows))
				if len(rows) > 1
				else _("Payment in full")
			),
			"due_date": row.due_date,
			"invoice_portion": flt(row.invoice_portion),
			"payment_amount": flt(row.payment_amount),
		}
		for row in rows
	]


def paid_and_outstanding(doc) -> dict:
	"""What the customer has paid against the invoice and what is still due (ERPNext's outstanding)."""
	total = flt(doc.rounded_total) if flt(doc.rounded_total) and not doc.get("disable_rounded_total") else 0
	total = total or flt(doc.grand_total)
	outstanding = flt(doc.outstanding_amount, doc.precision("outstanding_amount"))
	return {"paid": flt(total - outstanding, doc.precision("grand_total")), "outstanding": outstanding}


def seller(doc) -> dict:
	company = frappe.get_cached_value("Company", doc.company, ["company_name", "tax_id"], as_dict=True) or {}
	address = doc.get("company_address_display")
	if not address:
		from erpnext.setup.doctype.company.company import get_default_company_address
		from frappe.contacts.doctype.address.address import render_address

		name = doc.get("company_address") or get_default_company_address(doc.company)
		address = render_address(name, check_permissions=False) if name else ""
	return {
		"name": company.get("company_name") or doc.company,
		"tax_id": doc.get("company_tax_id") or company.get("tax_id") or "",
		"address": address or "",
	}


def buyer(doc) -> dict:
	return {
		"name": doc.customer_name or doc.customer,
		"tax_id": doc.get("tax_id") or frappe.db.get_value("Customer", doc.customer, "tax_id") or "",
		"address": doc.get("address_display") or "",
	}


def order_references(doc) -> dict:
	"""The Sales Orders of the invoice's lines, the Customer Orders behind them and the customer's PO."""
	sales_orders = list(dict.fromkeys(row.sales_order for row in doc.items if row.get("sales_order")))
	customer_orders = []
	if sales_orders:
		linked = dict(
			frappe.get_all(
				"Sales Order",
				filters={"name": ("in", sales_orders)},
				fields=["name", "customer_order"],
				as_list=True,
			)
		)
		from_orders = dict(
			frappe.get_all(
				"Customer Order",
				filters={"sales_order": ("in", sales_orders), "docstatus": 1},
				fields=["sales_order", "name"],
				as_list=True,
			)
		)
		found = (linked.get(so) or from_orders.get(so) for so in sales_orders)
		customer_orders = list(dict.fromkeys(name for name in found if name))
	# The PO reference is stored as plain text with "<" escaped (orders/intake.py); the template escapes it.
	po_no = html.unescape(doc.get("po_no") or "")
	return {"sales_orders": sales_orders, "customer_orders": customer_orders, "po_no": po_no}


def lines(doc) -> list[dict]:
	return [
		{
			"idx": row.idx,
			"item_code": row.item_code,
			"item_name": row.item_name,
			"qty": flt(row.qty),
			"qty_display": fmt_money(
				row.qty, precision=0 if flt(row.qty).is_integer() else row.precision("qty")
			),
			"uom": row.uom or row.stock_uom,
			"price_list_rate": flt(row.price_list_rate) or flt(row.rate),
			"discount_percentage": flt(row.discount_percentage),
			"discount_amount": flt(row.discount_amount),
			"rate": flt(row.rate),
			"amount": flt(row.amount),
		}
		for row in doc.items
	]


def tax_breakdown(doc) -> list[dict]:
	"""The invoice's taxes per rate, highest rate first, then fixed ("Actual") charges per account.

	Rows with the same rate are added up (their accounts listed). A row whose items are taxed at
	different rates (Item Tax Templates) is split by the per-item rates ERPNext records in the row's
	item_wise_tax_detail, in proportion to the per-item amounts; the parts add up to the row's amount.
	The taxable amount of a rate is the net amount of its items, for rows charged on the net total.
	"""
	net_amounts: dict[str, float] = {}
	for item in doc.items:
		key = item.item_code or item.item_name
		net_amounts[key] = net_amounts.get(key, 0.0) + flt(item.net_amount)

	groups: dict[tuple, dict] = {}

	def group(key: tuple, rate: float | None, label: str) -> dict:
		return groups.setdefault(
			key,
			{
				"rate": rate,
				"label": label,
				"accounts": [],
				"taxable_amount": None,
				"tax_amount": 0.0,
				"_items": set(),
			},
		)

	for row in doc.get("taxes") or []:
		amount = flt(row.tax_amount_after_discount_amount or row.tax_amount)
		account = row.account_head or row.description or ""
		if row.charge_type == "Actual":
			entry = group(("actual", account), None, row.description or account)
			entry["tax_amount"] += amount
			_add_account(entry, account)
			continue
		items_by_rate = _items_by_rate(row)
		if not items_by_rate:
			items_by_rate = {flt(row.rate): ({}, 0.0)}
		weights = {rate: weight for rate, (_, weight) in items_by_rate.items()}
		total_weight = sum(weights.values())
		remaining = amount
		rates = sorted(items_by_rate, reverse=True)
		for index, rate in enumerate(rates):
			if index == len(rates) - 1:
				share = remaining
			elif total_weight:
				share = flt(amount * weights[rate] / total_weight, row.precision("tax_amount"))
			else:
				share = 0.0
			remaining -= share
			entry = group(("rate", rate), rate, f"{fmt_money(rate, precision=_rate_precision(rate))}%")
			entry["tax_amount"] += share
			_add_account(entry, account)
			if row.charge_type == "On Net Total":
				keys = items_by_rate[rate][0] or net_amounts  # no detail: the row covers every item
				entry["_items"].update(keys)
				entry["taxable_amount"] = sum(net_amounts.get(key, 0.0) for key in entry["_items"])

	ordered = sorted(
		groups.values(), key=lambda entry: (entry["rate"] is None, -(entry["rate"] or 0), entry["label"])
	)
	result = []
	for entry in ordered:
		entry.pop("_items")
		if entry["tax_amount"] or entry["taxable_amount"]:
			result.append(entry)
	return result


def _items_by_rate(row) -> dict[float, tuple[dict, float]]:
	"""{rate: ({item key: True}, tax amount of those items)} from the row's item_wise_tax_detail."""
	try:
		detail = json.loads(row.item_wise_tax_detail or "{}")
	except (TypeError, ValueError):
		return {}
	if not isinstance(detail, dict):
		return {}
	result: dict[float, tuple[dict, float]] = {}
	for key, value in detail.items():
		rate, amount = (value[0], value[1]) if isinstance(value, list | tuple) else (value, 0.0)
		keys, weight = result.setdefault(flt(rate), ({}, 0.0))
		keys[key] = True
		result[flt(rate)] = (keys, weight + abs(flt(amount)))
	return result


def _add_account(entry: dict, account: str) -> None:
	if account and account not in entry["accounts"]:
		entry["accounts"].append(account)


def _rate_precision(rate: float) -> int:
	return 0 if flt(rate) == int(flt(rate)) else 2


def bank_details(company: str) -> dict | None:
	"""The company's default bank account (else its first), or None when it has none."""
	accounts = frappe.get_all(
		"Bank Account",
		filters={"company": company, "is_company_account": 1, "disabled": 0},
		fields=["account_name", "bank", "bank_account_no", "iban", "branch_code"],
		order_by="is_default desc, creation asc",
		limit=1,
	)
	if not accounts:
		return None
	account = accounts[0]
	account["swift_number"] = (
		frappe.db.get_value("Bank", account.bank, "swift_number") if account.bank else None
	)
	return account


def qr_text(doc) -> str:
	"""The invoice reference in the QR code: fixed, language-independent keys, one per line."""
	total = flt(doc.grand_total, doc.precision("grand_total"))
	return "\n".join(
		[
			f"INVOICE:{doc.name}",
			f"COMPANY:{doc.company}",
			f"TOTAL:{total:.2f} {doc.currency}",
		]
	)


def qr_code_data_uri(text: str) -> str:
	"""A PNG data: URI of the text's QR code (PNG rather than SVG: wkhtmltopdf renders it reliably)."""
	import pyqrcode

	code = pyqrcode.create(text, error="M", encoding="utf-8")
	return "data:image/png;base64," + code.png_as_base64_str(scale=3, quiet_zone=2)
