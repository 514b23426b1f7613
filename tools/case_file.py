"""Plain helpers of the hand-off: the case file's CSV layout and amount allocation."""

import csv
import io
import re
from typing import NamedTuple

# What a spreadsheet may execute when a cell starts with it (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number (sign, decimals, exponent): read as a number, never as a formula.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class CsvSection(NamedTuple):
    """One block of the case file: a title row, a header row, then the data rows."""

    title: str
    header: tuple
    rows: tuple


def neutralise_cell(value):
    """A cell value that no spreadsheet executes, as OWASP recommends against CSV
    injection: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a single quote in front (the csv writer then quotes the cell as needed); plain
    numbers such as "-12.50" stay numbers. None is the empty cell; other non-text values
    (numbers, dates) are written as they are."""
    if value is None:
        return ""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def sections_to_csv(sections):
    """The case file as CSV text: each section is its title, its header and its rows,
    followed by an empty line, so that it reads well in a spreadsheet and parses with
    any CSV reader. Values are written as given (str() of non-strings, "" for None),
    except text a spreadsheet would execute, neutralised by ``neutralise_cell``. Every
    text cell is quoted (RFC 4180): where the spreadsheet's list separator is ";" (most
    of Europe), "Brussels;=1+1" stays one cell instead of becoming a live formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    for section in sections:
        writer.writerow([neutralise_cell(section.title)])
        writer.writerow([neutralise_cell(value) for value in section.header])
        for row in section.rows:
            if len(row) != len(section.header):
                raise ValueError(
                    f"section {section.title!r}: row of {len(row)} values "
                    f"for {len(section.header)} columns"
                )
            writer.writerow([neutralise_cell(value) for value in row])
        writer.writerow([])
    return buffer.getvalue()


def case_file_sections(data, _):
    """The sections of a case file from its plain data (see dunning.case's
    ``_get_case_file_data``); ``_`` translates the labels."""
    case, debtor, contact = data["case"], data["debtor"], data["contact"]
    debtor_keys = ("name", "street", "street2", "zip", "city", "state", "country", "vat")
    return [
        CsvSection(
            _("Case"),
            (_("Case"), _("Reference"), _("Type"), _("Hand-off Date"), _("Creditor"), _("Note")),
            ((case["name"], case["reference"], case["type"], case["date"], case["creditor"],
              case["note"]),),
        ),
        CsvSection(
            _("Debtor"),
            (_("Name"), _("Street"), _("Street 2"), _("ZIP"), _("City"), _("State"),
             _("Country"), _("Tax ID")),
            (tuple(debtor[key] for key in debtor_keys),),
        ),
        CsvSection(
            _("Contact"),
            (_("Name"), _("Email"), _("Phone")),
            ((contact["name"], contact["email"], contact["phone"]),),
        ),
        CsvSection(
            _("Invoices"),
            (_("Number"), _("Invoice Date"), _("Due Date"), _("Amount"), _("Amount Due"),
             _("Currency")),
            tuple(
                (inv["name"], inv["invoice_date"], inv["date_due"],
                 f"{inv['amount']:.{inv['digits']}f}", f"{inv['residual']:.{inv['digits']}f}",
                 inv["currency_name"])
                for inv in data["invoices"]
            ),
        ),
        CsvSection(
            _("Total Due"),
            (_("Currency"), _("Amount Due")),
            tuple((total["currency_name"], f"{total['amount']:.{total['digits']}f}")
                  for total in data.get("totals", ())),
        ),
        CsvSection(
            _("Reminders and Calls"),
            (_("Date"), _("Action"), _("Step"), _("Invoices")),
            tuple((row["date"], row["channel"], row["level"], row["invoices"])
                  for row in data["history"]),
        ),
        CsvSection(
            _("Notes"),
            (_("Date"), _("Invoices"), _("Note")),
            tuple((row["date"], row["invoices"], row["note"]) for row in data["notes"]),
        ),
    ]  # fmt: skip


def allocate_in_order(amount, capacities, digits):
    """Spread ``amount`` over ``capacities`` in their order, filling each one before the
    next (oldest instalment of an invoice first). Returns one share per capacity,
    rounded to ``digits``; the shares sum to ``amount`` rounded to ``digits``.

    Raises ValueError when the amount is negative or exceeds the total capacity.
    """
    scale = 10**digits
    left = round(amount * scale)
    units = [round(capacity * scale) for capacity in capacities]
    if left < 0 or any(unit < 0 for unit in units):
        raise ValueError("amounts to allocate must not be negative")
    if left > sum(units):
        raise ValueError("the amount exceeds what is open")
    shares = []
    for unit in units:
        share = min(unit, left)
        shares.append(share / scale)
        left -= share
    return shares
