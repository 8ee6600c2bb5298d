"""The desk in Chinese, as the site renders it: every string of the Customer Order form (labels and
options, in the form's translation context), its list view and review dialog (the __("…") strings of
their scripts), and the Order Management workspace (labels, shortcuts and their count formats, number
cards, charts, cards and headers) comes out translated with the site's merged translations (Frappe's,
ERPNext's and the app's). tests/test_translations.py checks that the app's zh.csv has a line for each
of its own strings; this test renders them, so it also catches strings the app leaves to Frappe or
ERPNext and translations lost to a context ("Desk" the channel is not 桌面)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frappe
from frappe import _
from frappe.tests.utils import FrappeTestCase

APP = Path(frappe.get_app_path("order_mgmt"))
FORM_SCRIPTS = (
	APP / "order_mgmt" / "doctype" / "customer_order" / "customer_order.js",
	APP / "public" / "js" / "customer_order_list.js",
)
WORKSPACE = APP / "order_mgmt" / "workspace" / "order_management" / "order_management.json"
JS_CALL = re.compile(r"""(?<![\w.])__\(\s*(?P<q>"|'|`)(?P<text>(?:\\.|(?!(?P=q)).)*?)(?P=q)\s*[,)]""", re.S)
SAME_IN_CHINESE = {"API", "ID", "UOM", "SKU", "QR", "SWIFT", "IBAN", "PO", "#"}
"""Strings that read the same in Chinese (codes and abbreviations)."""


def needs_translation(text: str) -> bool:
	bare = re.sub(r"\{\d*\}|<[^>]+>|&\w+;", "", text).strip()
	return bool(re.search(r"[A-Za-z]", bare)) and bare not in SAME_IN_CHINESE


def js_strings(path: Path) -> set[str]:
	source = path.read_text()
	return {m.group("text").replace('\\"', '"').replace("\\'", "'") for m in JS_CALL.finditer(source)}


def form_strings(doctype: str) -> set[str]:
	meta = frappe.get_meta(doctype)
	found = {doctype}
	for df in meta.fields:
		if df.hidden:
			continue
		if df.label:
			found.add(df.label)
		if df.fieldtype == "Select" and df.options and df.fieldname != "naming_series":
			found |= {option for option in df.options.split("\n") if option.strip()}
	return found


def workspace_strings() -> set[str]:
	workspace = json.loads(WORKSPACE.read_text())
	found = {workspace["label"], workspace["title"]}
	for shortcut in workspace.get("shortcuts") or []:
		found.add(shortcut["label"])
		if shortcut.get("format"):
			found.add(shortcut["format"])
	for link in workspace.get("links") or []:
		found.add(link["label"])
	for chart in workspace.get("charts") or []:
		found.add(chart.get("label") or chart["chart_name"])
	for card in workspace.get("number_cards") or []:
		found.add(frappe.db.get_value("Number Card", card["number_card_name"], "label") or card["label"])
	for block in json.loads(workspace.get("content") or "[]"):
		if block.get("type") == "header":
			found.add(re.sub(r"<[^>]+>", "", block["data"]["text"]).replace("&amp;", "&").strip())
	return found


class TestChineseRendering(FrappeTestCase):
	def setUp(self):
		self.previous_lang = frappe.local.lang
		frappe.local.lang = "zh"
		self.addCleanup(setattr, frappe.local, "lang", self.previous_lang)

	def assert_all_translated(self, strings: set[str], context: str | None = None, where: str = ""):
		untranslated = sorted(
			text for text in strings if needs_translation(text) and _(text, context=context) == text
		)
		self.assertFalse(
			untranslated, f"{len(untranslated)} untranslated in {where}:\n" + "\n".join(untranslated)
		)

	def test_customer_order_form_labels_and_options(self):
		self.assert_all_translated(
			form_strings("Customer Order"), "Customer Order", "the Customer Order form"
		)
		self.assert_all_translated(form_strings("Customer Order Item"), "Customer Order Item", "its items")

	def test_form_list_and_review_dialog_script_strings(self):
		for path in FORM_SCRIPTS:
			strings = js_strings(path)
			self.assertTrue(strings, path)
			self.assert_all_translated(strings, where=path.name)

	def test_review_dialog_strings_are_among_those_checked(self):
		strings = js_strings(FORM_SCRIPTS[0])
		for text in ("Held for the {0} review because:", "Changes Needed", "Reason", "Approve {0}"):
			self.assertIn(text, strings)

	def test_workspace_labels_shortcuts_number_cards_and_headers(self):
		strings = workspace_strings()
		self.assertIn("{} Short", strings)
		self.assert_all_translated(strings, where="the Order Management workspace")

	def test_desk_channel_reads_as_internal_entry_in_and_out_of_context(self):
		# the form's select uses the doctype as context; read-only display and list use none
		self.assertEqual(_("Desk", context="Customer Order"), "后台录入")
		self.assertEqual(_("Desk"), "后台录入")
		self.assertEqual(_("Submit for Review"), "提交审核")

	def test_the_checker_finds_an_untranslated_string(self):
		with self.assertRaises(AssertionError):
			self.assert_all_translated({"Quibbling Flibbertigibbet Level"}, where="a made-up string")
