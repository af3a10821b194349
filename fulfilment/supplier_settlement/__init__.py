"""Supplier settlement (供应商结算): statements per supplier and period,
disputes, pay batches for the bank and return-to-supplier documents."""
