"""The alliance's figures (GET /api/v1/stats/...), as JSON and as CSV for the secretariat.

Views check who is calling, validate the query, resolve the caller's scope
(`stats.scope`), read one table (`stats.tables`) and serialise it. Metric
definitions live in the output serializers' help texts (`stats.api.serializers`) and in
docs/stats.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts.api.mixins import ActorMixin
from accounts.models import Organization
from common.urls import absolute_url

from .. import csv as stats_csv
from .. import tables
from ..months import stats_zone
from ..scope import (
    Scope,
    group_scope,
    organization_series_scope,
    organization_table_scope,
    require_signed_in,
)
from .serializers import (
    SUMMARY_SIDES,
    DivisionFilterSerializer,
    DivisionRowSerializer,
    DivisionTableSerializer,
    FormatMixin,
    KindRowSerializer,
    KindTableSerializer,
    MonthlyQuerySerializer,
    MonthlyTableSerializer,
    MonthRowSerializer,
    OrganizationMonthlyTableSerializer,
    OrganizationMonthRowSerializer,
    OrganizationRowSerializer,
    OrganizationTableQuerySerializer,
    OrganizationTableSerializer,
    SummaryCsvRowSerializer,
    SummarySerializer,
)

CSV = "text/csv"
PROBLEM = "application/problem+json"


class FormatParameterNegotiation(DefaultContentNegotiation):
    """`?format=csv|json` picks the renderer on these views only: project-wide, `format` is a
    dataset filter (URL_FORMAT_OVERRIDE is off)."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        wanted = format_suffix or request.query_params.get("format")
        if not wanted:
            return super().select_renderer(request, renderers)  # type: ignore[no-any-return]
        for renderer in renderers:
            # Named in the URL, the format wins over Accept (a script's `Accept:
            # application/json` and a link to the CSV both get what they name).
            if renderer.format == wanted:
                return renderer, renderer.media_type
        raise NotAcceptable(
            _("Available formats: %(formats)s.")
            % {"formats": ", ".join(r.format for r in renderers)}
        )


class StatsView(ActorMixin):
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    content_negotiation_class = FormatParameterNegotiation

    def query(self, serializer_class: type[Serializer[Any]]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def wants_csv(self) -> bool:
        return isinstance(self.request.accepted_renderer, stats_csv.CsvRenderer)

    def alliance(self) -> dict[str, Any]:
        return tables.alliance_totals()

    def table_body(self, table: tables.Table) -> dict[str, Any]:
        return {
            "generated_at": table.generated_at,
            "time_zone": str(stats_zone()),
            "scope": table.scope,
            "alliance": self.alliance(),
        }


class CsvStatsView(StatsView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, stats_csv.CsvRenderer]
    csv_name = "stats"

    def csv_response(
        self,
        row_serializer: type[Serializer[Any]],
        rows: list[dict[str, Any]],
        *,
        total: dict[str, Any] | None = None,
        name_parts: tuple[str, ...] = (),
    ) -> Response:
        data = [*rows, total] if total is not None else rows
        stamp = timezone.localtime(timezone.now(), stats_zone()).strftime("%Y-%m-%d")
        filename = "-".join(("max", self.csv_name, *name_parts, stamp)) + ".csv"
        return Response(
            stats_csv.table(row_serializer(), data),  # the rows hold JSON values already
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _total_label() -> str:
    return _("Alliance total")


# --- OpenAPI ----------------------------------------------------------------------------------

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}  # added by common.openapi
PROBLEMS = {
    400: OpenApiResponse(
        PROBLEM_REF, description="Invalid query parameter (field errors in `errors`)."
    ),
    401: OpenApiResponse(PROBLEM_REF, description="Not authenticated."),
    403: OpenApiResponse(
        PROBLEM_REF, description="Signed in, but these figures are outside your scope."
    ),
    406: OpenApiResponse(
        PROBLEM_REF, description="Unknown `format`, or an `Accept` we cannot serve."
    ),
}
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="The table, as JSON or as CSV.")
CSV_RULES = (
    " CSV (`?format=csv` or `Accept: text/csv`): the whole table, UTF-8 with a byte-order mark, "
    "a header row of the fields' labels (nested ones as `As publisher: Datasets published`), a "
    "last row of alliance totals (not in monthly series), `Content-Disposition: attachment`; "
    "cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return get a leading `'`."
)
SCOPE_RULES = (
    "Scope: the secretariat reads every figure; a division lead reads the figures over the "
    "datasets of the divisions they lead; members of an organisation read their own "
    "organisation's figures. Every signed-in caller reads the alliance-wide totals. Figures "
    "are computed by SQL aggregation and cached for a few minutes per scope (`generated_at`)."
)


def _responses(serializer: type[Serializer[Any]], csv: bool = True) -> dict[Any, Any]:
    responses: dict[Any, Any] = {(200, "application/json"): serializer}
    if csv:
        responses[(200, CSV)] = CSV_RESPONSE
    for status_code, response in PROBLEMS.items():
        responses[(status_code, PROBLEM)] = response
    return responses


# --- views ------------------------------------------------------------------------------------


SUMMARY_CSV_RULES = (
    " CSV (`?format=csv` or `Accept: text/csv`): one flat table, UTF-8 with a byte-order mark, "
    "`Content-Disposition: attachment`, cells neutralised as in the other tables. Columns: "
    "`Scope` (`alliance`, `division` or `organization`), `Code` (division code or organisation "
    "slug), `Name (Korean)`, `Name (English)`, `Kind` (organisations), `Side` (`publisher` or "
    "`consumer`, organisations), `Publishes and consumes` (organisations), then every figure "
    "under its label, as on `/stats/divisions/`. Rows: the alliance, each division you lead, "
    "then each of your organisations twice, as publisher and as consumer; a figure that does "
    "not apply to a row is an empty cell."
)


def summary_csv_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's rows in the flat layout of `SummaryCsvRowSerializer`."""
    rows: list[dict[str, Any]] = [
        {"scope": "alliance", "figures": body["alliance"]["figures"]},
    ]
    for row in body["divisions"]:
        division = row["division"]
        rows.append(
            {
                "scope": "division",
                "code": division["code"],
                "name_ko": division["name_ko"],
                "name_en": division["name_en"],
                "figures": row["figures"],
            }
        )
    for row in body["organizations"]:
        organization = row["organization"]
        for side in SUMMARY_SIDES:
            rows.append(
                {
                    "scope": "organization",
                    "code": organization["slug"],
                    "name_ko": organization["name_ko"],
                    "name_en": organization["name_en"],
                    "kind": organization["kind"],
                    "side": side,
                    "publishes_and_consumes": row["publishes_and_consumes"],
                    "figures": row[f"as_{side}"],
                }
            )
    return rows


@extend_schema(tags=["stats"])
class StatsSummaryView(CsvStatsView):
    csv_name = "summary"

    @extend_schema(
        summary="The alliance's figures and yours",
        description=(
            "Alliance-wide totals for every signed-in caller, plus the figures of the divisions "
            "you lead and of your own organisations (complete, as publisher and as consumer). "
            + SCOPE_RULES
            + SUMMARY_CSV_RULES
        ),
        parameters=[FormatMixin],
        responses=_responses(SummarySerializer),
    )
    def get(self, request: Request) -> Response:
        actor = self.actor
        require_signed_in(actor)
        divisions: list[dict[str, Any]] = []
        organizations: list[dict[str, Any]] = []
        if actor.lead_division_ids:
            divisions = tables.division_table(Scope(division_ids=actor.lead_division_ids)).rows
        if actor.organization_ids:
            organizations = tables.organization_table(
                Scope(organization_ids=actor.organization_ids)
            ).rows
        body = {
            "time_zone": str(stats_zone()),
            "alliance": self.alliance(),
            "divisions": divisions,
            "organizations": organizations,
        }
        if self.wants_csv():
            return self.csv_response(SummaryCsvRowSerializer, summary_csv_rows(body))
        return Response(SummarySerializer(body).data)


@extend_schema(tags=["stats"])
class DivisionStatsView(CsvStatsView):
    csv_name = "divisions"

    @extend_schema(
        summary="Figures by division",
        description=(
            "One row per division: the datasets of that division and the requests, grants "
            "and downloads for them. The secretariat sees all ten; a division lead the "
            "divisions they lead; members get 403. " + SCOPE_RULES + CSV_RULES
        ),
        parameters=[DivisionFilterSerializer],
        responses=_responses(DivisionTableSerializer),
    )
    def get(self, request: Request) -> Response:
        group_scope(self.actor)  # 403 before looking at the query
        query = self.query(DivisionFilterSerializer)
        scope = group_scope(self.actor, query.get("division"))
        table = tables.division_table(scope)
        if self.wants_csv():
            total = {
                "division": {"code": _total_label(), "name_ko": "", "name_en": ""},
                "figures": self.alliance()["figures"],
            }
            return self.csv_response(
                DivisionRowSerializer,
                table.rows,
                total=total,
                name_parts=tuple(table.scope["divisions"] or ()),
            )
        return Response(
            DivisionTableSerializer({**self.table_body(table), "results": table.rows}).data
        )


@extend_schema(tags=["stats"])
class OrganizationKindStatsView(CsvStatsView):
    csv_name = "organization-kinds"

    @extend_schema(
        summary="Figures by organisation kind",
        description=(
            "One row per organisation kind (manufacturer, AI company...): as publisher, the "
            "datasets its organisations publish and the requests for them; as consumer, the "
            "requests its organisations made. Secretariat: over every dataset; division "
            "leads: over their divisions' datasets; members get 403. " + SCOPE_RULES + CSV_RULES
        ),
        parameters=[DivisionFilterSerializer],
        responses=_responses(KindTableSerializer),
    )
    def get(self, request: Request) -> Response:
        group_scope(self.actor)
        query = self.query(DivisionFilterSerializer)
        scope = group_scope(self.actor, query.get("division"))
        table = tables.kind_table(scope)
        if self.wants_csv():
            alliance = self.alliance()["figures"]
            total = {
                "kind": "",
                "label": _total_label(),
                "organizations": alliance["organizations"],
                # Every request has a publisher and a requester: both sides add up alike.
                "as_publisher": alliance,
                "as_consumer": alliance,
                "organizations_publishing_and_consuming": alliance[
                    "organizations_publishing_and_consuming"
                ],
            }
            return self.csv_response(
                KindRowSerializer,
                table.rows,
                total=total,
                name_parts=tuple(table.scope["divisions"] or ()),
            )
        return Response(KindTableSerializer({**self.table_body(table), "results": table.rows}).data)


@extend_schema(tags=["stats"])
class OrganizationStatsView(CsvStatsView):
    csv_name = "organizations"

    @extend_schema(
        summary="Figures by organisation",
        description=(
            "One row per organisation, by slug, as publisher (its datasets and the requests, "
            "grants and downloads for them) and as consumer (the requests it made, the grants "
            "it holds, its downloads). The secretariat sees every member organisation; a "
            "division lead the members of their divisions and anyone active on their "
            "datasets, figures counted over those datasets only; a member only their own "
            "organisations. JSON is paged (`page`, `page_size` up to 500); CSV holds the whole "
            "table. " + SCOPE_RULES + CSV_RULES
        ),
        parameters=[OrganizationTableQuerySerializer],
        responses=_responses(OrganizationTableSerializer),
    )
    def get(self, request: Request) -> Response:
        organization_table_scope(self.actor)
        query = self.query(OrganizationTableQuerySerializer)
        scope = organization_table_scope(self.actor, query.get("division"))
        table = tables.organization_table(scope)
        if self.wants_csv():
            alliance = self.alliance()["figures"]
            total = {
                "organization": {"slug": _total_label(), "name_ko": "", "name_en": "", "kind": ""},
                "as_publisher": alliance,
                "as_consumer": alliance,
                "publishes_and_consumes": None,  # not a property of the alliance
            }
            return self.csv_response(
                OrganizationRowSerializer,
                table.rows,
                total=total,
                name_parts=tuple(table.scope["divisions"] or ()),
            )
        page, size = query["page"], query["page_size"]
        rows = table.rows[(page - 1) * size : page * size]
        url = absolute_url(request.get_full_path(), request)
        has_next = page * size < len(table.rows)
        body = {
            **self.table_body(table),
            "count": len(table.rows),
            "page": page,
            "page_size": size,
            "next": replace_query_param(url, "page", page + 1) if has_next else None,
            "previous": (
                None
                if page == 1
                else remove_query_param(url, "page")
                if page == 2
                else replace_query_param(url, "page", page - 1)
            ),
            "results": rows,
        }
        return Response(OrganizationTableSerializer(body).data)


MONTHLY_RULES = (
    "Months are calendar months in Asia/Seoul. `from` and `to` are YYYY-MM, both included, at "
    "most 60 months apart and not after the current month; by default the last 12 months. "
    "Requests count in the month they were made, decisions in the month they were taken, "
    "grants as in force at the end of each month (the current month: now). "
)


@extend_schema(tags=["stats"])
class MonthlyStatsView(CsvStatsView):
    csv_name = "monthly"

    @extend_schema(
        summary="Figures by month",
        description=(
            "One row per month, zeros included. Secretariat: the whole alliance, or one "
            "`division`; division leads: their divisions, or one of them; members get 403 (their "
            "organisation's months are at /stats/organizations/{slug}/monthly/). "
            + MONTHLY_RULES
            + SCOPE_RULES
            + CSV_RULES
        ),
        parameters=[MonthlyQuerySerializer],
        responses=_responses(MonthlyTableSerializer),
    )
    def get(self, request: Request) -> Response:
        group_scope(self.actor)
        query = self.query(MonthlyQuerySerializer)
        scope = group_scope(self.actor, query.get("division"))
        months = query["months"]
        table = tables.monthly_table(scope, months)
        if self.wants_csv():
            return self.csv_response(
                MonthRowSerializer,
                table.rows,
                name_parts=(*(table.scope["divisions"] or ()), str(months.first), str(months.last)),
            )
        body = {
            **self.table_body(table),
            "from": str(months.first),
            "to": str(months.last),
            "results": table.rows,
        }
        return Response(MonthlyTableSerializer(body).data)


@extend_schema(tags=["stats"])
class OrganizationMonthlyStatsView(CsvStatsView):
    csv_name = "organization-monthly"

    @extend_schema(
        summary="One organisation's figures by month",
        description=(
            "One row per month: the organisation as publisher and as consumer. Its own members "
            "and the secretariat read all of it; a division lead reads it over the datasets of "
            "their divisions; anyone else gets 403; an unknown organisation is 404. "
            + MONTHLY_RULES
            + SCOPE_RULES
            + CSV_RULES
        ),
        parameters=[
            OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH),
            MonthlyQuerySerializer,
        ],
        responses={
            **_responses(OrganizationMonthlyTableSerializer),
            (404, PROBLEM): OpenApiResponse(PROBLEM_REF, description="No such organisation."),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise Http404
        organization_series_scope(self.actor, organization)
        query = self.query(MonthlyQuerySerializer)
        scope = organization_series_scope(self.actor, organization, query.get("division"))
        months = query["months"]
        table = tables.organization_monthly_table(scope, months)
        if self.wants_csv():
            return self.csv_response(
                OrganizationMonthRowSerializer,
                table.rows,
                name_parts=(organization.slug, str(months.first), str(months.last)),
            )
        body = {
            **self.table_body(table),
            "organization": {
                "slug": organization.slug,
                "name_ko": organization.name_ko,
                "name_en": organization.name_en,
                "kind": organization.kind,
            },
            "from": str(months.first),
            "to": str(months.last),
            "results": table.rows,
        }
        return Response(OrganizationMonthlyTableSerializer(body).data)
