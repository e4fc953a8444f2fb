"""Every job a request promises is an outbox row written in the request's transaction: sample
checks, request checks, imports, emails and webhooks. The callbacks are held back here
(`execute=False`), as if the broker never got the message: the rows are what the relay would
publish."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.models import OutboxMessage
from datasets.models import ImportJob, ValidationReport, VersionStatus
from registry.models import EmailNotification, SharingRequest, WebhookDelivery
from registry.services import sharing_requests
from tests.factories import DatasetVersionFactory
from tests.sharing import REQUEST_BODY

pytestmark = pytest.mark.django_db


def promised() -> list[tuple[str, list[Any]]]:
    return [(m.task_name, m.args) for m in OutboxMessage.objects.filter(sent_at__isnull=True)]


@pytest.fixture
def held(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a block whose on-commit publishes never happen."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


def test_a_schema_and_a_sample_promise_their_checks(world, client_for, held):
    version = DatasetVersionFactory.create(
        status=VersionStatus.DRAFT, dataset__publisher=world.acme
    )
    base = reverse("version-detail", kwargs={"dataset": version.dataset_id, "pk": version.pk})
    schema = {"fields": [{"name": "id", "type": "integer"}]}
    with held():
        assert client_for("steward").put(base + "schema/", {"schema": schema}).status_code == 200
        sample = SimpleUploadedFile("s.csv", b"id\n1\n", content_type="text/csv")
        response = client_for("steward").post(
            base + "samples/", {"file": sample, "format": "csv"}, format="multipart"
        )
        assert response.status_code == 201, response.json()

    reports = [
        str(pk)
        for pk in ValidationReport.objects.order_by("created_at").values_list("pk", flat=True)
    ]
    assert promised() == [("datasets.validation_run", [pk]) for pk in reports]


def test_an_import_promises_its_job(world, client_for, held):
    csv = b"identifier,title_ko,title_en,theme,license\nX-1,t,t,sensor_time_series,CC-BY-4.0\n"
    with held():
        response = client_for("steward").post(
            reverse("import-list"),
            {"file": SimpleUploadedFile("c.csv", csv, content_type="text/csv")},
            format="multipart",
        )
    assert response.status_code == 202, response.json()

    assert promised() == [("datasets.import_job_run", [str(ImportJob.objects.get().pk)])]


def test_a_request_promises_its_check_and_the_check_its_emails_and_webhooks(
    world, client_for, shared_dataset, held, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    hook = client_for("org_admin").post(
        reverse("webhook-list"), {"url": "http://127.0.0.1:9/hook"}, format="json"
    )
    assert hook.status_code == 201, hook.json()
    with held():
        response = client_for("outsider_member").post(
            reverse("sharing-request-list"), {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
        )
    assert response.status_code == 201, response.json()
    request = SharingRequest.objects.get()
    submitted = str(WebhookDelivery.objects.get(event="sharing_request.submitted").pk)
    assert sorted(promised()) == [
        ("registry.check_sharing_request", [str(request.pk)]),
        ("registry.deliver_webhook", [submitted]),
    ]

    OutboxMessage.objects.all().delete()
    WebhookDelivery.objects.all().delete()
    with held():
        sharing_requests.sharing_request_check(sharing_request_id=request.pk)  # as the worker

    request.refresh_from_db()
    assert request.state == "awaiting_publisher"
    emails = [m.pk for m in EmailNotification.objects.order_by("pk")]
    deliveries = [str(d.pk) for d in WebhookDelivery.objects.all()]
    assert emails
    assert deliveries
    assert sorted(promised(), key=str) == sorted(
        [("registry.send_email", [pk]) for pk in emails]
        + [("registry.deliver_webhook", [pk]) for pk in deliveries],
        key=str,
    )


def test_a_webhook_ping_promises_its_delivery(world, client_for, held, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    hook = (
        client_for("org_admin")
        .post(reverse("webhook-list"), {"url": "http://127.0.0.1:9/hook"}, format="json")
        .json()
    )
    with held():
        response = client_for("org_admin").post(reverse("webhook-ping", kwargs={"pk": hook["id"]}))
    assert response.status_code in (201, 202), response.json()

    assert promised() == [("registry.deliver_webhook", [response.json()["id"]])]
