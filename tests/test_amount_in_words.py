"""Chinese financial upper-case amounts (order_mgmt/accounting/amount_in_words.py)."""

from decimal import Decimal

import pytest

from order_mgmt.accounting.amount_in_words import chinese_amount_in_words

# The examples of the brief and of the People's Bank of China's rules for filling in bills.
CASES = [
	(0, "零元整"),
	(1, "壹元整"),
	(9, "玖元整"),
	(10, "壹拾元整"),
	(11, "壹拾壹元整"),
	(20, "贰拾元整"),
	(100, "壹佰元整"),
	(101, "壹佰零壹元整"),
	(110, "壹佰壹拾元整"),
	(1000, "壹仟元整"),
	(1001, "壹仟零壹元整"),
	(1010, "壹仟零壹拾元整"),
	(1100, "壹仟壹佰元整"),
	(9999, "玖仟玖佰玖拾玖元整"),
	(1234.5, "壹仟贰佰叁拾肆元伍角"),
	(1234.56, "壹仟贰佰叁拾肆元伍角陆分"),
	(100.05, "壹佰元零伍分"),
	(100.5, "壹佰元伍角"),
	(100.50, "壹佰元伍角"),
	(1680.32, "壹仟陆佰捌拾元叁角贰分"),
	(1409.50, "壹仟肆佰零玖元伍角"),
	(6007.14, "陆仟零柒元壹角肆分"),
	(325.04, "叁佰贰拾伍元零肆分"),
	(107000.53, "壹拾万柒仟元伍角叁分"),
	(0.01, "壹分"),
	(0.05, "伍分"),
	(0.1, "壹角"),
	(0.5, "伍角"),
	(0.15, "壹角伍分"),
	(0.99, "玖角玖分"),
	# zeros inside
	(10010, "壹万零壹拾元整"),
	(10001, "壹万零壹元整"),
	(10100, "壹万零壹佰元整"),
	(11000, "壹万壹仟元整"),
	(100000, "壹拾万元整"),
	(100001, "壹拾万零壹元整"),
	(101000, "壹拾万壹仟元整"),
	(1000100, "壹佰万零壹佰元整"),
	(10001000, "壹仟万壹仟元整"),
	(10000001, "壹仟万零壹元整"),
	(100010000, "壹亿零壹万元整"),
	(100001000, "壹亿零壹仟元整"),
	(110000000, "壹亿壹仟万元整"),
	(1000000000.01, "壹拾亿元零壹分"),
	(1000000000, "壹拾亿元整"),
	(1200000034.5, "壹拾贰亿零叁拾肆元伍角"),
	(300000800000, "叁仟亿零捌拾万元整"),
	# 万 / 亿 boundaries
	(9999.99, "玖仟玖佰玖拾玖元玖角玖分"),
	(10000, "壹万元整"),
	(99999999, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整"),
	(100000000, "壹亿元整"),
	(100000001, "壹亿零壹元整"),
	(10**12, "壹万亿元整"),
	(10**12 + 10**8, "壹万零壹亿元整"),
	(10**12 + 10**7, "壹万亿零壹仟万元整"),
	(12345 * 10**8, "壹万贰仟叁佰肆拾伍亿元整"),
	(10**16, "壹亿亿元整"),
	(10**16 + 1, "壹亿亿零壹元整"),
	(
		123456789012345678,
		"壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾亿壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元整",
	),
	(
		10**20 - 1,
		"玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整",
	),
]


@pytest.mark.parametrize(("amount", "words"), CASES, ids=[str(amount) for amount, _ in CASES])
def test_amount_in_words(amount, words):
	assert chinese_amount_in_words(amount) == words


@pytest.mark.parametrize(("amount", "words"), CASES, ids=[str(amount) for amount, _ in CASES])
def test_negative_amounts_are_prefixed_with_fu(amount, words):
	if amount == 0:
		assert chinese_amount_in_words(-0.0) == "零元整"
	else:
		assert chinese_amount_in_words(-Decimal(str(amount))) == "负" + words


def test_negative_examples():
	assert chinese_amount_in_words(-10) == "负壹拾元整"
	assert chinese_amount_in_words("-100.05") == "负壹佰元零伍分"
	assert chinese_amount_in_words(-0.5) == "负伍角"


@pytest.mark.parametrize("amount", [-0.001, -0.004, "-0.00", Decimal("-0.0049")])
def test_negative_amounts_that_round_to_zero_are_plain_zero(amount):
	assert chinese_amount_in_words(amount) == "零元整"


@pytest.mark.parametrize(
	("amount", "words"),
	[
		(0.005, "壹分"),
		(0.004, "零元整"),
		(0.015, "贰分"),
		(0.095, "壹角"),
		(0.995, "壹元整"),
		(1.005, "壹元零壹分"),  # as the float prints, not its binary value 1.00499…
		(2.675, "贰元陆角捌分"),
		(9.995, "壹拾元整"),
		(99999.995, "壹拾万元整"),
		(99999999.995, "壹亿元整"),
		(Decimal("0.005"), "壹分"),
		(Decimal("0.00499"), "零元整"),
		("0.005", "壹分"),
		("12.345", "壹拾贰元叁角伍分"),
		(-0.005, "负壹分"),  # half-up rounds away from zero
	],
)
def test_rounding_to_two_decimals_half_up(amount, words):
	assert chinese_amount_in_words(amount) == words


@pytest.mark.parametrize(
	"amount",
	[1234.56, "1234.56", " 1234.56 ", "1,234.56", Decimal("1234.56"), Decimal("1234.5600"), "1234.560"],
)
def test_float_string_and_decimal_inputs_agree(amount):
	assert chinese_amount_in_words(amount) == "壹仟贰佰叁拾肆元伍角陆分"


@pytest.mark.parametrize("amount", [10, 10.0, "10", "10.00", Decimal("10"), Decimal("1E+1")])
def test_whole_numbers_in_any_form(amount):
	assert chinese_amount_in_words(amount) == "壹拾元整"


@pytest.mark.parametrize(
	"amount", ["", "abc", "1.2.3", "nan", "inf", float("nan"), float("inf"), Decimal("NaN")]
)
def test_non_numbers_are_refused(amount):
	with pytest.raises(ValueError):
		chinese_amount_in_words(amount)


@pytest.mark.parametrize("amount", [None, True, [1], object()])
def test_other_types_are_refused(amount):
	with pytest.raises(TypeError):
		chinese_amount_in_words(amount)


@pytest.mark.parametrize(
	"amount", [10**20, -(10**20), 99999999999999999999.995, "99999999999999999999.995", "1e30", "1e99"]
)
def test_amounts_beyond_yi_yi_groups_are_refused(amount):
	with pytest.raises(ValueError):
		chinese_amount_in_words(amount)


def test_every_digit_and_unit_is_used():
	assert chinese_amount_in_words("9876543210.12") == "玖拾捌亿柒仟陆佰伍拾肆万叁仟贰佰壹拾元壹角贰分"


def test_no_zero_is_doubled_and_none_ends_the_yuan_part():
	for number in range(0, 200_000, 7):
		words = chinese_amount_in_words(number)
		assert "零零" not in words
		assert not words.replace("整", "").replace("元", "").endswith("零") or number == 0


def test_only_whole_yuan_end_with_zheng():
	assert chinese_amount_in_words(5).endswith("元整")
	assert not chinese_amount_in_words(5.5).endswith("整")
	assert not chinese_amount_in_words(5.05).endswith("整")
