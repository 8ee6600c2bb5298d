"""The "Order Invoice" print format of Sales Invoices and its context (order_mgmt/print_formats/invoice.py)."""

import base64
import re
import subprocess
import tempfile
import unicodedata

import frappe
import png
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, fmt_money, money_in_words, nowdate

from order_mgmt.accounting.amount_in_words import chinese_amount_in_words
from order_mgmt.print_formats.invoice import invoice_context, qr_text
from order_mgmt.tests.test_picking import serving_site_assets
from order_mgmt.tests.utils import (
	company,
	half_and_half_terms,
	make_customer,
	make_item,
	make_order,
	make_tax_template,
)

PRINT_FORMAT = "Order Invoice"


def squash(text: str) -> str:
	"""pdftotext breaks lines and spaces CJK text as it likes, and maps some Noto CJK glyphs to
	Kangxi radicals (⾓ for 角, ⽇ for 日): compare NFKC-normalised, without any whitespace."""
	# Noto Sans CJK SC shares the glyph of 角 with the radical ⻆ (U+2EC6), which NFKC keeps.
	return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("\u2ec6", "角")


def pdf_text(pdf: bytes, layout: bool = False) -> str:
	with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
		handle.write(pdf)
		handle.flush()
		args = ["pdftotext", *(["-layout"] if layout else []), handle.name, "-"]
		return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def abbr() -> str:
	return frappe.get_cached_value("Company", company(), "abbr")


def ledger_account(account_name: str, root_type: str, account_type: str = "", **fields) -> str:
	name = f"{account_name} - {abbr()}"
	if not frappe.db.exists("Account", name):
		parent = frappe.db.get_value(
			"Account", {"company": company(), "root_type": root_type, "is_group": 1}, "name", order_by="lft"
		)
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": account_name,
				"company": company(),
				"parent_account": parent,
				"account_type": account_type,
				**fields,
			}
		).insert()
	return name


def vat_account() -> str:
	template = make_tax_template(13)
	return frappe.get_all(
		"Sales Taxes and Charges", filters={"parent": template}, pluck="account_head", limit=1
	)[0]


def payment_terms_template() -> str:
	return half_and_half_terms("OMT 50% now, 50% in 30 days", ("OMT 50% on invoice", "OMT 50% at 30 days"))


def company_bank_account() -> dict:
	if not frappe.db.exists("Bank", "OMT Industrial Bank"):
		frappe.get_doc(
			{"doctype": "Bank", "bank_name": "OMT Industrial Bank", "swift_number": "OMTBCNSH"}
		).insert()
	account = ledger_account("OMT Settlement Account", "Asset", "Bank")
	details = {"bank_account_no": "6222020200112233445", "branch_code": "102290000001"}
	if not frappe.db.exists("Bank Account", {"account": account}):
		frappe.get_doc(
			{
				"doctype": "Bank Account",
				"account_name": "OMT Settlement",
				"bank": "OMT Industrial Bank",
				"account": account,
				"company": company(),
				"is_company_account": 1,
				"is_default": 1,
				**details,
			}
		).insert()
	return details


def make_address(title: str, link_doctype: str, link_name: str, line1: str, **fields) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": title,
				"address_type": "Billing",
				"address_line1": line1,
				"city": "Shanghai",
				"country": "China",
				"links": [{"link_doctype": link_doctype, "link_name": link_name}],
				**fields,
			}
		)
		.insert()
		.name
	)


class TestOrderInvoicePrintFormat(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		# make_invoice gives the company a tax ID; forget the cached Company after the class's
		# rollback (registered first, so it runs after FrappeTestCase's: cleanups run last-in first-out).
		cls.addClassCleanup(frappe.clear_document_cache, "Company", company())
		super().setUpClass()

	def make_invoice(self):
		"""A submitted invoice of an approved Customer Order: two lines (one discounted by 5%, below the review threshold), VAT 13%, a
		two-instalment payment schedule, addresses and tax IDs on both sides."""
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		frappe.db.set_value("Company", company(), "tax_id", "91310000MA1OMT0001")  # clears its cache
		customer = make_customer(tax_id="91310115MA1OMT0002")
		self.items = [make_item(rate=100), make_item(rate=200, max_discount=20)]
		order = make_order(
			customer,
			[
				{"item_code": self.items[0], "qty": 3},
				{"item_code": self.items[1], "qty": 7, "discount_percentage": 5},
			],
			submit=True,
		)
		self.assertTrue(order.sales_order)
		invoice = make_sales_invoice(order.sales_order)
		invoice.update(
			{
				"update_stock": 0,
				"po_no": "PO-OMT-7788",
				"company_address": make_address(
					"OMT Seller", "Company", company(), "88 Century Avenue", is_your_company_address=1
				),
				"customer_address": make_address("OMT Buyer", "Customer", customer, "9 Nanjing Road"),
				"taxes_and_charges": None,
				"payment_terms_template": payment_terms_template(),
				"payment_schedule": [],
				"due_date": None,
			}
		)
		invoice.set(
			"taxes",
			[
				{
					"charge_type": "On Net Total",
					"account_head": vat_account(),
					"rate": 13,
					"description": "VAT 13%",
				}
			],
		)
		invoice.insert()
		invoice.submit()
		self.order = order
		return invoice

	def test_order_invoice_renders_to_pdf_with_lines_totals_words_terms_bank_and_qr(self):
		bank = company_bank_account()
		invoice = self.make_invoice()
		self.assertEqual((invoice.net_total, invoice.total_taxes_and_charges), (1630, 211.9))
		self.assertEqual(invoice.grand_total, 1841.9)
		self.assertEqual(len(invoice.payment_schedule), 2)
		self.assertTrue(frappe.db.exists("Print Format", {"name": PRINT_FORMAT, "standard": "Yes"}))

		html = frappe.get_print("Sales Invoice", invoice.name, print_format=PRINT_FORMAT)
		self.assertIn("data:image/png;base64,", html)
		self.assertIn("销售结算单", html)
		with serving_site_assets():
			pdf = frappe.get_print("Sales Invoice", invoice.name, print_format=PRINT_FORMAT, as_pdf=True)
		self.assertTrue(pdf.startswith(b"%PDF"))
		text, layout = squash(pdf_text(pdf)), pdf_text(pdf, layout=True)

		for expected in (
			invoice.name,
			"销售结算单",
			self.order.name,  # the Customer Order
			self.order.sales_order,
			"PO-OMT-7788",
			"91310000MA1OMT0001",  # seller's tax ID
			"91310115MA1OMT0002",  # buyer's
			"88 Century Avenue",
			"9 Nanjing Road",
			fmt_money(invoice.grand_total),  # 1,841.90
			fmt_money(invoice.net_total),
			fmt_money(invoice.total_taxes_and_charges),
			money_in_words(invoice.grand_total, invoice.currency),
			chinese_amount_in_words(invoice.grand_total),  # 壹仟捌佰肆拾壹元玖角
			"壹仟捌佰肆拾壹元玖角",
			payment_terms_template(),
			"OMT 50% at 30 days",
			frappe.utils.format_date(add_days(nowdate(), 30)),
			"OMT Industrial Bank",
			bank["bank_account_no"],
			bank["branch_code"],
			"13%",
		):
			self.assertIn(squash(expected), text)
		for item, qty, amount in ((self.items[0], "3", "300.00"), (self.items[1], "7", "1,330.00")):
			line = next(line for line in layout.splitlines() if item in line)
			self.assertIn(qty, line.split())
			self.assertIn(amount, line)
		self.assertIn("5.00%", layout)  # the second line's discount

	def test_context_carries_the_invoice_reference_as_a_qr_code(self):
		invoice = self.make_invoice()
		context = invoice_context(invoice)
		self.assertEqual(
			qr_text(invoice),
			f"INVOICE:{invoice.name}\nCOMPANY:{invoice.company}\nTOTAL:1841.90 {invoice.currency}",
		)
		prefix = "data:image/png;base64,"
		self.assertTrue(context["qr_code"].startswith(prefix))
		width, height, _, _ = png.Reader(bytes=base64.b64decode(context["qr_code"][len(prefix) :])).read()
		self.assertEqual(width, height)
		self.assertEqual(context["orders"]["customer_orders"], [self.order.name])
		self.assertEqual(context["in_words_zh"], "壹仟捌佰肆拾壹元玖角")
		self.assertEqual([line["qty_display"] for line in context["lines"]], ["3", "7"])

	def test_taxes_are_grouped_per_rate(self):
		"""VAT at 13% with one item at 9% through an Item Tax Template, a 6% charge on another account,
		a second row at 13% and a fixed freight charge."""
		vat = vat_account()
		service_tax = ledger_account("OMT Output VAT 6", "Liability", "Tax")
		surcharge = ledger_account("OMT Output Surcharge", "Liability", "Tax")
		freight = ledger_account("OMT Freight Charged", "Income", "Chargeable")
		template_name = f"OMT VAT 9 - {abbr()}"
		if not frappe.db.exists("Item Tax Template", template_name):
			frappe.get_doc(
				{
					"doctype": "Item Tax Template",
					"title": "OMT VAT 9",
					"company": company(),
					"taxes": [{"tax_type": vat, "tax_rate": 9}],
				}
			).insert()
		goods = make_item(rate=100, is_stock_item=0, stock_uom="Nos")
		service = make_item(
			rate=300, is_stock_item=0, stock_uom="Nos", taxes=[{"item_tax_template": template_name}]
		)
		invoice = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": make_customer(),
				"company": company(),
				"posting_date": nowdate(),
				"due_date": nowdate(),
				"items": [{"item_code": goods, "qty": 2}, {"item_code": service, "qty": 1}],
				"taxes": [
					{"charge_type": "On Net Total", "account_head": vat, "rate": 13, "description": "VAT"},
					{
						"charge_type": "On Net Total",
						"account_head": service_tax,
						"rate": 6,
						"description": "S",
					},
					{
						"charge_type": "On Net Total",
						"account_head": surcharge,
						"rate": 13,
						"description": "X",
					},
					{
						"charge_type": "Actual",
						"account_head": freight,
						"tax_amount": 50,
						"description": "Freight",
					},
				],
			}
		).insert()
		self.assertEqual(invoice.items[1].item_tax_template, template_name)
		taxes = invoice_context(invoice)["taxes"]
		self.assertEqual(
			[(t["label"], t["rate"], t["taxable_amount"], t["tax_amount"]) for t in taxes],
			[
				("13%", 13, 500.0, 26.0 + 65.0),  # goods' VAT (200 × 13%) and everything's surcharge
				("9%", 9, 300.0, 27.0),  # the service's VAT
				("6%", 6, 500.0, 30.0),
				("Freight", None, None, 50.0),
			],
		)
		self.assertEqual(taxes[0]["accounts"], [vat, surcharge])
		self.assertEqual(taxes[1]["accounts"], [vat])
		self.assertAlmostEqual(sum(t["tax_amount"] for t in taxes), invoice.total_taxes_and_charges)
