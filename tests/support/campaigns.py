"""A campaign item's fields and input, and the open campaign a pickup point
sees, for the campaign tests."""

from __future__ import annotations

from typing import Any

from tests.support.commerce import gid

ITEM_FIELDS = """
  id groupPriceFen listPriceFen cap perCustomerLimit groupThreshold reserved remaining soldOut
  product { id name }
"""


OPEN_CAMPAIGN = f"""
query($p: ID!) {{
  openCampaign(pickupPointId: $p) {{
    id status deliveryDate
    items {{ {ITEM_FIELDS} }}
  }}
}}
"""


def item(product_id: int, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "productId": gid("Product", product_id),
        "groupPriceFen": 990,
        "listPriceFen": 1290,
    }
    out.update(changes)
    return out
