"""Every user-facing string of the app has a Chinese (zh) translation.

Strings are found the way Frappe's extractor finds them: _("...") in Python, __("...") in
JavaScript, and labels, descriptions and Select options in DocType and fixture JSON.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "order_mgmt"
ZH = APP / "translations" / "zh.csv"

# _("...") / __("...") with a plain string literal first argument.
PY_CALL = re.compile(r"""(?<![\w.])_\(\s*(?P<q>"|')(?P<text>(?:\\.|(?!(?P=q)).)*?)(?P=q)\s*[,)]""", re.S)
PY_CALL_MULTILINE = re.compile(
	r"""(?<![\w.])_\(\s*\n\s*"(?P<text>(?:\\.|[^"\\])*)"\s*\n?\s*(?:"(?P<more>(?:\\.|[^"\\])*)"\s*)?\)"""
)
JS_CALL = re.compile(r"""(?<![\w.])__\(\s*(?P<q>"|'|`)(?P<text>(?:\\.|(?!(?P=q)).)*?)(?P=q)\s*[,)]""", re.S)


def _unescape(text: str) -> str:
	return text.replace('\\"', '"').replace("\\'", "'").replace("\\n", "\n")


def python_strings() -> set[str]:
	found = set()
	for path in APP.rglob("*.py"):
		if "tests" in path.parts:
			continue
		source = path.read_text()
		found |= {_unescape(m.group("text")) for m in PY_CALL.finditer(source)}
		for m in PY_CALL_MULTILINE.finditer(source):
			found.add(_unescape(m.group("text") + (m.group("more") or "")))
	return found


def js_strings() -> set[str]:
	found = set()
	for path in APP.rglob("*.js"):
		found |= {_unescape(m.group("text")) for m in JS_CALL.finditer(path.read_text())}
	return found


def template_strings() -> set[str]:
	"""_("...") in the Jinja templates: the portal pages (www/), their layout and macros, print formats."""
	found = set()
	for path in APP.rglob("*.html"):
		found |= {_unescape(m.group("text")) for m in PY_CALL.finditer(path.read_text())}
	return found


def doctype_strings() -> set[str]:
	found = set()
	for path in (APP / "order_mgmt" / "doctype").rglob("*.json"):
		doc = json.loads(path.read_text())
		found.add(doc["name"])
		for field in doc.get("fields", []):
			for key in ("label", "description"):
				if field.get(key):
					found.add(field[key])
			if field.get("fieldtype") == "Select" and field.get("options"):
				found |= {option for option in field["options"].split("\n") if option and "." not in option}
	for path in (APP / "fixtures").glob("*.json"):
		for doc in json.loads(path.read_text()):
			for key in (
				"label",
				"description",
				"role_name",
				"workflow_state_name",
				"workflow_action_name",
				"rule_name",
				"stage_name",
			):
				if doc.get(key):
					found.add(doc[key])
	return {text for text in found if text.strip()}


def translations() -> dict[str, str]:
	with ZH.open(newline="", encoding="utf-8") as handle:
		return {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}


def test_extractor_finds_the_apps_strings():
	assert "Row {0}" in python_strings()
	assert "Customer Order" in doctype_strings()
	assert "Download PDF" in template_strings()


@pytest.mark.parametrize("source", ["python", "javascript", "doctype", "template"])
def test_every_user_facing_string_has_a_chinese_translation(source):
	strings = {
		"python": python_strings,
		"javascript": js_strings,
		"doctype": doctype_strings,
		"template": template_strings,
	}[source]()
	zh = translations()
	missing = sorted(text for text in strings if not zh.get(text, "").strip())
	assert not missing, f"{len(missing)} strings lack a zh translation:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
	for source, target in translations().items():
		assert sorted(re.findall(r"\{\d*\}", source)) == sorted(re.findall(r"\{\d*\}", target)), source
