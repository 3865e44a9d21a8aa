"""Exact money: integer cents in the database, ``Decimal`` in code.

Every amount a person types goes through :func:`parse_amount`; every amount
shown goes through :func:`format_money`. Derived amounts are rounded once,
half-up to the cent, by :func:`round_cents` (the only rounding rule).
"""

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

from babel.numbers import get_decimal_symbol
from babel.numbers import get_group_symbol
from flask_babel import lazy_gettext as _l

CENT = Decimal("0.01")
# ¥99,999,999.99: far above any real order, far below integer overflow.
MAX_CENTS = 9_999_999_999

# Digits with at most two decimals, an optional leading minus; nothing else.
_AMOUNT_RE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_TOO_MANY_PLACES_RE = re.compile(r"-?[0-9]+\.[0-9]{3,}")
_CURRENCY_SIGNS = ("¥", "￥")


class MoneyError(ValueError):
    """A typed amount was refused; ``message`` is safe to show beside the field."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _normalise(text: str) -> str:
    """Turn full-width digits, point and minus into ASCII, deliberately.

    Chinese input methods often produce ``１２．５０``; NFKC maps those to
    ASCII. Anything NFKC does not turn into the allowed characters is refused
    later by the pattern.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    text = text.replace("\u2212", "-")
    for sign in _CURRENCY_SIGNS:
        if text.startswith(sign):
            text = text[len(sign) :].strip()
    return text


def parse_amount(
    text: str | None,
    *,
    allow_negative: bool = False,
    allow_zero: bool = True,
    max_cents: int = MAX_CENTS,
) -> Decimal:
    """Parse a typed amount into a ``Decimal`` with exactly two places.

    :param max_cents: the largest absolute amount accepted, in cents.
    :raises MoneyError: for empty, malformed, NaN, exponent, negative where
        not allowed, more than two decimals, zero where not allowed, or too
        large input.
    """
    if text is None or not str(text).strip():
        raise MoneyError(_l("请输入金额。"))

    cleaned = _normalise(str(text))
    if _TOO_MANY_PLACES_RE.fullmatch(cleaned):
        raise MoneyError(_l("金额最多两位小数。"))
    if not _AMOUNT_RE.fullmatch(cleaned):
        raise MoneyError(_l("金额格式不正确，请输入如 100 或 99.50 的数字。"))

    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # unreachable after the pattern, kept safe
        raise MoneyError(_l("金额格式不正确。")) from exc

    if value < 0 and not allow_negative:
        raise MoneyError(_l("金额不能为负数。"))
    if value == 0 and not allow_zero:
        raise MoneyError(_l("金额必须大于 0。"))
    if abs(value) * 100 > max_cents:
        raise MoneyError(
            _l("金额不能超过 %(limit)s。", limit=format_money(from_cents(max_cents)))
        )
    return value.quantize(CENT)


def round_cents(value: Decimal) -> Decimal:
    """Round a derived amount half-up to whole cents (the one rounding rule)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """Convert an amount already at cent precision into integer cents.

    :raises ValueError: if ``value`` has a fraction of a cent; callers round
        with :func:`round_cents` first, at a step they document.
    """
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has a fraction of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Return integer cents as a ``Decimal`` amount with two places."""
    return (Decimal(cents) / 100).quantize(CENT)


def format_money(value: Decimal | int, locale: str = "zh_CN") -> str:
    """Format an amount (``Decimal``) or cents (``int``) as ``¥1,234.50``.

    The same as Babel's ``#,##0.00`` pattern in ``locale``, but the digits
    are laid out by ``Decimal``'s own formatting and only the locale's two
    symbols are looked up (once): a page of a hundred prices spent most of
    its time in Babel's pattern machinery.
    """
    amount = from_cents(value) if isinstance(value, int) else value
    sign = "-" if amount < 0 else ""
    digits = format(abs(amount), ",.2f").translate(_symbols(locale))
    return f"{sign}¥{digits}"


@functools.lru_cache(maxsize=16)
def _symbols(locale: str) -> dict[int, str]:
    """Return the translation of "," and "." into ``locale``'s symbols."""
    group = get_group_symbol(locale)
    decimal = get_decimal_symbol(locale)
    # One pass, so a locale whose group symbol is "." cannot be mapped twice.
    return str.maketrans({",": group, ".": decimal})
