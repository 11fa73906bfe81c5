"""report/xlsx_stream.py: rows streamed by StreamSheet.append_rows give the very file openpyxl writes."""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import numpy as np
import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, NamedStyle, PatternFill

from report import xlsx_stream
from report.xlsx_stream import StreamSheet, stream_sheet

# What giliran writes: text, whole and decimal numbers, dates.
COMMON = ["WFH", "Ani Susanti", "a & b < c > d \"q\" 'q'", "Bekasi – Tambun, 漢字 é", "line\nbreak", "tab\tinside",
          "'=HYPERLINK(\"x\")", "'+Dedi", "#nope", "del\x7f c1\x85 ls\u2028 😀 ]]>", 0, 1, -7, 0.1, 1 / 3, 1e-20,
          dt.date(2023, 9, 4), None]
# And what openpyxl writes in its own ways, which StreamSheet leaves to it.
ODD = [
    " leading", "trailing ", "", "'=HYPERLINK(\"x\")", "=1+1", "#N/A", "#REF!", "#nope", "car\rriage", "x" * 40000,
    0, 1, -7, 2**53 + 1, 10**20, 0.1, 1 / 3, -0.0, 1e-20, 1.5e300, float("nan"), float("inf"), True, False,
    np.int64(12), np.float64(0.25), Decimal("2.50"), dt.date(2023, 9, 4), dt.datetime(2023, 9, 4, 8, 30),
    dt.date(2023, 9, 4), None,
]


def _build(path, streamed: bool, values: list, odd_cells: bool):
    wb = Workbook(write_only=True)
    for name, colour in (("mode", "C6EFCE"), ("pct", None)):
        style = NamedStyle(name, fill=PatternFill("solid", fgColor=colour) if colour else PatternFill(),
                           alignment=Alignment(horizontal="center"))
        if name == "pct":
            style.number_format = "0%"
        wb.add_named_style(style)
    ws = stream_sheet(wb, "Data") if streamed else wb.create_sheet("Data")
    ws.freeze_panes = "B2"
    header = WriteOnlyCell(ws, "head")
    header.comment = Comment("a note", "giliran")
    ws.append([header, "second"])

    def styled(value, name):
        cell = WriteOnlyCell(ws, value)
        cell.style = name
        return cell

    shared = styled("WFO", "mode")
    rows = [values[i:i + 7] for i in range(0, len(values), 7)]
    rows += [[shared, shared, styled(0.5, "pct"), styled(dt.date(2023, 9, 5), "pct"), None, shared]]
    if odd_cells:
        rows += [[styled("=SUM(A1)", "mode"), styled(" x", "mode"), styled(True, "pct"), styled("", "mode")]]
    rows += [[], [None, None], list(range(60))]
    if streamed:
        assert ws.append_rows(iter(rows)) == len(rows)
    else:
        for row in rows:
            ws.append(row)
    ws.append(["after", dt.date(2024, 1, 1)])        # ordinary rows may follow streamed ones
    if streamed:
        ws.append_rows([["again", 3]])
    else:
        ws.append(["again", 3])
    ws.auto_filter.ref = "A1:C9"
    wb.save(path)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}   # creation time


@pytest.mark.parametrize("values, odd_cells", [(COMMON, False), (ODD, True)], ids=["common", "odd"])
def test_stream_sheet_writes_the_same_bytes_as_openpyxl(tmp_path, values, odd_cells):
    """What giliran writes, and formulas, error codes, NaN, spaces, \\r, bools, numpy numbers, Decimals,
    datetimes: every part of the file the same, byte for byte."""
    _build(tmp_path / "stock.xlsx", False, values, odd_cells)
    _build(tmp_path / "stream.xlsx", True, values, odd_cells)
    assert _parts(tmp_path / "stock.xlsx") == _parts(tmp_path / "stream.xlsx")


def test_stream_sheet_reads_back(tmp_path):
    _build(tmp_path / "common.xlsx", True, COMMON, odd_cells=False)
    ws = openpyxl.load_workbook(tmp_path / "common.xlsx")["Data"]
    assert ws["A1"].comment.text == "a note"
    assert ws["A2"].value == "WFH"
    assert ws["A3"].value == "'+Dedi" and ws["A3"].data_type == "s"
    _build(tmp_path / "odd.xlsx", True, ODD, odd_cells=True)
    ws = openpyxl.load_workbook(tmp_path / "odd.xlsx")["Data"]
    assert ws["E2"].data_type == "f"                # "=1+1" as openpyxl writes it: a formula


@pytest.mark.skipif(not xlsx_stream._STREAM, reason="without lxml or openpyxl 3.1, rows are appended the ordinary way")
def test_a_streamed_cell_takes_no_comment(tmp_path):
    wb = Workbook(write_only=True)
    ws = stream_sheet(wb, "Data")
    assert isinstance(ws, StreamSheet)
    cell = WriteOnlyCell(ws, "x")
    cell.comment = Comment("note", "giliran")
    with pytest.raises(ValueError, match="comments"):
        ws.append_rows([[cell]])
