"""The night's purchasing: cutoff (截单), consolidation into purchase orders
(采购单), suppliers' confirmations, receiving (收货) and shortage allocation
(缺货).
"""
