"""Read back the cells of a workbook written by xlsxwriter (no openpyxl here): what a
spreadsheet shows, and whether a cell is a formula."""

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_cells(content):
    """{"A1": (kind, value)}: kind "text", "number" or "formula"."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    shared = []
    if "xl/sharedStrings.xml" in archive.namelist():
        root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
        shared = ["".join(node.itertext()) for node in root.findall("s:si", NS)]
    sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for cell in sheet.iter(f"{{{NS['s']}}}c"):
        ref = cell.get("r")
        formula = cell.find("s:f", NS)
        value = cell.find("s:v", NS)
        if formula is not None:
            cells[ref] = ("formula", formula.text)
        elif cell.get("t") == "s":
            cells[ref] = ("text", shared[int(value.text)])
        elif cell.get("t") == "inlineStr":
            cells[ref] = ("text", "".join(cell.find("s:is", NS).itertext()))
        elif value is not None:
            cells[ref] = ("number", float(value.text))
    return cells


def rows_of(cells):
    """The cells by row number: {1: {"A": value, ...}}."""
    rows = {}
    for ref, (_kind, value) in cells.items():
        col, row = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
        rows.setdefault(int(row), {})[col] = value
    return rows
