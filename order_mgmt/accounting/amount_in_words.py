"""Amounts in Chinese financial upper-case numerals (大写金额), as written on Chinese invoices and cheques.

Pure Python (no frappe import), so it is unit-tested without a site.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
WAN = 10**4
YI = 10**8
LIMIT = 10**20  # 亿亿 groups: amounts up to 9999,9999,9999,9999,9999.99

CENT = Decimal("0.01")


def chinese_amount_in_words(amount) -> str:
	"""The RMB amount in Chinese financial upper-case numerals.

	The amount (int, float, Decimal or numeric string; "1,234.50" is accepted) is rounded to two
	decimals half-up (a float is taken as it prints, so 0.005 gives 壹分). The rules followed are
	those of the People's Bank of China for bills and settlement documents:

	- 元 ends the yuan part; 整 follows 元 only when there are no jiao or fen: 10 → 壹拾元整.
		No 整 is written after 角 (1234.5 → 壹仟贰佰叁拾肆元伍角) or 分.
	- Tens are written with their digit, 壹拾, also at the start: 100000 → 壹拾万元整.
	- A run of zeros inside the number is written as one 零 (10010 → 壹万零壹拾元整,
		100010000 → 壹亿零壹万元整); zeros at the end of the yuan part or of a 万/亿 group are
		not written (100000 → 壹拾万元整).
	- Zero jiao between yuan and fen is written as 零: 100.05 → 壹佰元零伍分.
	- Amounts below one yuan leave out 零元: 0.05 → 伍分, 0.5 → 伍角; zero is 零元整.
	- Negative amounts (credit notes) are prefixed with 负: -10 → 负壹拾元整.
	- Groups go 万 (10^4), 亿 (10^8), 万亿 (10^12) and 亿亿 (10^16); larger amounts are refused.

	Raises ValueError for input that is not a finite number or is too large, TypeError for None
	or other types.
	"""
	value = _to_decimal(amount)
	with localcontext() as context:
		context.prec = 50
		if abs(value) < LIMIT:
			value = value.quantize(CENT, rounding=ROUND_HALF_UP)
		if abs(value) >= LIMIT:  # also 99999999999999999999.995, once rounded
			raise ValueError(f"Amount {amount!r} is too large to write in words")
		negative = value < 0
		cents = int(abs(value) * 100)
	yuan, fraction = divmod(cents, 100)
	jiao, fen = divmod(fraction, 10)

	if not yuan and not fraction:
		return "零元整"
	words = ""
	if yuan:
		words = _integer(yuan) + "元"
	if not fraction:
		words += "整"
	else:
		if jiao:
			words += DIGITS[jiao] + "角"
		elif yuan:  # 元零伍分; below one yuan it is just 伍分
			words += "零"
		if fen:
			words += DIGITS[fen] + "分"
	return ("负" if negative else "") + words


def _to_decimal(amount) -> Decimal:
	if isinstance(amount, bool) or amount is None:
		raise TypeError(f"Not an amount: {amount!r}")
	if isinstance(amount, Decimal):
		value = amount
	elif isinstance(amount, int):
		value = Decimal(amount)
	elif isinstance(amount, float):
		value = Decimal(repr(amount))  # the shortest form that round-trips: 0.005, not 0.00499…
	elif isinstance(amount, str):
		text = amount.strip().replace(",", "").replace(" ", "")
		try:
			value = Decimal(text)
		except InvalidOperation:
			raise ValueError(f"Not an amount: {amount!r}") from None
	else:
		raise TypeError(f"Not an amount: {amount!r}")
	if not value.is_finite():
		raise ValueError(f"Not an amount: {amount!r}")
	return value


def _integer(number: int) -> str:
	"""A positive whole number in upper-case numerals, with 万 and 亿 (nested: 万亿, 亿亿)."""
	if number < WAN:
		return _group(number)
	unit, size, lead = ("亿", YI, YI // 10) if number >= YI else ("万", WAN, WAN // 10)
	high, low = divmod(number, size)
	words = _integer(high) + unit
	if low:
		# One 零 for the zeros between the parts: the lower part does not fill its digits (8 below
		# 亿, 4 below 万), or the last group of four of the upper part is all zeros, as the 亿 group
		# of 1,0000,1000,0000 (壹万亿零壹仟万). Zeros that end a group are not read otherwise.
		gap = low < lead or (high >= WAN and not high % WAN)
		words += ("零" if gap else "") + _integer(low)
	return words


def _group(number: int) -> str:
	"""1..9999 with 拾/佰/仟; a run of inner zeros as one 零, trailing zeros left out."""
	words, zero = "", False
	digits = str(number)
	for index, char in enumerate(digits):
		digit = int(char)
		if not digit:
			zero = True
			continue
		if zero:
			words += "零"
			zero = False
		words += DIGITS[digit] + SMALL_UNITS[len(digits) - 1 - index]
	return words
