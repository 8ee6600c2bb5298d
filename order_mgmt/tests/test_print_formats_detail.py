"""Details of the app's print formats as rendered for real documents: the invoice is a settlement
statement (not a fapiao) set in a Simplified Chinese face, names its payment terms and says what is paid
and outstanding; the pick list numbers its pages and has dark, readable column headers."""

import re

import frappe
from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
from frappe.tests.utils import FrappeTestCase
from frappe.utils import fmt_money

from order_mgmt.fulfilment.picking import create_pick_list
from order_mgmt.tests import test_invoice_print as invoice_tests
from order_mgmt.tests.test_picking import serving_site_assets
from order_mgmt.tests.utils import make_customer, make_item, make_order

SC_FACES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi")


def invoice_html(name: str) -> str:
	return frappe.get_print("Sales Invoice", name, print_format=invoice_tests.PRINT_FORMAT)


class TestInvoicePrintDetail(FrappeTestCase):
	make_invoice = invoice_tests.TestOrderInvoicePrintFormat.make_invoice  # not collected here

	@classmethod
	def setUpClass(cls):
		from order_mgmt.tests.utils import company

		cls.addClassCleanup(frappe.clear_document_cache, "Company", company())
		super().setUpClass()

	def test_title_is_a_settlement_statement_not_a_fapiao(self):
		html = invoice_html(self.make_invoice().name)
		self.assertIn("销售结算单", html)
		self.assertIn("Sales Invoice", html)
		self.assertNotIn("发票号码", html)
		self.assertNotIn("开票日期", html)
		self.assertNotIn("Invoice / 发票", html)

	def test_chinese_is_set_in_a_simplified_chinese_face(self):
		html = invoice_html(self.make_invoice().name)
		self.assertIn('lang="zh-CN"', html)
		families = re.findall(r"font-family:([^;}]*)", html)
		ours = [f for f in families if "CJK SC" in f]
		self.assertTrue(ours, families)
		faces = [face.strip().strip("\"'") for face in ours[0].split(",")]
		chinese = [face for face in faces if "CJK" in face or face in SC_FACES or "WenQuanYi" in face]
		self.assertIn(chinese[0], SC_FACES)  # the first face with Chinese glyphs is a Simplified one
		self.assertNotIn("CJK JP", " ".join(ours))

	def test_the_pdf_embeds_the_simplified_chinese_face_and_keeps_latin_digits(self):
		import subprocess
		import tempfile

		invoice = self.make_invoice()
		with serving_site_assets():
			pdf = frappe.get_print(
				"Sales Invoice", invoice.name, print_format=invoice_tests.PRINT_FORMAT, as_pdf=True
			)
		with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
			handle.write(pdf)
			handle.flush()
			fonts = subprocess.run(["pdffonts", handle.name], capture_output=True, text=True).stdout
		cjk = [line for line in fonts.splitlines() if "CJK" in line]
		self.assertTrue(cjk, fonts)
		self.assertTrue(all("CJKsc" in line or "CJK SC" in line for line in cjk), fonts)
		text = invoice_tests.squash(invoice_tests.pdf_text(pdf))
		# digits after Latin letters survive (Frappe's text-rendering: optimizeLegibility lost them)
		self.assertIn(invoice.name, text)
		self.assertIn("PO-OMT-7788", text)

	def test_payment_terms_are_named_and_paid_and_outstanding_are_shown(self):
		invoice = self.make_invoice()
		html = invoice_html(invoice.name)
		self.assertIn("OMT 50% on invoice", html)
		self.assertIn("OMT 50% at 30 days", html)
		self.assertIn("已付金额", html)
		self.assertIn("未付金额", html)
		outstanding = re.search(r'om-inv-outstanding"><td>[^<]*</td><td class="num">([^<]*)<', html)
		self.assertEqual(outstanding.group(1), fmt_money(invoice.grand_total, currency=invoice.currency))

		payment = get_payment_entry("Sales Invoice", invoice.name, party_amount=500)
		payment.reference_no, payment.reference_date = "OMT-PAY-1", invoice.posting_date
		payment.insert()
		payment.submit()
		html = invoice_html(invoice.name)
		paid = re.search(r'om-inv-paid"><td>[^<]*</td><td class="num">([^<]*)<', html)
		outstanding = re.search(r'om-inv-outstanding"><td>[^<]*</td><td class="num">([^<]*)<', html)
		self.assertEqual(paid.group(1), fmt_money(500, currency=invoice.currency))
		self.assertEqual(
			outstanding.group(1), fmt_money(invoice.grand_total - 500, currency=invoice.currency)
		)

	def test_an_invoice_without_a_payment_terms_template_names_its_single_instalment(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 1}], submit=True)
		invoice = make_sales_invoice(order.sales_order)
		invoice.update({"update_stock": 0, "payment_terms_template": None, "payment_schedule": []})
		invoice.insert()
		invoice.submit()
		self.assertEqual(len(invoice.payment_schedule), 1)
		self.assertFalse(invoice.payment_schedule[0].payment_term)
		html = invoice_html(invoice.name)
		row = re.search(r"<td>1</td><td>([^<]*)</td>", html)
		self.assertTrue(row and row.group(1).strip(), "the instalment has no name")


class TestPickListPrintDetail(FrappeTestCase):
	def pick_list(self) -> str:
		item = make_item(stock_qty=20)
		order = make_order(make_customer(), [{"item_code": item, "qty": 3}], submit=True)
		return create_pick_list([order.name])["pick_list"]

	def test_pages_are_numbered(self):
		name = self.pick_list()
		html = frappe.get_print("Pick List", name, print_format="Order Pick List")
		footer = re.search(r'<div id="footer-html"[^>]*>(.*?)</div>', html, re.S)
		self.assertTrue(footer, "no footer for wkhtmltopdf")
		self.assertIn('<span class="page"></span>', footer.group(1))
		self.assertIn('<span class="topage"></span>', footer.group(1))
		self.assertIn("counter(page)", html)  # browsers' print (CSS page margin boxes)
		with serving_site_assets():
			pdf = frappe.get_print("Pick List", name, print_format="Order Pick List", as_pdf=True)
		self.assertTrue(pdf.startswith(b"%PDF"))  # the footer does not break wkhtmltopdf
		self.assert_browser_print_numbers_pages(html)

	def assert_browser_print_numbers_pages(self, html: str) -> None:
		"""The desk's Print button prints in the browser: Chromium prints the @page margin box."""
		import shutil
		import subprocess
		import tempfile

		chromium = shutil.which("chromium") or shutil.which("chromium-browser")
		if not chromium:
			self.skipTest("no Chromium to print with")
		with tempfile.TemporaryDirectory() as folder:
			page, pdf = f"{folder}/pick.html", f"{folder}/pick.pdf"
			with open(page, "w") as handle:
				handle.write(html)
			subprocess.run(
				[
					chromium,
					"--headless",
					"--no-sandbox",
					"--disable-gpu",
					"--no-pdf-header-footer",
					f"--print-to-pdf={pdf}",
					f"file://{page}",
				],
				capture_output=True,
				timeout=120,
				check=False,
			)
			text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
		self.assertIn("Page 1 / 1", text)

	def test_column_headers_are_dark_and_bold_and_repeat_on_each_page(self):
		html = frappe.get_print("Pick List", self.pick_list(), print_format="Order Pick List")
		rule = re.search(r"\.om-pl th \{([^}]*)\}", html).group(1)
		self.assertRegex(rule, r"color:\s*#000")
		self.assertIn("font-weight: 700", rule)
		self.assertIn("<thead><tr><th>#</th>", html)
