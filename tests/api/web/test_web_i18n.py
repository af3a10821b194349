"""The web client's Chinese error catalogue (api/web/js/i18n.js) against the
domains' error codes: every code the API can put in a userError has Chinese
text, nothing in the catalogue names a code that does not exist, and its
placeholders are fields a userError has."""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from pathlib import Path
from types import ModuleType

import fulfilment.after_sale.errors
import fulfilment.campaigns.errors
import fulfilment.orders.errors
import fulfilment.pickup.errors
import fulfilment.purchasing.errors
import fulfilment.routing.errors
import kernel.errors
import leaders.applications.errors
import leaders.commission.errors
import leaders.points.errors
from api.graphql.errors import UserError

CATALOGUE = Path(__file__).parents[3] / "api" / "web" / "js" / "i18n.js"


def domain_codes(*modules: ModuleType) -> set[str]:
    """The values of every error-code enum the modules define."""
    return {
        member.value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Enum)
        and value.__module__ == module.__name__
        for member in value
    }


def catalogue() -> dict[str, str]:
    """The ZH object's entries: key ("CODE" or "CODE:field") to text."""
    body = CATALOGUE.read_text().split("const ZH = {", 1)[1].split("\n};", 1)[0]
    return dict(re.findall(r'^\s*"?([A-Z_]+(?::\w+)?)"?: "([^"]*)",', body, re.MULTILINE))


def test_every_domain_error_code_has_chinese_text() -> None:
    codes = domain_codes(
        fulfilment.campaigns.errors,
        fulfilment.orders.errors,
        fulfilment.purchasing.errors,
        fulfilment.routing.errors,
        fulfilment.pickup.errors,
        fulfilment.after_sale.errors,
        leaders.applications.errors,
        leaders.commission.errors,
        leaders.points.errors,
        kernel.errors,
    )
    assert {"SOLD_OUT", "INVALID_ISSUE", "INSUFFICIENT_BALANCE", "NOT_FOUND"} <= codes
    entries = catalogue()
    assert sorted(codes - entries.keys()) == []
    assert sorted({key.split(":")[0] for key in entries} - codes) == []
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in entries.values())


def test_placeholders_are_fields_of_a_user_error() -> None:
    fields = {f.name for f in dataclasses.fields(UserError)}
    used = {name for text in catalogue().values() for name in re.findall(r"\{(\w+)\}", text)}
    assert used and used <= fields
