"""Downloads over HTTP for the export tests: a GET with a bearer token, the
CSV rows and the XLSX sheet of a body, and suppliers' accounts."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from fulfilment.campaigns import catalog
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def get(gql: Any, url: str, token: str | None) -> Any:
    return await gql.http.get(url, headers=auth(token))


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def xlsx_sheet(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body)).active


async def supplier_user(db: Any, supplier_id: int) -> str:
    async with unit_of_work(db.sessions) as session:
        _, token = await catalog.create_supplier_user(
            session, supplier_id=supplier_id, name="供应商账号", secret=TOKEN_SECRET
        )
    return token


async def other_supplier(db: Any) -> str:
    async with unit_of_work(db.sessions) as session:
        supplier = await catalog.create_supplier(
            session, name="别家供应商", contact_name="老张", contact_phone="13600136000"
        )
    return await supplier_user(db, supplier.id)
