"""One test per filter of DatasetFilter, through GET /api/v1/datasets/."""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from datasets.filters import DatasetFilter
from datasets.models import Dataset, DatasetStatus, Sensitivity
from tests.datasets.helpers import LIST_URL, assert_problem, error_fields
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

FILTERS_UNDER_TEST = {
    "q",
    "division_id",
    "division",
    "publisher_id",
    "publisher",
    "theme",
    "format",
    "keyword",
    "license",
    "sensitivity",
    "status",
    "modified_after",
    "modified_before",
    "created_after",
    "created_before",
}

SEOUL = ZoneInfo("Asia/Seoul")


def test_every_filter_has_a_test():
    assert set(DatasetFilter.base_filters) == FILTERS_UNDER_TEST
    module = sys.modules[__name__]
    untested = {name for name in FILTERS_UNDER_TEST if not hasattr(module, f"test_{name}_filter")}
    assert untested == set()


@pytest.fixture
def catalog(world):
    """Datasets that differ in one attribute at a time; all visible to acme's member."""

    def make(name: str, **fields) -> Dataset:
        defaults = {
            "publisher": world.acme,
            "title_ko": f"{name} 데이터",
            "title_en": f"{name} data",
            "description_ko": "",
            "description_en": "",
            "keywords": [],
        }
        return DatasetFactory.create(**{**defaults, **fields})

    items = {
        "vision": make(
            "vision",
            theme="machine_vision_images",
            formats=["png", "jpeg"],
            keywords=["불량", "비전검사"],
            license="CC-BY-NC-4.0",
            sensitivity=Sensitivity.PUBLIC,
        ),
        "sensor": make(
            "sensor",
            theme="sensor_time_series",
            formats=["csv", "parquet"],
            keywords=["진동", "CNC"],
            license="CC-BY-4.0",
            sensitivity=Sensitivity.MEMBERS,
        ),
        "robot": make(
            "robot",
            division=world.humanoids,
            theme="robot_trajectories",
            formats=["hdf5", "json"],
            keywords=["로봇", "궤적"],
            license="MAX-DSA-1.0",
            sensitivity=Sensitivity.RESTRICTED,
        ),
        "draft": make("draft", status=DatasetStatus.DRAFT, theme="energy", formats=[]),
        "deprecated": make("deprecated", status=DatasetStatus.DEPRECATED, theme="documents"),
        "withdrawn": make("withdrawn", status=DatasetStatus.WITHDRAWN, theme="documents"),
        "other": make(
            "other",
            publisher=world.other,
            theme="sensor_time_series",
            formats=["csv"],
            keywords=["진동"],
        ),
    }
    # Fixed creation and modification times, a day apart, oldest first.
    for day, dataset in enumerate(items.values(), start=1):
        moment = datetime(2025, 1, day, 9, 0, tzinfo=SEOUL)
        Dataset.objects.filter(pk=dataset.pk).update(
            created_at=moment, modified_at=moment.replace(hour=18)
        )
    return items


def _names(catalog, response) -> set[str]:
    assert response.status_code == 200, response.content
    ids = {item["id"] for item in response.json()["results"]}
    assert response.json()["count"] == len(ids)
    by_id = {str(dataset.pk): name for name, dataset in catalog.items()}
    return {by_id[i] for i in ids}


@pytest.fixture
def get(client_for, catalog):
    client = client_for("member")

    def get(params) -> set[str]:
        return _names(catalog, client.get(LIST_URL, {**params, "page_size": 100}))

    return get


def test_no_filter_lists_everything_visible(get, catalog):
    assert get({}) == set(catalog)


def test_q_filter(get):
    assert get({"q": "vision"}) == {"vision"}
    assert get({"q": "비전검사"}) == {"vision"}
    assert get({"q": "진동"}) == {"sensor", "other"}
    assert get({"q": "   "}) == get({})
    assert get({"q": "nothing-like-this"}) == set()


def test_division_id_filter(get, world):
    assert get({"division_id": world.humanoids.pk}) == {"robot"}
    assert get({"division_id": [world.humanoids.pk, world.ai_factory.pk]}) == get({})
    assert get({"division_id": 999_999}) == set()


def test_division_filter(get, catalog):
    assert get({"division": "humanoids"}) == {"robot"}
    assert get({"division": "ai-factory"}) == set(catalog) - {"robot"}
    assert get({"division": ["humanoids", "ai-factory"]}) == set(catalog)
    assert get({"division": "no-such-division"}) == set()


def test_publisher_id_filter(get, world, catalog):
    assert get({"publisher_id": world.other.pk}) == {"other"}
    assert get({"publisher_id": world.acme.pk}) == set(catalog) - {"other"}
    assert get({"publisher_id": [world.acme.pk, world.other.pk]}) == set(catalog)


def test_publisher_filter(get, catalog):
    assert get({"publisher": "other"}) == {"other"}
    assert get({"publisher": "acme"}) == set(catalog) - {"other"}
    assert get({"publisher": ["acme", "other"]}) == set(catalog)
    assert get({"publisher": "nobody"}) == set()


def test_theme_filter(get):
    assert get({"theme": "sensor_time_series"}) == {"sensor", "other"}
    assert get({"theme": ["machine_vision_images", "robot_trajectories"]}) == {"vision", "robot"}
    assert get({"theme": "documents"}) == {"deprecated", "withdrawn"}


def test_format_filter(get):
    # `format` is the data format, not DRF's renderer override (json is a format like any other).
    assert get({"format": "json"}) == {"robot"}
    assert get({"format": "png"}) == {"vision"}
    assert get({"format": "csv"}) == {"sensor", "other", "deprecated", "withdrawn"}
    # Any of the given formats.
    assert get({"format": ["hdf5", "parquet"]}) == {"robot", "sensor"}
    assert get({"format": ["json", "hdf5"]}) == {"robot"}
    assert get({"format": "stl"}) == set()


def test_keyword_filter(get):
    assert get({"keyword": "진동"}) == {"sensor", "other"}
    assert get({"keyword": "CNC"}) == {"sensor"}
    # Exact keywords only: no prefix, no case folding, no full-text.
    assert get({"keyword": "진"}) == set()
    assert get({"keyword": "cnc"}) == set()


def test_license_filter(get, catalog):
    assert get({"license": "MAX-DSA-1.0"}) == {"robot"}
    assert get({"license": ["CC-BY-NC-4.0", "MAX-DSA-1.0"]}) == {"vision", "robot"}
    assert get({"license": "CC-BY-4.0"}) == set(catalog) - {"vision", "robot"}


def test_sensitivity_filter(get, catalog):
    assert get({"sensitivity": "public"}) == {"vision"}
    assert get({"sensitivity": "restricted"}) == {"robot"}
    assert get({"sensitivity": ["public", "restricted"]}) == {"vision", "robot"}
    assert get({"sensitivity": "confidential"}) == set()


def test_status_filter(get):
    assert get({"status": "draft"}) == {"draft"}
    assert get({"status": "withdrawn"}) == {"withdrawn"}
    assert get({"status": ["deprecated", "withdrawn"]}) == {"deprecated", "withdrawn"}
    assert get({"status": "published"}) == {"vision", "sensor", "robot", "other"}


def test_status_filter_never_widens_visibility(client_for, catalog):
    outsider = client_for("outsider_member")

    response = outsider.get(LIST_URL, {"status": ["draft", "withdrawn"]})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert "draft data" not in response.content.decode()
    anonymous = client_for("anonymous").get(LIST_URL, {"sensitivity": "restricted"})
    assert anonymous.json()["results"] == []


def test_modified_after_filter(get):
    # vision..other were modified on 1..7 January at 18:00 Seoul time; the bound is inclusive.
    assert get({"modified_after": "2025-01-06T18:00:00+09:00"}) == {"withdrawn", "other"}
    assert get({"modified_after": "2025-01-06T09:00:01Z"}) == {"other"}
    assert get({"modified_after": "2025-02-01T00:00:00+09:00"}) == set()


def test_modified_before_filter(get):
    # The upper bound is exclusive.
    assert get({"modified_before": "2025-01-02T18:00:00+09:00"}) == {"vision"}
    assert get({"modified_before": "2025-01-02T18:00:01+09:00"}) == {"vision", "sensor"}
    assert get(
        {
            "modified_after": "2025-01-02T00:00:00+09:00",
            "modified_before": "2025-01-04T00:00:00+09:00",
        }
    ) == {"sensor", "robot"}


def test_created_after_filter(get, catalog):
    assert get({"created_after": "2025-01-07T09:00:00+09:00"}) == {"other"}
    assert get({"created_after": "2025-01-01T00:00:00+09:00"}) == set(catalog)


def test_created_before_filter(get):
    assert get({"created_before": "2025-01-01T09:00:00+09:00"}) == set()
    assert get({"created_before": "2025-01-03T00:00:00+09:00"}) == {"vision", "sensor"}


def test_filters_combine_with_and(get):
    assert get({"theme": "sensor_time_series", "publisher": "acme"}) == {"sensor"}
    assert get({"keyword": "진동", "license": "CC-BY-4.0", "division": "ai-factory"}) == {
        "sensor",
        "other",
    }
    assert get({"q": "진동", "publisher": "other"}) == {"other"}
    assert get({"keyword": "진동", "format": "parquet"}) == {"sensor"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"theme": "underwater"}, "theme"),
        ({"theme": ["energy", "underwater"]}, "theme"),
        ({"format": "docx"}, "format"),
        ({"format": "api"}, "format"),
        ({"license": "GPL-3.0"}, "license"),
        ({"sensitivity": "secret"}, "sensitivity"),
        ({"status": "archived"}, "status"),
        ({"division_id": "ai-factory"}, "division_id"),
        ({"publisher_id": "1.5"}, "publisher_id"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"modified_before": "2025-13-01"}, "modified_before"),
        ({"created_after": "2025-01-01T25:00"}, "created_after"),
        ({"created_before": "soon"}, "created_before"),
        ({"keyword": "\x00"}, "keyword"),
        ({"publisher": "a\x00b"}, "publisher"),
    ],
)
def test_invalid_filter_value_is_a_400_problem(client_for, catalog, params, field):
    response = client_for("member").get(LIST_URL, params)

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {field}


def test_unknown_query_parameters_are_ignored(get, catalog):
    assert get({"colour": "blue"}) == set(catalog)
