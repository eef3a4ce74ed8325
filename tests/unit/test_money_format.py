"""Money as each language writes it (babel, plus CLDR's currency spacing that babel leaves out)."""

import pytest

from tuicrm import formatting, i18n


@pytest.fixture
def lang():
    before = i18n.language()
    yield lambda code: i18n.set_language(code)
    i18n.set_language(before)


def test_english_keeps_a_letter_symbol_apart_from_the_digits(lang):
    lang("en")
    assert formatting.money(188_700_000) == "RUB\u00a01,887,000"
    assert formatting.money(188_700_050, cents=True) == "RUB\u00a01,887,000.50"
    assert formatting.money(-50_000) == "-RUB\u00a0500"
    assert formatting.money(188_700, "GBP") == "£1,887"
    assert formatting.money(None) == ""


def test_russian_puts_the_symbol_after(lang):
    lang("ru")
    assert formatting.money(188_700_000) == "1\u00a0887\u00a0000 ₽"
