"""Where a plan's documents download from (see api.exports)."""

from __future__ import annotations

import strawberry

from api.exports import route_map_path, route_sheet_path


@strawberry.type(description="Relative URLs of a route's sheet; GET them with the same token.")
class RouteSheetUrls:
    csv: str
    pdf: str = strawberry.field(description="A4, for printing.")

    @classmethod
    def of(cls, plan_id: int, number: int) -> RouteSheetUrls:
        return cls(
            csv=route_sheet_path(plan_id, number, "csv"),
            pdf=route_sheet_path(plan_id, number, "pdf"),
        )


@strawberry.type(description="Relative URLs of a plan's picture; GET it with the same token.")
class RoutePlanUrls:
    map_svg: str = strawberry.field(description="The routes drawn over the pickup points.")

    @classmethod
    def of(cls, plan_id: int) -> RoutePlanUrls:
        return cls(map_svg=route_map_path(plan_id))
