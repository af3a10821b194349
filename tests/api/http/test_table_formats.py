"""The export tables' formats: yuan exact without floats, formula-like text
kept as text, and XLSX money as the exact yuan text in a number cell."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from kernel.money import yuan
from kernel.tables import Rows, Yuan, to_csv, to_xlsx
from tests.support.exports import csv_rows, xlsx_sheet


def test_yuan_is_exact_without_floats():
    assert [yuan(f) for f in (0, 5, 60, 1299, -5, -123456, 10**20 + 1)] == [
        "0.00",
        "0.05",
        "0.60",
        "12.99",
        "-0.05",
        "-1234.56",
        "1000000000000000000.01",
    ]


def test_text_that_looks_like_a_formula_stays_text():
    rows = Rows()
    rows.header(["商品", "数量"])
    rows.add('=HYPERLINK("http://x")', 1)
    rows.add("+86 138", 2)
    rows.add("普通", date(2026, 1, 2))
    assert csv_rows(to_csv(rows)) == [
        ["商品", "数量"],
        ['\'=HYPERLINK("http://x")', "1"],
        ["'+86 138", "2"],
        ["普通", "2026-01-02"],
    ]
    sheet = xlsx_sheet(to_xlsx(rows, "a/b:c"))
    assert sheet.title == "a_b_c"
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"


def test_xlsx_money_is_the_exact_yuan_text_in_a_number_cell():
    rows = Rows()
    rows.header(["金额(元)"])
    for fen in (15588, 5, 123456789012345678):
        rows.add(Yuan(fen))
    body = to_xlsx(rows, "钱")
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    numbers = re.findall(r'<c r="A\d+" s="\d+" t="n"><v>([^<]*)</v>', xml)
    assert numbers == ["155.88", "0.05", "1234567890123456.78"]
    assert xlsx_sheet(body)["A2"].value == 155.88
