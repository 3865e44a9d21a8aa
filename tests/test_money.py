"""Money parsing, rounding and formatting (M6, M7)."""

from decimal import Decimal

import pytest

from vas.money import MoneyError
from vas.money import format_money
from vas.money import from_cents
from vas.money import parse_amount
from vas.money import round_cents
from vas.money import to_cents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", Decimal("100.00")),
        ("99.5", Decimal("99.50")),
        ("0.01", Decimal("0.01")),
        ("  12.30 ", Decimal("12.30")),
        ("0", Decimal("0.00")),
        ("¥88", Decimal("88.00")),
        ("￥88.80", Decimal("88.80")),
        ("１２．５０", Decimal("12.50")),  # full-width digits, normalised on purpose
        ("007", Decimal("7.00")),
    ],
)
def test_accepted_amounts(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("-1", "negative"),
        ("-0.01", "negative"),
        ("NaN", "format"),
        ("nan", "format"),
        ("Infinity", "format"),
        ("1e3", "format"),
        ("1E-2", "format"),
        ("1.005", "places"),
        ("0.001", "places"),
        ("1,000", "format"),
        ("1.2.3", "format"),
        ("abc", "format"),
        ("0x10", "format"),
        (".5", "format"),
        ("5.", "format"),
        ("+5", "format"),
        ("1 000", "format"),
        ("100000000", "large"),
        ("99999999999999999999", "large"),
        ("١٢", "format"),  # Arabic-Indic digits are not normalised
    ],
)
def test_refused_amounts(text, reason):
    with pytest.raises(MoneyError) as refusal:
        parse_amount(text)
    assert str(refusal.value.message)


def test_negative_allowed_where_it_makes_sense():
    assert parse_amount("-12.50", allow_negative=True) == Decimal("-12.50")


def test_zero_refused_where_it_makes_no_sense():
    with pytest.raises(MoneyError):
        parse_amount("0.00", allow_zero=False)


def test_limit_is_inclusive():
    assert parse_amount("500.00", max_cents=50000) == Decimal("500.00")
    with pytest.raises(MoneyError):
        parse_amount("500.01", max_cents=50000)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half-up, not banker's rounding
        ("2.675", "2.68"),
        ("-0.005", "-0.01"),
        ("33.3333", "33.33"),
        ("66.6666", "66.67"),
    ],
)
def test_round_half_up(value, rounded):
    assert round_cents(Decimal(value)) == Decimal(rounded)


def test_cents_round_trip():
    assert to_cents(Decimal("1234.50")) == 123450
    assert from_cents(123450) == Decimal("1234.50")
    with pytest.raises(ValueError):
        to_cents(Decimal("0.005"))


def test_point_three_minus_three_dimes_is_zero():
    total = Decimal("0.30") - 3 * Decimal("0.10")
    assert total == Decimal("0.00")
    assert to_cents(total) == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (123450, "¥1,234.50"),
        (0, "¥0.00"),
        (-500, "-¥5.00"),
        (Decimal("1000000"), "¥1,000,000.00"),
    ],
)
def test_format(value, text):
    assert format_money(value) == text
    assert format_money(value, locale="en") == text
