"""Input coercion at the boundary (pure: no Frappe, unit-tested in tests/test_coercion.py).

Whatever a client sends (desk, API, portal, import) is turned here into the types the rules and the
database expect, or refused with a Problem before any rule or SQL sees it: numbers finite and within
the column's range, dates real calendar dates, child tables lists of rows, free text without markup.
The Frappe side (orders/intake.py `coerce_input`, used by Customer Order and Return Request) reads
the DocType's fields, calls these functions and turns each Problem into a translated message naming
the field and, for child rows, the row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser

# MariaDB columns of Frappe's Float, Currency and Percent fields are decimal(21,9): at most 12 digits
# before the point. Int fields are int(11).
DECIMAL_LIMIT = 10.0**12
INT_LIMIT = 2**31 - 1
VALUE_SHOWN_CHARS = 40

# Problem codes (the Frappe side has one message per code).
NOT_A_NUMBER = "not_a_number"
NOT_FINITE = "not_finite"
OUT_OF_RANGE = "out_of_range"
BELOW_MINIMUM = "below_minimum"
ABOVE_MAXIMUM = "above_maximum"
NOT_A_DATE = "not_a_date"
NOT_A_TABLE = "not_a_table"
NOT_A_ROW = "not_a_row"
NOT_TEXT = "not_text"

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")


class CoercionError(ValueError):
	"""A value that cannot be what its field expects; `code` is one of the problem codes."""

	def __init__(self, code: str, *args):
		super().__init__(code, *args)
		self.code = code
		self.args_ = args


@dataclass(frozen=True)
class Bounds:
	"""What a number field accepts beyond being finite and fitting its column (None: no bound)."""

	minimum: float | None = None
	maximum: float | None = None
	limit: float = DECIMAL_LIMIT


@dataclass(frozen=True)
class Problem:
	row: int | None
	"""The child row (idx), None for a field of the document itself."""
	field: str
	code: str
	value: str
	"""The offending value as shown in the message (shortened; not escaped)."""
	args: tuple = ()


def shown(value) -> str:
	"""The value as a message quotes it: its repr-like text, shortened."""
	text = value if isinstance(value, str) else repr(value)
	text = " ".join(text.split())
	if len(text) > VALUE_SHOWN_CHARS:
		text = text[: VALUE_SHOWN_CHARS - 1] + "…"
	return f'"{text}"' if isinstance(value, str) else text


def is_empty(value) -> bool:
	return value is None or (isinstance(value, str) and not value.strip())


def to_number(value, bounds: Bounds = Bounds()) -> float | None:
	"""A finite number within the column and the field's bounds, or None for an empty value.

	Accepted: int, float and plain decimal text ("12", "-3.5", "1e3"). Refused: booleans, lists,
	objects, "NaN", "Infinity", "1,5", "abc", and anything beyond the column's range."""
	if is_empty(value):
		return None
	if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
		raise CoercionError(NOT_A_NUMBER)
	if isinstance(value, str):
		text = value.strip()
		if not _NUMBER.match(text):
			raise CoercionError(NOT_A_NUMBER)
		value = text
	try:
		number = float(value)
	except (OverflowError, ValueError):
		raise CoercionError(NOT_A_NUMBER) from None
	if not math.isfinite(number):
		raise CoercionError(NOT_FINITE)
	if abs(number) >= bounds.limit:
		raise CoercionError(OUT_OF_RANGE, -bounds.limit, bounds.limit)
	if bounds.minimum is not None and number < bounds.minimum:
		raise CoercionError(BELOW_MINIMUM, bounds.minimum)
	if bounds.maximum is not None and number > bounds.maximum:
		raise CoercionError(ABOVE_MAXIMUM, bounds.maximum)
	return number


def to_int(value, bounds: Bounds = Bounds(limit=INT_LIMIT)) -> int | None:
	number = to_number(value, bounds)
	if number is None:
		return None
	if number != int(number):
		raise CoercionError(NOT_A_NUMBER)
	return int(number)


def to_date(value) -> date | None:
	"""A real calendar date, or None for an empty value.

	Accepted: date and datetime objects, and ISO text "YYYY-MM-DD" (what the desk and the API send).
	Refused: "31/12/2099", "2025-02-30", "tomorrow", numbers, lists."""
	if is_empty(value):
		return None
	if isinstance(value, datetime):
		return value.date()
	if isinstance(value, date):
		return value
	if not isinstance(value, str):
		raise CoercionError(NOT_A_DATE)
	match = _ISO_DATE.match(value.strip())
	if not match:
		raise CoercionError(NOT_A_DATE)
	try:
		return date(*(int(part) for part in match.groups()))
	except ValueError:
		raise CoercionError(NOT_A_DATE) from None


def to_datetime(value) -> datetime | None:
	"""A real date and time ("YYYY-MM-DD HH:MM:SS", seconds and fraction optional), or None."""
	if is_empty(value):
		return None
	if isinstance(value, datetime):
		return value
	if isinstance(value, date):
		return datetime(value.year, value.month, value.day)
	if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
		raise CoercionError(NOT_A_DATE)
	try:
		return datetime.fromisoformat(value.strip())
	except ValueError:
		raise CoercionError(NOT_A_DATE) from None


def to_text(value) -> str | None:
	"""Text for a Data/Text field: numbers are written out, lists and objects refused."""
	if value is None:
		return None
	if isinstance(value, str):
		return value
	if isinstance(value, bool) or not isinstance(value, int | float):
		raise CoercionError(NOT_TEXT)
	if not math.isfinite(value):
		raise CoercionError(NOT_TEXT)
	return str(value)


def check_table(value) -> None:
	"""A child table must be a list of rows (objects): text, an object or a number is refused, and so
	is a list holding anything but rows. (Other iterables, which only code can pass, are let through.)"""
	if value is None:
		return
	if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
		raise CoercionError(NOT_A_TABLE)
	if isinstance(value, list | tuple):
		for position, row in enumerate(value, start=1):
			if not isinstance(row, Mapping) and not hasattr(row, "doctype"):
				raise CoercionError(NOT_A_ROW, position)


# --- free text ------------------------------------------------------------------------------------

_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg"}


class _TextOnly(HTMLParser):
	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.parts: list[str] = []
		self.skipping = 0
		self.saw_markup = False

	def handle_starttag(self, tag, attrs):
		self.saw_markup = True
		if tag in _DROPPED_WITH_CONTENT:
			self.skipping += 1
		elif tag in ("br", "p", "div", "li", "tr"):
			self.parts.append("\n")

	def handle_startendtag(self, tag, attrs):
		self.saw_markup = True
		if tag == "br":
			self.parts.append("\n")

	def handle_endtag(self, tag):
		self.saw_markup = True
		if tag in _DROPPED_WITH_CONTENT and self.skipping:
			self.skipping -= 1

	def handle_comment(self, data):
		self.saw_markup = True

	def handle_decl(self, decl):
		self.saw_markup = True

	def handle_pi(self, data):
		self.saw_markup = True

	def unknown_decl(self, data):
		self.saw_markup = True

	def handle_data(self, data):
		if not self.skipping:
			self.parts.append(data)


def plain_text(value: str | None) -> str | None:
	"""Free text without markup: tags (and the content of script/style and the like) removed, and any
	"<" or ">" left over escaped, so that the stored value is inert wherever it is shown. Text without
	"<" or ">" is returned unchanged; the function is idempotent on its own output."""
	if not value or ("<" not in value and ">" not in value):
		return value
	parser = _TextOnly()
	parser.feed(value)
	parser.close()
	text = "".join(parser.parts)
	if not parser.saw_markup:
		text = value  # "a < b": no markup, only the characters need escaping
	text = re.sub(r"\n{3,}", "\n\n", text).strip()
	return text.replace("<", "&lt;").replace(">", "&gt;")
