"""One picture of a central's day with both tiers: the trunk routes dashed
and heavier, to the grid warehouses, and every grid's van routes (its plan
in force) solid under them, with a legend; a dispatcher downloads it from
the URL the API gives; a grid's id, or a grid operator, gets a 404."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.fulfilment.network.test_trunk_delay import at, grid_day, trunk_plan
from tests.support.exports import get
from tests.support.network import grid_operator

SVG = "{http://www.w3.org/2000/svg}"
URLS = """
query($c: ID!, $d: Date!) { networkDownloadUrls(centralId: $c, deliveryDate: $d) { mapSvg } }
"""


async def test_the_network_map_draws_the_trunk_dashed_over_the_grids_vans(db, gql):
    day, grid, _ = await grid_day(db)  # the grid's draft: two van routes
    d, central = day.shop.delivery_date, day.shop.warehouse_id
    await trunk_plan(db, central, grid, d, at(db, d, 5.5))
    _, dispatcher = await db.user(Role.DISPATCHER, "调度")
    variables = {"c": encode("Warehouse", central), "d": d.isoformat()}
    body = await gql(URLS, variables, token=dispatcher)
    url = body["data"]["networkDownloadUrls"]["mapSvg"]

    response = await get(gql, url, dispatcher)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.content)
    [trunk] = svg.findall(f".//{SVG}g[@id='trunk']/{SVG}polyline[@class='trunk']")
    assert trunk.get("stroke-dasharray") is None  # the group's style: dashed, heavier
    group = svg.find(f".//{SVG}g[@id='trunk']")
    assert group is not None
    assert (group.get("stroke-dasharray"), group.get("stroke-width")) == ("12 6", "4")
    vans = svg.findall(f".//{SVG}polyline[@class='route']")
    assert sorted(v.get("data-route", "") for v in vans) == ["1", "2"]
    assert {v.get("data-tier") for v in vans} == {"1"}  # the grid's, not the central's own
    # The trunk runs central → grid → central; the vans leave from the grid.
    grid_at = trunk.get("points", "").split()[1]
    assert all(v.get("points", "").split()[0] == grid_at for v in vans)
    assert len(svg.findall(f".//{SVG}path[@class='grid']")) == 2  # the map's and the legend's
    legend = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Trunk (draft): 1 routes, 1 stops, 40.0 km" in legend
    assert "G1 (draft): 2 routes, 3 stops, 25.0 km" in legend
    assert "Central (no plan): 0 routes, 0 stops, 0.0 km" in legend

    # A grid's id is no central's; a grid operator reads no network map.
    grid_url = url.replace(encode("Warehouse", central), encode("Warehouse", grid))
    assert (await get(gql, grid_url, dispatcher)).status_code == 404
    assert (await get(gql, url, await grid_operator(db, grid))).status_code == 404
