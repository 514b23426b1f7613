"""The statement of account as a spreadsheet (no ORM): the same statement data the PDF
shows (res.partner._dunning_statement), written with xlsxwriter, Odoo's own.

Text never becomes a formula: every text cell is written with ``write_string`` (a
customer reference "=HYPERLINK(...)" or "+32 470..." stays text, OWASP "CSV
Injection"), and the workbook does not turn strings into formulas or links."""

import io

import xlsxwriter


class _Sheet:
    """One worksheet and its formats; text always as text."""

    def __init__(self, workbook, name):
        self.sheet = workbook.add_worksheet(name[:31])
        self.workbook = workbook
        self.bold = workbook.add_format({"bold": True})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.formats = {}

    def text(self, row, col, value, cell_format=None):
        self.sheet.write_string(row, col, str(value or ""), cell_format)

    def date(self, row, col, value):
        if value:
            self.sheet.write_datetime(row, col, value, self.day)

    def money(self, row, col, amount, places, strong=False):
        key = (places, strong)
        if key not in self.formats:
            number = "#,##0" + ("." + "0" * places if places else "")
            self.formats[key] = self.workbook.add_format({"num_format": number, "bold": strong})
        self.sheet.write_number(row, col, amount, self.formats[key])

    def header(self, row, titles):
        for col, value in enumerate(titles):
            self.text(row, col, value, self.bold)


def statement_xlsx(statement, labels):
    """The workbook's bytes. ``statement``: plain values::

        {"title", "company", "customer", "date": date,
         "currencies": [{"currency": "EUR", "decimal_places": 2,
                         "items": [{"name", "ref", "kind", "date", "date_due",
                                    "days_overdue", "residual"}],
                         "aging": [(label, amount)], "balance": float}],
         "payments": [{"date", "name", "ref", "amount", "currency", "decimal_places"}]}

    ``labels``: the sheet's name and the column and section titles, in the reader's
    language (keys: sheet, number, reference, type, date, due_date, days_overdue,
    amount_open, balance, open_items, aging, currency, payments, amount)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = _Sheet(workbook, labels["sheet"])
    sheet.text(0, 0, statement["title"], sheet.title)
    sheet.text(1, 0, statement["company"], sheet.bold)
    sheet.text(2, 0, statement["customer"], sheet.bold)
    sheet.date(2, 1, statement["date"])
    row = 4
    for section in statement["currencies"]:
        row = _open_items(sheet, row, section, labels) + 1
    if statement["currencies"]:
        row = _aging(sheet, row, statement["currencies"], labels) + 1
    if statement["payments"]:
        _payments(sheet, row, statement["payments"], labels)
    sheet.sheet.set_column(0, 2, 22)
    sheet.sheet.set_column(3, 6, 14)
    workbook.close()
    return buffer.getvalue()


def _open_items(sheet, row, section, labels):
    places = section["decimal_places"]
    sheet.text(row, 0, f"{labels['open_items']} {section['currency']}", sheet.bold)
    keys = ("number", "reference", "type", "date", "due_date", "days_overdue", "amount_open")
    sheet.header(row + 1, [labels[key] for key in keys])
    row += 2
    for item in section["items"]:
        sheet.text(row, 0, item["name"])
        sheet.text(row, 1, item["ref"])
        sheet.text(row, 2, item["kind"])
        sheet.date(row, 3, item["date"])
        sheet.date(row, 4, item["date_due"])
        if item["days_overdue"]:
            sheet.sheet.write_number(row, 5, item["days_overdue"])
        sheet.money(row, 6, item["residual"], places)
        row += 1
    sheet.text(row, 5, f"{labels['balance']} ({section['currency']})", sheet.bold)
    sheet.money(row, 6, section["balance"], places, strong=True)
    return row + 1


def _aging(sheet, row, sections, labels):
    sheet.text(row, 0, labels["aging"], sheet.bold)
    buckets = [label for label, _amount in sections[0]["aging"]]
    sheet.header(row + 1, [labels["currency"], *buckets, labels["balance"]])
    row += 2
    for section in sections:
        places = section["decimal_places"]
        sheet.text(row, 0, section["currency"])
        for col, (_label, amount) in enumerate(section["aging"], start=1):
            sheet.money(row, col, amount, places)
        sheet.money(row, len(buckets) + 1, section["balance"], places, strong=True)
        row += 1
    return row


def _payments(sheet, row, payments, labels):
    sheet.text(row, 0, labels["payments"], sheet.bold)
    keys = ("date", "number", "reference", "amount", "currency")
    sheet.header(row + 1, [labels[key] for key in keys])
    row += 2
    for payment in payments:
        sheet.date(row, 0, payment["date"])
        sheet.text(row, 1, payment["name"])
        sheet.text(row, 2, payment["ref"])
        sheet.money(row, 3, payment["amount"], payment["decimal_places"])
        sheet.text(row, 4, payment["currency"])
        row += 1
    return row
