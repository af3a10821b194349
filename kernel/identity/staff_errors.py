"""Why an operator's change to a staff account was refused."""

from __future__ import annotations

from enum import Enum


class StaffErrorCode(Enum):
    # (A phone another account signs in with is IdentityErrorCode.PHONE_TAKEN.)
    # Operators may not disable themselves or change their own role: the
    # last operator could otherwise lock everyone out.
    SELF_CHANGE = "SELF_CHANGE"
    # Customers and leaders are not staff: their role follows from what they
    # do (a leader is a customer with a leader record), not from a setting.
    NOT_STAFF_ROLE = "NOT_STAFF_ROLE"
    # A supplier account acts for one supplier, named when it is created.
    SUPPLIER_REQUIRED = "SUPPLIER_REQUIRED"
