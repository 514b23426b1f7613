"""Plain pytest: the statement spreadsheet writes text as text, never as a formula."""

from datetime import date

from ..tools.statement_xlsx import statement_xlsx
from .pure import odoo_test_case
from .xlsx_reader import read_cells, rows_of

LABELS = {
    "sheet": "Statement", "number": "Number", "reference": "Reference", "type": "Type",
    "date": "Date", "due_date": "Due date", "days_overdue": "Days overdue",
    "amount_open": "Amount open", "balance": "Balance", "open_items": "Open items in",
    "aging": "Aging", "currency": "Currency", "payments": "Payments received",
    "amount": "Amount",
}  # fmt: skip

HOSTILE = ('=HYPERLINK("http://evil.example","x")', "+32 470 12 34 56", "-2+3", "@SUM(A1)")


def _statement(ref, customer="Acme"):
    return {
        "title": "Statement of account",
        "company": "Northwind",
        "customer": customer,
        "date": date(2026, 3, 31),
        "currencies": [
            {
                "currency": "EUR",
                "decimal_places": 2,
                "items": [
                    {
                        "name": "INV/2026/0001",
                        "ref": ref,
                        "kind": "Invoice",
                        "date": date(2026, 1, 1),
                        "date_due": date(2026, 1, 15),
                        "days_overdue": 75,
                        "residual": 700.0,
                    },
                ],
                "aging": [
                    ("Not due", 0.0),
                    ("1-30", 0.0),
                    ("31-60", 0.0),
                    ("61-90", 700.0),
                    ("Over 90", 0.0),
                ],
                "balance": 700.0,
            }
        ],
        "payments": [
            {
                "date": date(2026, 2, 10),
                "name": "PAY/1",
                "ref": ref,
                "amount": 300.0,
                "currency": "EUR",
                "decimal_places": 2,
            }
        ],
    }


def test_text_that_looks_like_a_formula_stays_text():
    for value in HOSTILE:
        cells = read_cells(statement_xlsx(_statement(value, customer=value), LABELS))
        assert not [ref for ref, (kind, _v) in cells.items() if kind == "formula"], value
        texts = [v for kind, v in cells.values() if kind == "text"]
        assert texts.count(value) == 3, (value, texts)  # customer, item, payment


def test_the_figures_are_numbers_in_their_place():
    rows = rows_of(read_cells(statement_xlsx(_statement("PO 12"), LABELS)))
    assert rows[1]["A"] == "Statement of account"
    assert rows[5]["A"] == "Open items in EUR"
    assert rows[6]["G"] == "Amount open"
    assert rows[7]["A"] == "INV/2026/0001"
    assert rows[7]["F"] == 75
    assert rows[7]["G"] == 700.0
    assert rows[8]["G"] == 700.0  # the balance
    assert rows[12]["E"] == 700.0  # 61-90
    assert rows[16]["D"] == 300.0  # the payment


OdooRunner = odoo_test_case(globals())
