import csv
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..tools.case_file import CsvSection, allocate_in_order, neutralise_cell, sections_to_csv
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


@st.composite
def sections(draw):
    result = []
    for _ in range(draw(st.integers(1, 4))):
        width = draw(st.integers(1, 5))
        header = tuple(draw(st.lists(TEXT, min_size=width, max_size=width)))
        rows = tuple(
            tuple(draw(st.lists(TEXT, min_size=width, max_size=width)))
            for _ in range(draw(st.integers(0, 4)))
        )
        result.append(CsvSection(draw(TEXT), header, rows))
    return result


# No deadline: the machine running the suite is shared, timing is not the property.
@settings(deadline=None)
@given(sections())
def test_csv_round_trips_every_value_in_its_section(blocks):
    text = sections_to_csv(blocks)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    expected = []
    for block in blocks:
        expected.append([neutralise_cell(block.title)])
        expected.append([neutralise_cell(value) for value in block.header])
        expected.extend([neutralise_cell(value) for value in row] for row in block.rows)
        expected.append([])
    assert rows == expected


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_plain_number(value):
    # Digits with an optional sign, decimal part and exponent: what a spreadsheet reads
    # as a number, never as a formula ("-inf" or "1_000" are not numbers there).
    return re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", value) is not None


@settings(deadline=None)
@given(st.sampled_from(FORMULA_STARTS), TEXT)
def test_csv_cells_a_spreadsheet_would_execute_are_neutralised(start, rest):
    value = start + rest
    text = sections_to_csv([CsvSection("Notes", ("Note",), ((value,),))])
    [cell] = list(csv.reader(io.StringIO(text, newline="")))[2]
    if _is_plain_number(value):
        assert cell == value
    else:
        # OWASP: a single quote first, the rest unchanged, the CSV quoting intact.
        assert cell == "'" + value


def test_csv_neutralises_formulas_but_keeps_plain_numbers():
    rows = (
        ('=HYPERLINK("http://evil.example.com","Click")', "-12.50"),
        ("+32 2 555 01 02", "12.5"),
        ("@SUM(A1:A2)", "-3"),
        ("\t=1+1", "+7"),
        ("\r=1+1", "-1e5"),
        ("-2+3", "a=b"),
    )
    text = sections_to_csv([CsvSection("=Title", ("-Head", "Amount"), rows)])
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["'=Title"]
    assert parsed[1] == ["'-Head", "Amount"]
    assert parsed[2:8] == [
        ['\'=HYPERLINK("http://evil.example.com","Click")', "-12.50"],
        ["'+32 2 555 01 02", "12.5"],
        ["'@SUM(A1:A2)", "-3"],
        ["'\t=1+1", "+7"],
        ["'\r=1+1", "-1e5"],
        ["'-2+3", "a=b"],
    ]
    # Numbers that are not strings are written as they are.
    assert sections_to_csv([CsvSection("N", ("n",), ((-12.5,),))]) == '"N"\r\n"n"\r\n-12.5\r\n\r\n'


def test_csv_text_is_quoted_whatever_the_list_separator():
    text = sections_to_csv([CsvSection("Debtor", ("City",), (("Brussels;=1+1;",),))])
    assert '"Brussels;=1+1;"' in text
    # Read with ";" as the separator (a European spreadsheet), it is still one cell.
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["Brussels;=1+1;"] in rows


def test_csv_writes_numbers_and_empty_values():
    text = sections_to_csv([CsvSection("Invoices", ("Number", "Residual", "Note"),
                                       (("INV/1", 12.5, None),))])  # fmt: skip
    assert text == '"Invoices"\r\n"Number","Residual","Note"\r\n"INV/1",12.5,""\r\n\r\n'


def test_csv_refuses_ragged_rows():
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        sections_to_csv([CsvSection("Invoices", ("a", "b", "c"), (("1", "2"),))])


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 10**7), min_size=1, max_size=6),
    st.integers(0, 2),
    st.data(),
)
def test_allocation_fills_in_order_and_sums_exactly(capacity_units, digits, data):
    scale = 10**digits
    capacities = [unit / scale for unit in capacity_units]
    amount_units = data.draw(st.integers(0, sum(capacity_units)))
    shares = allocate_in_order(amount_units / scale, capacities, digits)
    assert round(sum(shares) * scale) == amount_units
    assert all(0 <= share <= capacity for share, capacity in zip(shares, capacities, strict=True))
    # Filled in order: once a share is short of its capacity, the later ones are empty.
    short = [i for i, (s, c) in enumerate(zip(shares, capacities, strict=True)) if s < c]
    if short:
        assert all(share == 0 for share in shares[short[0] + 1 :])


def test_allocation_refuses_more_than_open_or_negative():
    with pytest.raises(ValueError, match="exceeds"):
        allocate_in_order(100.01, [50.0, 50.0], 2)
    with pytest.raises(ValueError, match="negative"):
        allocate_in_order(-1.0, [50.0], 2)
    assert allocate_in_order(60.0, [50.0, 50.0], 2) == [50.0, 10.0]


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
