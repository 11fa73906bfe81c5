"""Many rows into an openpyxl write-only sheet without a cell object per value.

openpyxl spends about 10 µs on each cell it writes (a cell object, type checks, a
style lookup, three nested XML elements); the bundled instance's workbook has
some 270,000 cells. :class:`StreamSheet` writes a row's common cells (text,
whole and decimal numbers, styled or not) as the very bytes openpyxl writes for
them, lets openpyxl itself render everything else (dates, formulas, error
codes, …) once per distinct value, and puts the rows into the sheet's own file
between openpyxl's elements. The file is the same as openpyxl's, byte for byte
(``tests/report/test_xlsx_stream.py``); only the time differs.

This leans on openpyxl 3.1's write-only internals (``WriteOnlyWorksheet._write_rows``,
``WorksheetWriter.get_stream``, ``openpyxl.cell._writer.write_cell``); the test
above fails if a later version changes what they write. Without lxml
(``OPENPYXL_LXML=False``) rows are appended the ordinary way.
"""
from __future__ import annotations

import io
import math
import re
from typing import Any, Iterable, Sequence

import openpyxl
from openpyxl import LXML
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

# Text openpyxl writes as a plain inline string: nothing it would turn into a formula or an
# error code, refuse (control characters), or write differently (surrounding spaces, \r, very long).
_NOT_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]")
_MAX_TEXT = 32767
# The private internals used here are those of openpyxl 3.1 (checked byte for byte by the test);
# another openpyxl writes its rows the ordinary, slower way.
_STREAM = LXML and openpyxl.__version__.startswith("3.1.")
_CHUNK_ROWS = 1000   # rows joined and written at once


def _plain_text(value: str) -> bool:
    return (value != "" and value[0] != "=" and value not in ERROR_CODES and len(value) <= _MAX_TEXT
            and value == value.strip() and not _NOT_PLAIN.search(value))


def _plain_number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _escape(text: str) -> str:
    # As libxml2 writes text: & < > escaped, the rest ASCII or a character reference (see _encode).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _encode(xml: str) -> bytes:
    return xml.encode("ascii", "xmlcharrefreplace")


class _RawWriter(WorksheetWriter):
    """openpyxl's sheet writer on a file handle, so that rows written as bytes can go between its elements."""

    def get_stream(self):
        # WorksheetWriter.get_stream, on an open file instead of a file name.
        with open(self.out, "wb") as self.fh, xmlfile(self.fh) as xf:
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = (yield)
                        if el is True:
                            yield xf
                        elif el is None:
                            continue
                        else:
                            xf.write(el)
                except GeneratorExit:
                    pass

    def write_raw(self, xf, data: bytes) -> None:
        xf.flush()   # what lxml still buffers goes first
        self.fh.write(data)


class StreamSheet(WriteOnlyWorksheet):
    """A write-only worksheet with :meth:`append_rows` for the bulk of its rows.

    ``append`` works as in openpyxl (use it for rows with comments or hyperlinks); both
    may be mixed, the rows follow one another.
    """

    def __init__(self, parent, title=None):
        super().__init__(parent, title)
        self._tails: dict = {}   # a value's or a styled cell's XML after the coordinate, by type, value (and style)
        self._letters: list[str] = []

    def append_rows(self, rows: Iterable[Sequence]) -> int:
        """Append rows of values and styled cells (``WriteOnlyCell``) as ``append`` would; returns how many.

        ``None`` leaves a cell empty. A cell must carry no comment or hyperlink.
        """
        if not _STREAM:
            n = 0
            for row in rows:
                self.append(row)
                n += 1
            return n
        if self.row_dimensions:
            raise ValueError("append_rows writes no row dimensions; append those rows")
        self._get_writer()
        if self._rows is None:
            self._rows = self._write_rows()
            next(self._rows)
        batch = _Rows(rows)
        self._rows.send(batch)
        return batch.count

    def _get_writer(self):
        if self._writer is None:
            self._writer = _RawWriter(self) if _STREAM else WorksheetWriter(self)
            self._writer.write_top()

    def _write_rows(self):
        # WriteOnlyWorksheet._write_rows, which also takes a _Rows batch.
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = (yield)
                    if isinstance(row, _Rows):
                        row_idx = self._write_batch(xf, row, row_idx)
                    else:
                        self._writer.write_row(xf, self._values_to_row(row, row_idx), row_idx)
                        row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)

    def _write_batch(self, xf, batch: _Rows, row_idx: int) -> int:
        chunk: list[str] = []
        for row in batch.rows:
            chunk.append(self._row_xml(row, row_idx))
            row_idx += 1
            batch.count += 1
            if len(chunk) == _CHUNK_ROWS:
                self._writer.write_raw(xf, _encode("".join(chunk)))
                chunk = []
        if chunk:
            self._writer.write_raw(xf, _encode("".join(chunk)))
        return row_idx

    def _row_xml(self, values: Sequence, row_idx: int) -> str:
        letters = self._letters
        if len(values) > len(letters):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        r = str(row_idx)
        out = [f'<row r="{r}">']
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is str and _plain_text(value):
                tail = f' t="inlineStr"><is><t>{_escape(value)}</t></is></c>'
            elif _plain_number(value):
                tail = f' t="n"><v>{value:.16g}</v></c>'
            elif isinstance(value, Cell):
                tail = self._cell_tail(value, col + 1, row_idx)
            else:
                tail = self._value_tail(value)
            out.append(f'<c r="{letters[col]}{r}"{tail}')
        out.append("</row>")
        return "".join(out)

    def _cell_tail(self, cell: Cell, column: int, row_idx: int) -> str:
        if cell._comment is not None or cell._hyperlink is not None:
            raise ValueError("append_rows takes no comments or hyperlinks; append that row")
        value = cell._value
        key = (Cell, type(value), value, cell.data_type, cell._style.tobytes() if cell._style else b"")
        try:
            return self._tails[key]
        except KeyError:
            pass
        except TypeError:   # unhashable value
            key = None
        style = f' s="{cell.style_id}"' if cell.has_style else ""
        if cell.data_type == "s" and type(value) is str and _plain_text(value):
            tail = f'{style} t="inlineStr"><is><t>{_escape(value)}</t></is></c>'
        elif cell.data_type == "n" and _plain_number(value):
            tail = f'{style} t="n"><v>{value:.16g}</v></c>'
        else:
            cell.column, cell.row = column, row_idx
            tail = self._openpyxl_tail(cell)
        if key is not None:
            self._tails[key] = tail
        return tail

    def _value_tail(self, value) -> str:
        try:
            key = (type(value), value)
            tail = self._tails.get(key)
        except TypeError:   # unhashable: render each time
            key, tail = None, None
        if tail is None:
            tail = self._openpyxl_tail(WriteOnlyCell(self, value))
            if key is not None:
                self._tails[key] = tail
        return tail

    def _openpyxl_tail(self, cell: Cell) -> str:
        """openpyxl's XML for ``cell``, after its coordinate (``<c r="B7"`` is left off)."""
        buf = io.BytesIO()
        with xmlfile(buf) as xf:
            write_cell(xf, self, cell, cell.has_style)
        text = buf.getvalue().decode("ascii")
        head = f'<c r="{cell.coordinate}"'
        if not text.startswith(head):
            raise RuntimeError(f"unexpected cell XML from openpyxl: {text[:80]!r}")
        return text[len(head):]


class _Rows:
    """A batch of rows sent through the sheet's row stream; counts the rows written."""

    def __init__(self, rows: Iterable[Sequence]):
        self.rows = rows
        self.count = 0


def stream_sheet(wb, title: str) -> StreamSheet:
    """A new :class:`StreamSheet` at the end of the write-only workbook ``wb``."""
    ws = StreamSheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws
