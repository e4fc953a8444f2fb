"""Input and output serializers of the alliance's figures.

The output fields' labels are the CSV column headers and their help texts are the metric
definitions published in the OpenAPI schema (and in docs/stats.md): keep them exact.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Division, OrganizationKind
from registry.models import SharingRequestState

from ..months import DEFAULT_MONTHS, EARLIEST_YEAR, MAX_MONTHS, Month, MonthRange

# --- figures ----------------------------------------------------------------------------------


class StateCountsSerializer(serializers.Serializer[dict[str, int]]):
    """One count per sharing-request state, zeros included."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            str(state): serializers.IntegerField(label=state.label, read_only=True)
            for state in SharingRequestState
        }


class SharingFiguresSerializer(serializers.Serializer[dict[str, Any]]):
    """Sharing requests, decisions, grants and downloads."""

    sharing_requests = serializers.IntegerField(
        label=_("Sharing requests"),
        help_text=_(
            "Sharing requests, whatever their state: for the scope's datasets (on the publisher "
            "side, requests received), or made by the organisation (consumer side). In monthly "
            "series: the requests made in that month (`created_at`)."
        ),
    )
    sharing_requests_by_state = StateCountsSerializer(
        label=_("Sharing requests by state"),
        help_text=_("The same requests counted by their current state."),
    )
    decisions = serializers.IntegerField(
        label=_("Decisions"),
        help_text=_(
            "Decided requests: approved (now `approved`, `active`, `expired` or `revoked`) or "
            "`rejected`, automatic decisions of the policy check included. Withdrawn and open "
            "requests are not decisions. In monthly series: decided in that month "
            "(`decided_at`), whenever they were made."
        ),
    )
    approvals = serializers.IntegerField(
        label=_("Approvals"), help_text=_("Decisions that approved the request.")
    )
    rejections = serializers.IntegerField(
        label=_("Rejections"), help_text=_("Decisions that rejected the request.")
    )
    approval_rate = serializers.FloatField(
        allow_null=True,
        label=_("Approval rate"),
        help_text=_(
            "approvals / decisions, from 0 to 1 (4 decimals). Withdrawn requests count in "
            "neither. Null without decisions."
        ),
    )
    median_hours_to_decision = serializers.FloatField(
        allow_null=True,
        label=_("Median hours to a decision"),
        help_text=_(
            "Median of `decided_at - created_at` over the decisions, in hours (2 decimals): "
            "PostgreSQL `percentile_cont(0.5)`, interpolated between the two middle values "
            "when their number is even. Null without decisions."
        ),
    )
    grants_active = serializers.IntegerField(
        label=_("Active grants"),
        help_text=_(
            "Grants in force now: not revoked and `valid_from <= now < valid_until` (on the "
            "publisher side, grants to the scope's datasets; consumer side, grants held). In "
            "monthly series: in force at the end of the month (for the current month, now)."
        ),
    )
    downloads = serializers.IntegerField(
        label=_("Downloads"),
        help_text=_(
            "Downloads through those grants (publisher side: of the scope's datasets; consumer "
            "side: by the organisation). In monthly series: by the download's `created_at`."
        ),
    )
    download_bytes = serializers.IntegerField(
        label=_("Downloaded bytes"), help_text=_("Bytes those downloads delivered.")
    )


CATALOG_FIGURES = (
    "datasets_published",
    "versions_published",
    "validation_checks",
    "validation_checks_passed",
    "validation_pass_rate",
)


class PublisherFiguresSerializer(SharingFiguresSerializer):
    """Catalog figures and the sharing figures of the datasets."""

    datasets_published = serializers.IntegerField(
        label=_("Datasets published"),
        help_text=_(
            "Listed datasets: status `published` or `deprecated` (drafts and withdrawn "
            "datasets are not counted). In monthly series: by the month of `published_at`."
        ),
    )
    versions_published = serializers.IntegerField(
        label=_("Versions published"),
        help_text=_(
            "Published versions of listed datasets. In monthly series: by the month of the "
            "version's `published_at`."
        ),
    )
    validation_checks = serializers.IntegerField(
        label=_("Validation checks"),
        help_text=_(
            "Finished validation checks (status `passed`, `failed` or `error`) of versions of "
            "the scope's datasets, whatever the dataset's status: drafts are checked too. "
            "Queued and running checks are not counted. In monthly series: by `finished_at`."
        ),
    )
    validation_checks_passed = serializers.IntegerField(
        label=_("Validation checks passed"), help_text=_("Of those, the checks that passed.")
    )
    validation_pass_rate = serializers.FloatField(
        allow_null=True,
        label=_("Validation pass rate"),
        help_text=_(
            "validation_checks_passed / validation_checks, from 0 to 1 (4 decimals). Null "
            "without checks."
        ),
    )

    def get_fields(self) -> dict[str, Any]:
        # Catalog figures first, as readers (and the CSV columns) expect them; declared fields
        # would put the inherited sharing figures first.
        fields = super().get_fields()
        first = {name: fields.pop(name) for name in CATALOG_FIGURES}
        return {**first, **fields}


class FiguresSerializer(PublisherFiguresSerializer):
    """Every figure of a scope: the alliance, or one division."""

    organizations = serializers.IntegerField(
        label=_("Member organisations"),
        help_text=_("Member organisations: of the alliance, or of the division for its row."),
    )
    organizations_publishing_and_consuming = serializers.IntegerField(
        label=_("Organisations publishing and consuming"),
        help_text=_(
            "Organisations that publish at least one listed dataset in the scope and hold at "
            "least one grant, of any status (in force, expired, revoked or not started yet), "
            "on a dataset in the scope. For a division's row the scope is that division."
        ),
    )


class MonthFiguresSerializer(PublisherFiguresSerializer):
    """A month's figures (no organisation counts: they are not a monthly measure)."""


# --- rows -------------------------------------------------------------------------------------


class StatsDivisionSerializer(serializers.Serializer[dict[str, str]]):
    code = serializers.CharField(label=_("Division code"))
    name_ko = serializers.CharField(label=_("Division (Korean)"))
    name_en = serializers.CharField(label=_("Division (English)"))


class StatsOrganizationSerializer(serializers.Serializer[dict[str, str]]):
    slug = serializers.CharField(label=_("Organisation"))
    name_ko = serializers.CharField(label=_("Name (Korean)"))
    name_en = serializers.CharField(label=_("Name (English)"))
    kind = serializers.ChoiceField(choices=OrganizationKind.choices, label=_("Kind"))


class AllianceSerializer(serializers.Serializer[dict[str, Any]]):
    generated_at = serializers.DateTimeField(
        help_text=_("When these figures were computed (they are cached for a few minutes).")
    )
    figures = FiguresSerializer()


class DivisionRowSerializer(serializers.Serializer[dict[str, Any]]):
    division = StatsDivisionSerializer()
    figures = FiguresSerializer()


class OrganizationRowSerializer(serializers.Serializer[dict[str, Any]]):
    organization = StatsOrganizationSerializer()
    as_publisher = PublisherFiguresSerializer(
        label=_("As publisher"),
        help_text=_(
            "Its datasets, and the requests, grants and downloads for them (within the scope's "
            "divisions, if any)."
        ),
    )
    as_consumer = SharingFiguresSerializer(
        label=_("As consumer"),
        help_text=_("The requests it made, the grants it holds and its downloads."),
    )
    publishes_and_consumes = serializers.BooleanField(
        label=_("Publishes and consumes"),
        help_text=_(
            "Publishes at least one listed dataset and holds at least one grant (any status), "
            "both within the scope."
        ),
    )


class KindRowSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=OrganizationKind.choices, label=_("Kind"))
    label = serializers.SerializerMethodField(label=_("Kind (label)"))  # type: ignore[assignment]
    organizations = serializers.IntegerField(
        label=_("Member organisations"),
        help_text=_("Member organisations of this kind (in the scope's divisions, if any)."),
    )
    as_publisher = PublisherFiguresSerializer(
        label=_("As publisher"), help_text=_("Datasets published by organisations of this kind.")
    )
    as_consumer = SharingFiguresSerializer(
        label=_("As consumer"), help_text=_("Requests made by organisations of this kind.")
    )
    organizations_publishing_and_consuming = serializers.IntegerField(
        label=_("Organisations publishing and consuming"),
        help_text=_("Organisations of this kind that publish and consume within the scope."),
    )

    def get_label(self, row: dict[str, Any]) -> str:
        return str(OrganizationKind(row["kind"]).label) if row["kind"] else ""


class MonthRowSerializer(serializers.Serializer[dict[str, Any]]):
    month = serializers.CharField(label=_("Month"), help_text=_("YYYY-MM, in Asia/Seoul."))
    figures = MonthFiguresSerializer()


class OrganizationMonthRowSerializer(serializers.Serializer[dict[str, Any]]):
    month = serializers.CharField(label=_("Month"), help_text=_("YYYY-MM, in Asia/Seoul."))
    as_publisher = MonthFiguresSerializer(label=_("As publisher"))
    as_consumer = SharingFiguresSerializer(label=_("As consumer"))


# --- envelopes --------------------------------------------------------------------------------


class ScopeSerializer(serializers.Serializer[dict[str, Any]]):
    divisions = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text=_("Codes of the divisions whose datasets are counted; null: every division."),
    )
    organizations = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text=_("Slugs of the only organisations shown; null: any organisation."),
    )


class TableSerializer(serializers.Serializer[dict[str, Any]]):
    generated_at = serializers.DateTimeField(
        help_text=_("When the rows were computed (they are cached for a few minutes).")
    )
    time_zone = serializers.CharField(help_text=_("The time zone of months and dates."))
    scope = ScopeSerializer()
    alliance = AllianceSerializer(help_text=_("Alliance-wide totals, for comparison."))


class DivisionTableSerializer(TableSerializer):
    results = DivisionRowSerializer(many=True)


class KindTableSerializer(TableSerializer):
    results = KindRowSerializer(many=True)


class OrganizationTableSerializer(TableSerializer):
    count = serializers.IntegerField(help_text=_("Rows in the whole table."))
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrganizationRowSerializer(many=True)


class MonthlyTableSerializer(TableSerializer):
    from_month = serializers.CharField(help_text=_("First month (YYYY-MM)."))
    to_month = serializers.CharField(help_text=_("Last month (YYYY-MM), included."))
    results = MonthRowSerializer(many=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # `from` and `to` as in the query string; Python reserves `from`.
        return {
            ("from" if name == "from_month" else "to" if name == "to_month" else name): field
            for name, field in fields.items()
        }


class OrganizationMonthlyTableSerializer(MonthlyTableSerializer):
    organization = StatsOrganizationSerializer()
    results = OrganizationMonthRowSerializer(many=True)  # type: ignore[assignment]


SUMMARY_SCOPES = ["alliance", "division", "organization"]
SUMMARY_SIDES = ["publisher", "consumer"]


class SummarySerializer(serializers.Serializer[dict[str, Any]]):
    time_zone = serializers.CharField(help_text=_("The time zone of months and dates."))
    alliance = AllianceSerializer(help_text=_("Alliance-wide totals: every signed-in caller."))
    divisions = DivisionRowSerializer(
        many=True, help_text=_("The divisions the caller leads (empty for anyone else).")
    )
    organizations = OrganizationRowSerializer(
        many=True,
        help_text=_("The caller's own organisations, complete (empty without membership)."),
    )


class SummaryCsvRowSerializer(serializers.Serializer[dict[str, Any]]):
    """A row of the summary as CSV: the alliance, then each division the caller leads, then
    each of the caller's organisations twice, as publisher and as consumer. One flat layout for
    every row; a figure that does not apply to a row is an empty cell."""

    scope = serializers.ChoiceField(
        choices=SUMMARY_SCOPES,
        label=_("Scope"),
        help_text=_("`alliance`, `division` or `organization`."),
    )
    code = serializers.CharField(
        label=_("Code"),
        help_text=_("The division's code or the organisation's slug; empty for the alliance."),
    )
    name_ko = serializers.CharField(label=_("Name (Korean)"))
    name_en = serializers.CharField(label=_("Name (English)"))
    kind = serializers.ChoiceField(
        choices=OrganizationKind.choices,
        label=_("Kind"),
        help_text=_("The organisation's kind; empty on other rows."),
    )
    side = serializers.ChoiceField(
        choices=SUMMARY_SIDES,
        label=_("Side"),
        help_text=_(
            "On an organisation's rows: `publisher` (its datasets and the requests, grants and "
            "downloads for them) or `consumer` (the requests it made, the grants it holds, its "
            "downloads; no catalog figures). Empty on other rows."
        ),
    )
    publishes_and_consumes = serializers.BooleanField(
        allow_null=True,
        label=_("Publishes and consumes"),
        help_text=_("On an organisation's rows, as in the JSON; empty on other rows."),
    )
    figures = FiguresSerializer()


# --- input ------------------------------------------------------------------------------------


class FormatMixin(serializers.Serializer[dict[str, Any]]):
    format = serializers.ChoiceField(
        choices=["json", "csv"],
        required=False,
        help_text=_("`csv` for a spreadsheet (as `Accept: text/csv`); JSON otherwise."),
    )


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"})
class MonthField(serializers.CharField):
    default_error_messages = {"invalid": _("Use the form YYYY-MM, for example 2026-03.")}

    def to_internal_value(self, data: Any) -> Month:  # type: ignore[override]
        month = Month.parse(str(super().to_internal_value(data)))
        if month is None or month.year < EARLIEST_YEAR:
            self.fail("invalid")
        return month


class DivisionFilterSerializer(FormatMixin):
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text=_("Only the datasets of this division (its code, e.g. `humanoids`)."),
    )


class OrganizationTableQuerySerializer(DivisionFilterSerializer):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)


class MonthlyQuerySerializer(DivisionFilterSerializer):
    """`from` and `to` months (YYYY-MM, included), at most MAX_MONTHS apart, not in the future.

    Without `to`, the current month; without `from`, DEFAULT_MONTHS months up to `to`.
    """

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = MonthField(
            required=False,
            help_text=_("First month, YYYY-MM (default: 11 months before `to`)."),
        )
        fields["to"] = MonthField(
            required=False, help_text=_("Last month, YYYY-MM, included (default: this month).")
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = Month.current()
        last: Month = attrs.get("to") or current
        first: Month = attrs.get("from") or last.plus(1 - DEFAULT_MONTHS)
        if last > current:
            raise serializers.ValidationError(
                {
                    "to": [
                        gettext("Must not be after the current month (%(month)s).")
                        % {"month": current}
                    ]
                },
                code="future",
            )
        if first > last:
            raise serializers.ValidationError(
                {"from": [gettext("Must not be after `to` (%(month)s).") % {"month": last}]},
                code="order",
            )
        if last.minus(first) + 1 > MAX_MONTHS:
            raise serializers.ValidationError(
                {
                    "from": [
                        gettext("At most %(max)d months: from %(first)s at the earliest.")
                        % {"max": MAX_MONTHS, "first": last.plus(1 - MAX_MONTHS)}
                    ]
                },
                code="range",
            )
        attrs["months"] = MonthRange(first, last)
        return attrs
