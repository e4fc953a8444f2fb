"""The alliance's figures as charts, for the secretariat and division leads: the stats API's
own tables (`stats.tables`) over the reader's scope (`stats.scope`), each chart with its CSV
(the API's export) and its numbers in a table for readers without script or sight."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Division
from registry.models import SharingRequestState
from stats import tables
from stats.api.serializers import MonthlyQuerySerializer
from stats.months import MonthRange
from stats.scope import group_scope

from .base import console_page, page_actor


class FiguresForm(forms.Form):
    """The query of `/api/v1/stats/monthly/` (and `division` of `/stats/divisions/`)."""

    division = forms.ChoiceField(label=gettext_lazy("Division"), required=False)
    from_ = forms.CharField(
        label=gettext_lazy("From (month)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    to = forms.CharField(
        label=gettext_lazy("To (month, included)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    def __init__(self, *args: Any, divisions: list[Division], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword: the form field is `from_`, the parameter `from`.
        self.fields["from"] = self.fields.pop("from_")
        self.order_fields(["division", "from", "to"])
        english = get_language() == "en"
        division = self.fields["division"]
        assert isinstance(division, forms.ChoiceField)
        division.choices = [("", _("All I may see"))] + [
            (d.code, d.name_en if english else d.name_ko) for d in divisions
        ]


def _name(item: dict[str, Any]) -> str:
    english = get_language() == "en"
    return str(item["name_en"] if english and item.get("name_en") else item["name_ko"])


def _chart(
    name: str,
    title: str,
    kind: str,
    labels: list[str],
    series: list[tuple[str, list[Any]]],
    csv_url: str,
    *,
    label_column: str,
    stacked: bool = False,
    unit: str = "",
) -> dict[str, Any]:
    """One chart: what figures.js draws (`data`) and what the fallback table lists (`rows`)."""
    return {
        "id": f"chart-{name}",
        "data_id": f"chart-{name}-data",
        "label_column": label_column,
        "title": title,
        "csv_url": csv_url,
        "unit": unit,
        "columns": [label for label, _values in series],
        "rows": [
            (label, [values[i] for _name, values in series]) for i, label in enumerate(labels)
        ],
        "data": {
            "type": kind,
            "stacked": stacked,
            "labels": labels,
            "series": [{"label": label, "values": values} for label, values in series],
        },
    }


def _csv(name: str, **params: str) -> str:
    query = {"format": "csv", **{k: v for k, v in params.items() if v}}
    return reverse(name) + "?" + urlencode(query)


def figures_charts(
    divisions_table: tables.Table, monthly: tables.Table, months: MonthRange, division: str
) -> list[dict[str, Any]]:
    division_rows = divisions_table.rows
    month_rows = monthly.rows
    month_labels = [row["month"] for row in month_rows]
    divisions_csv = _csv("stats-divisions", division=division)
    monthly_csv = _csv(
        "stats-monthly", division=division, **{"from": str(months.first), "to": str(months.last)}
    )
    states = [
        (
            str(state.label),
            [row["figures"]["sharing_requests_by_state"][state] for row in month_rows],
        )
        for state in SharingRequestState
    ]

    def monthly_figure(key: str) -> list[Any]:
        return [row["figures"][key] for row in month_rows]

    return [
        _chart(
            "datasets-by-division",
            _("Datasets published by division"),
            "bar",
            [_name(row["division"]) for row in division_rows],
            [
                (
                    _("Datasets published"),
                    [row["figures"]["datasets_published"] for row in division_rows],
                )
            ],
            divisions_csv,
            label_column=_("Division"),
        ),
        _chart(
            "requests-by-state",
            _("Sharing requests by state, by month made"),
            "bar",
            month_labels,
            states,
            monthly_csv,
            label_column=_("Month"),
            stacked=True,
        ),
        _chart(
            "approval-rate",
            _("Approval rate, by month decided"),
            "line",
            month_labels,
            [(_("Approval rate"), monthly_figure("approval_rate"))],
            monthly_csv,
            label_column=_("Month"),
            unit="ratio",
        ),
        _chart(
            "median-decision",
            _("Median hours to a decision, by month decided"),
            "line",
            month_labels,
            [(_("Median hours to a decision"), monthly_figure("median_hours_to_decision"))],
            monthly_csv,
            label_column=_("Month"),
            unit="hours",
        ),
        _chart(
            "downloads",
            _("Downloads by month"),
            "bar",
            month_labels,
            [(_("Downloads"), monthly_figure("downloads"))],
            monthly_csv,
            label_column=_("Month"),
        ),
    ]


@console_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    group_scope(actor)  # 403 for members and the signed-in without a role, as the API
    visible = Division.objects.order_by("sort_order", "code")
    if not actor.is_secretariat:
        visible = visible.filter(pk__in=actor.lead_division_ids)
    form = FiguresForm(request.GET or None, divisions=list(visible))
    query = MonthlyQuerySerializer(
        data={k: v for k in ("division", "from", "to") if (v := request.GET.get(k, "").strip())}
    )
    if not query.is_valid():
        for name, errors in query.errors.items():
            form.add_error(name if name in form.fields else None, [str(e) for e in errors])
        return render(
            request, "console/figures/index.html", {"form": form, "charts": []}, status=400
        )
    division = query.validated_data.get("division")
    scope = group_scope(actor, division)  # a lead naming another division: 403
    months: MonthRange = query.validated_data["months"]
    charts = figures_charts(
        tables.division_table(scope),
        tables.monthly_table(scope, months),
        months,
        division.code if division else "",
    )
    return render(
        request,
        "console/figures/index.html",
        {"form": form, "charts": charts, "months": months, "division": division},
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("figures/", index, name="figures"),
]
