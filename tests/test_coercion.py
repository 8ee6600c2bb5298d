"""Input coercion at the boundary (order_mgmt/orders/coercion.py)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from order_mgmt.orders import coercion
from order_mgmt.orders.coercion import (
	Bounds,
	CoercionError,
	check_table,
	plain_text,
	shown,
	to_date,
	to_datetime,
	to_int,
	to_number,
	to_text,
)


@pytest.mark.parametrize(
	"value, expected",
	[
		(3, 3.0),
		(2.5, 2.5),
		("12", 12.0),
		(" -3.5 ", -3.5),
		("1e3", 1000.0),
		(".5", 0.5),
		(Decimal("1.25"), 1.25),
	],
)
def test_numbers_accepted(value, expected):
	assert to_number(value) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_numbers_are_none(value):
	assert to_number(value) is None


@pytest.mark.parametrize(
	"value, code",
	[
		(float("nan"), coercion.NOT_FINITE),
		(float("inf"), coercion.NOT_FINITE),
		(float("-inf"), coercion.NOT_FINITE),
		("NaN", coercion.NOT_A_NUMBER),
		("Infinity", coercion.NOT_A_NUMBER),
		("inf", coercion.NOT_A_NUMBER),
		("abc", coercion.NOT_A_NUMBER),
		("1,5", coercion.NOT_A_NUMBER),
		("1_000", coercion.NOT_A_NUMBER),
		([1], coercion.NOT_A_NUMBER),
		({"qty": 1}, coercion.NOT_A_NUMBER),
		(True, coercion.NOT_A_NUMBER),
		(1e18, coercion.OUT_OF_RANGE),
		("1e18", coercion.OUT_OF_RANGE),
		(-1e13, coercion.OUT_OF_RANGE),
		(10**400, coercion.NOT_A_NUMBER),
		("1e400", coercion.NOT_FINITE),
	],
)
def test_numbers_refused(value, code):
	with pytest.raises(CoercionError) as raised:
		to_number(value)
	assert raised.value.code == code


def test_number_bounds():
	percent = Bounds(minimum=0, maximum=100)
	assert to_number("100", percent) == 100.0
	with pytest.raises(CoercionError) as raised:
		to_number(101, percent)
	assert raised.value.code == coercion.ABOVE_MAXIMUM
	with pytest.raises(CoercionError) as raised:
		to_number(-1, percent)
	assert raised.value.code == coercion.BELOW_MINIMUM


def test_the_column_limit_is_just_below_twelve_digits():
	assert to_number(999_999_999_999.5) == 999_999_999_999.5
	with pytest.raises(CoercionError):
		to_number(1_000_000_000_000)


def test_int():
	assert to_int("7") == 7
	with pytest.raises(CoercionError):
		to_int(2.5)
	with pytest.raises(CoercionError):
		to_int(2**40)


@pytest.mark.parametrize(
	"value, expected",
	[
		("2025-02-28", date(2025, 2, 28)),
		(" 2024-02-29 ", date(2024, 2, 29)),
		(date(2026, 1, 1), date(2026, 1, 1)),
		(datetime(2026, 1, 1, 10, 0), date(2026, 1, 1)),
		("9999-12-31", date(9999, 12, 31)),
	],
)
def test_dates_accepted(value, expected):
	assert to_date(value) == expected


@pytest.mark.parametrize(
	"value", ["31/12/2099", "2025-02-30", "2025-13-01", "tomorrow", 20251231, 1.5, ["2025-01-01"], "2025-1-1"]
)
def test_dates_refused(value):
	with pytest.raises(CoercionError) as raised:
		to_date(value)
	assert raised.value.code == coercion.NOT_A_DATE


def test_datetimes():
	assert to_datetime("2026-01-02 03:04:05.123") == datetime(2026, 1, 2, 3, 4, 5, 123000)
	assert to_datetime("2026-01-02") == datetime(2026, 1, 2)
	for value in ("2026-01-02 25:00:00", "now", 5):
		with pytest.raises(CoercionError):
			to_datetime(value)


def test_text():
	assert to_text("PO-1") == "PO-1"
	assert to_text(12) == "12"
	assert to_text(None) is None
	for value in ([1], {"a": 1}, True, float("nan")):
		with pytest.raises(CoercionError) as raised:
			to_text(value)
		assert raised.value.code == coercion.NOT_TEXT


def test_tables():
	check_table(None)
	check_table([{"item_code": "A"}])
	check_table(row for row in [{"item_code": "A"}])
	for value in ("abc", {"item_code": "A"}, 5):
		with pytest.raises(CoercionError) as raised:
			check_table(value)
		assert raised.value.code == coercion.NOT_A_TABLE
	with pytest.raises(CoercionError) as raised:
		check_table([{"item_code": "A"}, "B"])
	assert raised.value.code == coercion.NOT_A_ROW
	assert raised.value.args_ == (2,)


def test_shown_values_are_short_and_quoted():
	assert shown("abc") == '"abc"'
	assert shown(float("nan")) == "nan"
	assert len(shown("x" * 500)) <= coercion.VALUE_SHOWN_CHARS + 2


@pytest.mark.parametrize(
	"value, expected",
	[
		(None, None),
		("", ""),
		("PO 4711", "PO 4711"),
		("Tom & Jerry", "Tom & Jerry"),
		("a < b", "a &lt; b"),
		("<b>bold</b> text", "bold text"),
		("<script>alert(1)</script>PO-1", "PO-1"),
		('<img src=x onerror="alert(1)">x', "x"),
		("line 1<br>line 2", "line 1\nline 2"),
		("&lt;script&gt;alert(1)&lt;/script&gt;<i>x</i>", "&lt;script&gt;alert(1)&lt;/script&gt;x"),
		("<svg><script>alert(1)</script></svg>ok", "ok"),
		('<a href="javascript:alert(1)">click</a>', "click"),
	],
)
def test_plain_text(value, expected):
	assert plain_text(value) == expected


@pytest.mark.parametrize(
	"value",
	["<b>x</b>", "a < b > c", "x <img src=x onerror=alert(1)", "<<script>script>alert(1)<</script>/script>"],
)
def test_plain_text_is_inert_and_idempotent(value):
	once = plain_text(value)
	assert "<" not in once and ">" not in once
	assert plain_text(once) == once
