"""GET /api/v1/vocabularies/: every enum code of the API with its Korean and English labels."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from config.vocabularies import VOCABULARIES
from datasets.models import DataFormat, Theme
from registry.models import SharingRequestState

pytestmark = pytest.mark.django_db

URL = reverse("vocabulary-list")


def test_every_vocabulary_lists_every_code_with_both_labels(client_for):
    response = client_for("anonymous").get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(VOCABULARIES)
    for name, choices in VOCABULARIES.items():
        assert [term["code"] for term in body[name]] == list(choices.values), name
        for term in body[name]:
            assert term["label_en"], (name, term)
            assert term["label_ko"], (name, term)


def test_labels_follow_accept_language_korean_by_default():
    client = APIClient()  # no Accept-Language

    default = client.get(reverse("vocabulary-detail", kwargs={"name": "theme"})).json()
    english = client.get(
        reverse("vocabulary-detail", kwargs={"name": "theme"}), HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    korean = client.get(
        reverse("vocabulary-detail", kwargs={"name": "theme"}),
        HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5",
    ).json()

    sensor = {t["code"]: t for t in default}[Theme.SENSOR_TIME_SERIES]
    assert sensor["label"] == sensor["label_ko"] == "센서 시계열"
    assert sensor["label_en"] == "Sensor time series"
    assert {t["code"]: t["label"] for t in english}[Theme.SENSOR_TIME_SERIES] == (
        "Sensor time series"
    )
    assert {t["code"]: t["label"] for t in korean}[Theme.SENSOR_TIME_SERIES] == "센서 시계열"


def test_every_korean_label_is_translated(client_for):
    body = client_for("anonymous").get(URL).json()

    untranslated = {
        (name, term["code"])
        for name, terms in body.items()
        for term in terms
        if term["label_ko"] == term["label_en"]
    }
    # Names of formats and licences read the same in both languages.
    assert untranslated <= NAMES


NAMES = {
    *(("format", code) for code in DataFormat.values),
    *(("license", code) for code in ("CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0")),
    ("schema_kind", "table_schema"),
}


def test_one_vocabulary(client_for):
    response = client_for("member").get(
        reverse("vocabulary-detail", kwargs={"name": "sharing_request_state"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert [term["code"] for term in response.json()] == list(SharingRequestState.values)


def test_unknown_vocabulary_is_a_404_problem(client_for):
    response = client_for("anonymous").get(reverse("vocabulary-detail", kwargs={"name": "nope"}))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_returned_state_is_listed(client_for):
    """A request returned for changes (ADR 0010): its code and English label."""
    response = client_for("member").get(
        reverse("vocabulary-detail", kwargs={"name": "sharing_request_state"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    returned = {term["code"]: term for term in response.json()}["returned"]
    assert returned["label_en"] == "Returned for changes"
