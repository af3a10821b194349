"""Where each supplier is paid (收款账户): the payee's name, the bank and
the account number the bank file names. An operator sets it; setting it
again replaces it (the audit log keeps what it was)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Supplier
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.models import SupplierBankAccount
from kernel.accounts import User
from kernel.errors import DomainError, NotFound
from kernel.validation import clean_text

# Mainland bank cards and corporate accounts: digits only, 8 to 34 of them
# once the spaces and dashes people type are taken out.
_ACCOUNT = re.compile(r"^\d{8,34}$")


async def set_bank_account(
    session: AsyncSession,
    supplier_id: int,
    *,
    account_name: str,
    bank_name: str,
    account_number: str,
    by: User,
    now: datetime,
) -> SupplierBankAccount:
    """Set (or replace) the supplier's account."""
    name = clean_text(account_name, ["accountName"], max_len=100)
    bank = clean_text(bank_name, ["bankName"], max_len=100)
    number = re.sub(r"[\s-]", "", account_number)
    if not _ACCOUNT.match(number):
        raise DomainError(
            Code.INVALID_BANK_ACCOUNT, "An account number is 8 to 34 digits.", ["accountNumber"]
        )
    if await session.get(Supplier, supplier_id) is None:
        raise NotFound("Supplier", ["supplierId"])
    account = await session.get(SupplierBankAccount, supplier_id)
    if account is None:
        account = SupplierBankAccount(supplier_id=supplier_id)
        session.add(account)
    account.account_name = name
    account.bank_name = bank
    account.account_number = number
    account.updated_by_id = by.id
    account.updated_at = now
    await session.flush()
    return account
