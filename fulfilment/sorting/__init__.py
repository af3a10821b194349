"""Sorting (分拣): what each pickup point gets, pick lists, totes and the warehouse's totals."""
