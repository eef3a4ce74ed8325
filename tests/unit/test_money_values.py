"""transfer.values.money_minor on values a sheet can hold that are not finite numbers (found by
test_import's random files: a cell read back as inf raised OverflowError)."""

from tuicrm.transfer import values


def test_non_finite_money_is_a_bad_value_not_an_error():
    for v in (float("inf"), 1e400, float("nan"), "nan", "NaN", "inf", "-inf", "Infinity", "sNaN"):
        assert values.money_minor(v) == (None, False), v
    assert values.money_minor(1500000.5) == (150000050, True)
    assert values.money_minor("1 500 000,50 ₽") == (150000050, True)
