"""The Customer Order list (order_mgmt/public/js/customer_order_list.js) and the desk's zh wording.

The list script is run under Node with a stand-in for the few Frappe globals it uses, so its
indicator is checked without a browser; without Node those checks are skipped."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "order_mgmt"
LIST_JS = APP / "public" / "js" / "customer_order_list.js"
ZH = APP / "translations" / "zh.csv"
WORKSPACE = APP / "order_mgmt" / "workspace" / "order_management" / "order_management.json"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(not NODE, reason="node is not installed")

# Stand-ins for frappe, __ (with {0} placeholders) and cint; prints get_indicator of each order.
HARNESS = """
global.frappe = { listview_settings: {}, utils: { escape_html: (s) => s }, model: { can_create: () => false } };
global.__ = (text, args) => (args ? text.replace(/\\{(\\d+)\\}/g, (_, i) => args[i]) : text);
global.cint = (v) => parseInt(v, 10) || 0;
require(process.argv[1]);
const settings = frappe.listview_settings["Customer Order"];
const orders = JSON.parse(process.argv[2]);
console.log(JSON.stringify(orders.map((doc) => settings.get_indicator(doc))));
"""


def indicators(*orders: dict) -> list[list[str]]:
	result = subprocess.run(
		[NODE, "-e", HARNESS, str(LIST_JS), json.dumps(orders)],
		capture_output=True,
		text=True,
		check=True,
		timeout=30,
	)
	return json.loads(result.stdout)


@needs_node
def test_the_list_script_parses():
	subprocess.run([NODE, "--check", str(LIST_JS)], check=True, capture_output=True, timeout=30)


@needs_node
def test_a_pending_order_says_which_stage_it_waits_for():
	by_stage, by_workflow_state = indicators(
		{"docstatus": 1, "status": "Pending Review", "current_review_stage": "Finance"},
		{"docstatus": 1, "status": "Pending Review", "workflow_state": "Pending Warehouse Review"},
	)
	assert by_stage == [
		"Finance Review",
		"orange",
		"current_review_stage,=,Finance",
		"Pending Finance Review",
	]
	assert by_workflow_state[0] == "Warehouse Review"
	assert by_workflow_state[2] == "current_review_stage,=,Warehouse"
	assert by_workflow_state[3] == "Pending Warehouse Review"


@needs_node
def test_long_statuses_get_a_short_label_and_keep_the_full_one_as_title():
	returned, approved, draft = indicators(
		{"docstatus": 1, "status": "Returned for Changes"},
		{"docstatus": 1, "status": "Approved"},
		{"docstatus": 0, "status": "Pending Review", "current_review_stage": "Sales"},
	)
	assert returned == ["Returned", "orange", "status,=,Returned for Changes", "Returned for Changes"]
	assert approved == ["Approved", "blue", "status,=,Approved", "Approved"]
	assert draft[0] == "Draft"
	labels = [
		label
		for label, *_ in indicators(
			*({"docstatus": 1, "status": status} for status in ("Returned for Changes", "To Deliver")),
			*(
				{"docstatus": 1, "status": "Pending Review", "current_review_stage": s}
				for s in ("Sales", "Finance")
			),
		)
	]
	# Frappe's list cuts the status pill at about 15 characters ("Returned for C…").
	assert all(len(label) <= 16 for label in labels), labels


def zh_rows() -> list[list[str]]:
	with ZH.open(newline="", encoding="utf-8") as handle:
		return [row for row in csv.reader(handle) if len(row) >= 2]


def test_desk_wording_in_chinese():
	rows = zh_rows()
	# The channel "Desk" is internal entry, in Customer Order's context (the form's select) and without
	# one: Frappe's Select formatter (read-only field, list and report views) translates with no context.
	assert ["Desk", "后台录入", "Customer Order"] in [row[:3] for row in rows]
	plain = {row[0]: row[1] for row in rows if len(row) == 2 or not row[2]}
	assert plain["Submit for Review"] == "提交审核"
	assert plain["Desk"] == "后台录入"
	# The workspace's "Short Orders" shortcut counts with the format "{} Short" (__(format) in Frappe).
	workspace = json.loads(WORKSPACE.read_text())
	formats = {shortcut["format"] for shortcut in workspace["shortcuts"] if shortcut.get("format")}
	assert "{} Short" in formats
	for text in formats:
		assert "{}" in plain.get(text, ""), text
	assert plain["{} Short"] == "{} 单缺货"
