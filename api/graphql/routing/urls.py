"""The download links of a route plan, its routes, and a central warehouse's day."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.downloads import (
    network_map_path,
    route_loading_path,
    route_map_path,
    route_sheet_path,
)


@strawberry.type(description="Relative URLs of a route's sheet; GET them with the same token.")
class RouteSheetUrls:
    csv: str
    pdf: str = strawberry.field(description="A4, for printing: the driver's stops.")
    loading_pdf: str = strawberry.field(
        description="A4: the loader's detail, each stop's goods by storage zone."
    )

    @classmethod
    def of(cls, plan_id: int, number: int) -> RouteSheetUrls:
        return cls(
            csv=route_sheet_path(plan_id, number, "csv"),
            pdf=route_sheet_path(plan_id, number, "pdf"),
            loading_pdf=route_loading_path(plan_id, number),
        )


@strawberry.type(description="Relative URLs of a plan's picture; GET it with the same token.")
class RoutePlanUrls:
    map_svg: str = strawberry.field(description="The routes drawn over the pickup points.")

    @classmethod
    def of(cls, plan_id: int) -> RoutePlanUrls:
        return cls(map_svg=route_map_path(plan_id))


@strawberry.type(
    description="Relative URLs of a central warehouse's day; GET them with the same token."
)
class NetworkDownloadUrls:
    map_svg: str = strawberry.field(
        description="Both tiers in one picture: the trunk routes (dashed, heavier) and every "
        "grid's van routes (its published plan, else its latest draft), with a legend."
    )

    @classmethod
    def of(cls, central_id: int, day: date) -> NetworkDownloadUrls:
        return cls(map_svg=network_map_path(central_id, day))
