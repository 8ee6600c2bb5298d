"""Orders sent by other systems (REST intake) and by spreadsheets (import): the shape of a request,
checked before any document is built (pure: no Frappe, unit-tested in tests/test_external_orders.py).

What a system may send is listed in HEADER_FIELDS and LINE_FIELDS: the fields a clerk fills in on the
form, the customer by name or by its External Customer ID, a line's item by code or by barcode.
Anything else (totals, status, docstatus, naming series, review fields) is refused naming the field,
never silently dropped: a client that sends totals learns that they are the server's. Values are not
coerced here; the Customer Order does that on insert (orders/intake.py), as for every other channel.

An idempotency key makes a retried request safe: `request_hash` is the SHA-256 of the request's
canonical JSON (keys sorted, the key itself left out), stored with the key; the same key with the same
hash answers the order it made, with another hash it is a conflict. The Frappe side
(orders/external_intake.py) turns each Problem into a translated message naming the field and row.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

HEADER_FIELDS = (
	"customer",
	"customer_external_id",
	"company",
	"order_date",
	"delivery_date",
	"customer_po",
	"order_type",
	"priority",
	"delivery_method",
	"shipping_address_name",
	"shipping_address",
	"contact_person",
	"payment_terms_template",
	"price_list",
	"taxes_and_charges",
	"notes",
	"items",
)
LINE_FIELDS = (
	"item_code",
	"barcode",
	"qty",
	"uom",
	"conversion_factor",
	"rate",
	"discount_percentage",
	"warehouse",
	"delivery_date",
)
KEY_FIELDS = ("idempotency_key",)
"""Accepted in the body as well as in the Idempotency-Key header."""
IGNORED_FIELDS = ("cmd", "doctype")
"""Frappe's own request keys (the method name), and the doctype a client copies from /api/resource."""

MAX_LINES = 500
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,140}$")
"""Printable ASCII without spaces, at most 140 characters (what the key column holds)."""

# Problem codes
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_FIELD = "unknown_field"
NOT_A_LIST = "not_a_list"
NOT_A_ROW = "not_a_row"
NO_LINES = "no_lines"
TOO_MANY_LINES = "too_many_lines"
NOT_TEXT = "not_text"
NO_CUSTOMER = "no_customer"
NO_ITEM = "no_item"
BAD_KEY = "bad_key"
NO_KEY = "no_key"


@dataclass(frozen=True)
class Problem:
	code: str
	field: str | None = None
	row: int | None = None
	"""The line (1-based), None for the order itself."""
	value: object = None


def check_key(key) -> Problem | None:
	if key is None or (isinstance(key, str) and not key.strip()):
		return Problem(NO_KEY, "idempotency_key")
	if not isinstance(key, str) or not KEY_PATTERN.match(key):
		return Problem(BAD_KEY, "idempotency_key", value=key)
	return None


def is_text(value) -> bool:
	return isinstance(value, str) and bool(value.strip())


def check_request(body) -> list[Problem]:
	"""Every problem with the request's shape at once (unknown fields, lines that are not rows, a
	customer or item given neither way, references that are not text); empty when it may be built."""
	if not isinstance(body, Mapping):
		return [Problem(NOT_AN_OBJECT, value=body)]
	problems = [
		Problem(UNKNOWN_FIELD, key)
		for key in body
		if key not in HEADER_FIELDS and key not in KEY_FIELDS and key not in IGNORED_FIELDS
	]
	for fieldname in ("customer", "customer_external_id"):
		value = body.get(fieldname)
		if value is not None and not isinstance(value, str):
			problems.append(Problem(NOT_TEXT, fieldname, value=value))
	if not is_text(body.get("customer")) and not is_text(body.get("customer_external_id")):
		if not any(problem.field in ("customer", "customer_external_id") for problem in problems):
			problems.append(Problem(NO_CUSTOMER, "customer"))
	lines = body.get("items")
	if lines is None or (isinstance(lines, list) and not lines):
		problems.append(Problem(NO_LINES, "items"))
		return problems
	if not isinstance(lines, list):
		problems.append(Problem(NOT_A_LIST, "items", value=lines))
		return problems
	if len(lines) > MAX_LINES:
		problems.append(Problem(TOO_MANY_LINES, "items", value=len(lines)))
		return problems
	for row, line in enumerate(lines, start=1):
		if not isinstance(line, Mapping):
			problems.append(Problem(NOT_A_ROW, "items", row, line))
			continue
		problems.extend(Problem(UNKNOWN_FIELD, key, row) for key in line if key not in LINE_FIELDS)
		for fieldname in ("item_code", "barcode"):
			value = line.get(fieldname)
			if value is not None and not isinstance(value, str):
				problems.append(Problem(NOT_TEXT, fieldname, row, value))
		if not is_text(line.get("item_code")) and not is_text(line.get("barcode")):
			if not any(p.row == row and p.field in ("item_code", "barcode") for p in problems):
				problems.append(Problem(NO_ITEM, "item_code", row))
	return problems


def _plain(value):
	"""JSON-safe for hashing: NaN and infinities as text (json.dumps would write invalid JSON)."""
	if isinstance(value, float) and not math.isfinite(value):
		return repr(value)
	if isinstance(value, Mapping):
		return {str(key): _plain(inner) for key, inner in value.items()}
	if isinstance(value, list | tuple):
		return [_plain(inner) for inner in value]
	return value


def request_hash(body: Mapping) -> str:
	"""The request's fingerprint: SHA-256 of its canonical JSON, without the key and Frappe's own keys."""
	content = {
		key: value for key, value in body.items() if key not in KEY_FIELDS and key not in IGNORED_FIELDS
	}
	text = json.dumps(_plain(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
	return hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_name(source: str, scope: str, reference: str) -> str:
	"""The primary key of an intake key: one per (source, scope, reference), whatever their length."""
	text = json.dumps([source, scope, reference], ensure_ascii=False)
	return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def order_fields(body: Mapping) -> dict:
	"""The Customer Order fields of a checked request (customer references and barcodes are resolved
	by the Frappe side, which reads them from the request itself)."""
	header = {
		key: value
		for key, value in body.items()
		if key in HEADER_FIELDS and key not in ("customer_external_id", "items")
	}
	header["items"] = [
		{key: value for key, value in line.items() if key in LINE_FIELDS and key != "barcode"}
		for line in body["items"]
	]
	return header


# --- the HTTP status a refusal gets -----------------------------------------------------------------

BAD_REQUEST, FORBIDDEN, CONFLICT, UNPROCESSABLE = 400, 403, 409, 422


# --- spreadsheets: one row per line, grouped into orders by the external reference ------------------

REFERENCE_COLUMN = "external_reference"
HEADER_COLUMNS = (
	"customer",
	"customer_external_id",
	"order_date",
	"delivery_date",
	"customer_po",
	"order_type",
	"priority",
	"delivery_method",
	"notes",
)
LINE_COLUMNS = (
	"item_code",
	"barcode",
	"qty",
	"uom",
	"rate",
	"discount_percentage",
	"warehouse",
	"line_delivery_date",
)
COLUMNS = (REFERENCE_COLUMN, *HEADER_COLUMNS, *LINE_COLUMNS)
COLUMN_OF_LINE_FIELD = {"delivery_date": "line_delivery_date"}
"""A line field whose column has another name (the order's delivery date is `delivery_date`)."""

# Problem codes of a file
NO_REFERENCE = "no_reference"
UNKNOWN_COLUMN = "unknown_column"
MISSING_COLUMN = "missing_column"
HEADER_DIFFERS = "header_differs"
EMPTY_FILE = "empty_file"


@dataclass(frozen=True)
class Group:
	"""The rows of one order: (file row number, row) in file order."""

	reference: str
	rows: tuple[tuple[int, dict], ...]


def column_of(fieldname: str | None, row: int | None) -> str | None:
	"""The template column a request field is read from (a line's field when `row` is given)."""
	if fieldname is None:
		return None
	if row:
		return COLUMN_OF_LINE_FIELD.get(fieldname, fieldname)
	return fieldname


def table_rows(table: list[list]) -> tuple[list[tuple[int, dict]], list[Problem]]:
	"""A sheet (header row first) as (file row number, {column: value}) for each non-empty row; the
	header's unknown columns and a missing reference column are problems (field: the column)."""
	if not table or not any(cell not in (None, "") for cell in table[0]):
		return [], [Problem(EMPTY_FILE)]
	header = [str(cell).strip().lower() if cell is not None else "" for cell in table[0]]
	problems = [Problem(UNKNOWN_COLUMN, name) for name in header if name and name not in COLUMNS]
	if REFERENCE_COLUMN not in header:
		problems.append(Problem(MISSING_COLUMN, REFERENCE_COLUMN))
	rows = []
	for number, cells in enumerate(table[1:], start=2):
		values = {}
		for name, cell in zip(header, cells, strict=False):
			if (
				name in COLUMNS
				and cell not in (None, "")
				and not (isinstance(cell, str) and not cell.strip())
			):
				values[name] = cell.strip() if isinstance(cell, str) else cell
		if values:
			rows.append((number, values))
	if not rows and not problems:
		problems.append(Problem(EMPTY_FILE))
	return rows, problems


def group_rows(rows: list[tuple[int, dict]]) -> tuple[list[Group], list[Problem]]:
	"""Rows grouped by their external reference, in the order references first appear. A row without
	a reference, or whose order fields differ from its order's first row, is a problem (row: the file
	row number); its order is kept, so that the problem is reported with it."""
	groups: dict[str, list[tuple[int, dict]]] = {}
	problems = []
	for number, row in rows:
		reference = row.get(REFERENCE_COLUMN)
		if reference is None or not str(reference).strip():
			problems.append(Problem(NO_REFERENCE, REFERENCE_COLUMN, number))
			continue
		reference = str(reference).strip()
		if isinstance(row.get(REFERENCE_COLUMN), float) and float(reference).is_integer():
			reference = str(int(float(reference)))  # 1001 typed in Excel reads as 1001.0
		groups.setdefault(reference, []).append((number, row))
	result = []
	for reference, members in groups.items():
		first = members[0][1]
		for number, row in members[1:]:
			for column in HEADER_COLUMNS:
				if column in row and row[column] != first.get(column):
					problems.append(Problem(HEADER_DIFFERS, column, number, first.get(column)))
		result.append(Group(reference, tuple(members)))
	return result, problems


DATE_COLUMNS = ("order_date", "delivery_date", "line_delivery_date")
TEXT_COLUMNS = ("customer", "customer_external_id", "customer_po", "item_code", "barcode", "uom", "warehouse")


def cell_value(column: str, value):
	"""A spreadsheet cell as the request would carry it: Excel's dates as ISO dates, codes typed as
	numbers (1001, read as 1001.0) as text. Anything else is left for the order's own coercion."""
	if column in DATE_COLUMNS and hasattr(value, "isoformat"):
		return (value.date() if hasattr(value, "date") else value).isoformat()
	if column in TEXT_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
		return str(int(value)) if float(value).is_integer() else str(value)
	return value


def group_request(group: Group, company: str | None) -> dict:
	"""The REST request body a group of rows stands for (its order fields from its first row)."""
	first = group.rows[0][1]
	body = {column: cell_value(column, first[column]) for column in HEADER_COLUMNS if column in first}
	if company:
		body["company"] = company
	body.setdefault("customer_po", group.reference)
	lines = []
	for _number, row in group.rows:
		line = {}
		for column in LINE_COLUMNS:
			if column in row:
				field = "delivery_date" if column == "line_delivery_date" else column
				line[field] = cell_value(column, row[column])
		lines.append(line)
	body["items"] = lines
	return body
