"""Catalog imports by stewards: DCAT, CKAN and CSV metadata into their organisation.

`POST /imports/` stores the source (or checks the URL), answers 202 with the job, and the
workers do the rest; `GET /imports/{id}/` shows progress and the per-record report. The
histories imports write (`GET /datasets/{dataset}/revisions/`) are the datasets' own API.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import RegistryViewSet
from accounts.selectors import acting_organization
from common.parsers import FormParser, JSONParser, MultiPartParser
from common.uploads import limit_uploads
from common.urls import absolute_url

from ...models import ImportJob
from ...permissions import require_import_jobs_reader, require_importer
from ..jobs import import_job_create
from ..records import SourceError
from ..selectors import import_job_get, import_job_list
from .serializers import ImportInputSerializer, ImportJobDetailSerializer, ImportJobSerializer

IMPORT_DESCRIPTION = """
Import dataset metadata into your organisation: a DCAT document (JSON-LD or Turtle, as the
registry's own export writes it), a CKAN `package_search` / `package_show` answer (or a list
of packages), or a CSV with the column set below. Send the file as multipart `file`, or give
a `url` to harvest (http/https to public addresses only; a CKAN `.../action/package_search`
URL is paged with `rows`/`start`).

Always a job: the answer is 202 with the job (and its `Location`), which the workers process;
poll `GET /imports/{id}/` for `status`, `progress` and the `report`. Records are matched by
their identifier: a second import of the same source reports every record `unchanged` and
writes nothing; a changed record updates only the fields that changed and records a revision.
New datasets are created as **drafts**. A record that cannot be mapped is `rejected` with its
reasons; the others go on. `dry_run` reports the same outcomes without changing anything.

Division of a new dataset: the record's (code or name), else `division`, else the
organisation's only division; otherwise the record is rejected. Withdrawn datasets are never
changed. Fields a record leaves out are left as they are.

Uploads are refused while they stream in past the import limit (413 with `limit_bytes`);
what can be told at upload (empty or binary file, unknown format, and for files up to 1 MiB
invalid JSON, Turtle syntax errors, a CSV without the required header) is a 400; anything
else ends the job `failed` with an `error`.

CSV columns (header names, any order; `*` required; lists separated by `;`):
`identifier`*, `title_ko` / `title_en` (at least one), `description_ko`, `description_en`,
`keywords`, `theme`* (sensor_time_series, machine_vision_images, process_quality_records,
maintenance_logs, robot_trajectories, cad_3d, documents, energy, logistics, simulation,
other), `formats` (csv, tsv, jsonl, json, parquet, hdf5, png, jpeg, tiff, mp4, stl, step,
pdf, xml, zip), `temporal_start`, `temporal_end` (YYYY-MM-DD), `spatial`,
`update_frequency` (continuous, daily, weekly, monthly, quarterly, annual, irregular, never),
`license`* (CC-BY-4.0, CC-BY-SA-4.0, CC-BY-NC-4.0, CC0-1.0, KOGL-Type-1..4, MAX-DSA-1.0,
proprietary; or a Creative Commons URL or CKAN licence id), `sensitivity` (public, members,
confidential, restricted), `contact_name`, `contact_email`, `division` (code or name).
UTF-8 (BOM or not) or CP949. See docs/imports.md.
"""


@extend_schema(tags=["imports"])
@extend_schema_view(
    list=extend_schema(summary="Import jobs of the organisations you steward (all: secretariat)"),
    retrieve=extend_schema(summary="An import job: status, progress and per-record report"),
)
class ImportJobViewSet(RegistryViewSet):
    serializer_class = ImportJobSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list[Any] = []
    ordering = "-created_at"
    queryset = ImportJob.objects.none()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Cap the upload while it streams in, before anything reads the body.
        if request.method == "POST":
            limit_uploads(request, settings.UPLOAD_LIMITS["import"])
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_job_list(actor=self.actor)

    def list(self, request: Request) -> Response:
        require_import_jobs_reader(self.actor)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ImportJobSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        require_import_jobs_reader(self.actor)
        job = import_job_get(actor=self.actor, job_id=pk)
        if job is None:
            raise Http404
        return Response(ImportJobDetailSerializer(job).data)

    @extend_schema(
        summary="Import datasets from DCAT, CKAN JSON or CSV (a job)",
        description=IMPORT_DESCRIPTION,
        request={
            "multipart/form-data": ImportInputSerializer,
            "application/json": ImportInputSerializer,
        },
        responses={202: ImportJobDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        require_importer(self.actor)
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = acting_organization(
            actor=self.actor, named=data.get("publisher"), role="steward"
        )
        upload = data.get("file")
        try:
            job = import_job_create(
                organization=organization,
                created_by=self.actor.user,
                file=upload,
                url=data.get("url", ""),
                data_format=data.get("format", ""),
                dry_run=data["dry_run"],
                division=data.get("division"),
                content_type=getattr(upload, "content_type", "") or "",
            )
        except SourceError as exc:
            field = "file" if upload is not None else "url"
            raise ValidationError({field: [ErrorDetail(exc.localized(), code=exc.code)]}) from exc
        job = import_job_get(actor=self.actor, job_id=str(job.pk)) or job
        location = reverse("import-detail", kwargs={"pk": job.pk})
        return Response(
            ImportJobDetailSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": absolute_url(location, request)},
        )
