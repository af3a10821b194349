"""The leader's share-link QR code (PickupPoint.shareQrSvg): drawn for whoever
may see the share code, for the origin the web client gives, and nothing for
anyone else; an origin that is not an http(s) address is refused."""

from __future__ import annotations

from api.graphql.ids import encode
from api.qr import qr_svg
from kernel.accounts import Role
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.support.factories import open_shop

QR = """query($code: String!, $base: String!) { pickupPointByShareCode(code: $code) {
  shareCode shareQrSvg(baseUrl: $base) } }"""


NODE_QR = """query($id: ID!, $base: String!) { node(id: $id) { ... on PickupPoint {
  shareCode shareQrSvg(baseUrl: $base) } } }"""


async def test_the_leader_and_operators_get_the_share_links_qr_code(
    db: TestDB, gql: GraphQLClient
) -> None:
    shop = await open_shop(db)
    code = await db.scalar(
        "SELECT share_code FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
    )
    point = encode("PickupPoint", shop.pickup_point_id)
    link = f"https://tuangou.example/app/?share={code}"
    for token in (shop.leader_token, shop.operator_token):
        body = await gql(NODE_QR, {"id": point, "base": "https://tuangou.example/"}, token=token)
        svg = body["data"]["node"]["shareQrSvg"]
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="')
        # The symbol of the link itself: origin without its slash, then /app/.
        assert svg == qr_svg(link)

    _, customer = await db.user(Role.CUSTOMER)
    seen = await gql(QR, {"code": code, "base": "https://tuangou.example"}, token=customer)
    assert seen["data"]["pickupPointByShareCode"] == {"shareCode": None, "shareQrSvg": None}

    bad = await gql(NODE_QR, {"id": point, "base": "javascript:alert(1)"}, token=shop.leader_token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
