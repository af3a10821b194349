"""The web client's Chinese error catalogue (api/web/js/i18n.js) against the
domains' error codes: every code the API can put in a userError has Chinese
text, nothing in the catalogue names a code that does not exist, and its
placeholders are fields a userError has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from api.graphql.errors import DOMAIN_CODES, UserError

CATALOGUE = Path(__file__).parents[3] / "api" / "web" / "js" / "i18n.js"


def domain_codes() -> set[str]:
    """Every code of the enums the API composes into UserErrorCode."""
    return {member.value for codes in DOMAIN_CODES for member in codes}


def catalogue() -> dict[str, str]:
    """The ZH object's entries: key ("CODE" or "CODE:field") to text."""
    body = CATALOGUE.read_text().split("const ZH = {", 1)[1].split("\n};", 1)[0]
    return dict(re.findall(r'^\s*"?([A-Z_]+(?::\w+)?)"?: "([^"]*)",', body, re.MULTILINE))


def test_every_domain_error_code_has_chinese_text() -> None:
    codes = domain_codes()
    assert {"SOLD_OUT", "INVALID_ISSUE", "INSUFFICIENT_BALANCE", "NOT_FOUND"} <= codes
    entries = catalogue()
    assert sorted(codes - entries.keys()) == []
    assert sorted({key.split(":")[0] for key in entries} - codes) == []
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in entries.values())


def test_placeholders_are_fields_of_a_user_error() -> None:
    fields = {f.name for f in dataclasses.fields(UserError)}
    used = {name for text in catalogue().values() for name in re.findall(r"\{(\w+)\}", text)}
    assert used and used <= fields
