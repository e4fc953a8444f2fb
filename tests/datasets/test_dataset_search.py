"""Full-text search (?q=) in Korean and English, as designed in datasets/search.py.

Hangul runs are indexed as overlapping bigrams (plus each run's last syllable); a query word
needs all of its bigrams, so 센서 matches 진동센서 and 센서의 but not 센 ... 서, and 진동센서
does not match 진동 센서 (no 동센). One syllable matches as a prefix, so anywhere in a word.
Latin words are lower-cased and the last query word matches as a prefix.
"""

from __future__ import annotations

import pytest

from datasets.models import Dataset, DatasetStatus, Sensitivity
from datasets.search import MAX_QUERY_LEXEMES, build_tsquery, document_tokens
from tests.datasets.helpers import LIST_URL, assert_problem
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world):
    def make(**fields) -> Dataset:
        defaults = {
            "publisher": world.acme,
            "sensitivity": Sensitivity.PUBLIC,
            "title_ko": "",
            "title_en": "",
            "description_ko": "",
            "description_en": "",
            "keywords": [],
        }
        return DatasetFactory.create(**{**defaults, **fields})

    return {
        "contiguous": make(title_ko="CNC 진동센서 데이터"),
        "particle": make(title_ko="센서의 정확도 검증 기록"),
        "spaced": make(title_ko="진동 센서 모음"),
        "description": make(
            title_en="Press line readings", description_ko="프레스 라인의 센서 값을 모았다"
        ),
        "keyword": make(title_en="Assembly torque", keywords=["센서", "토크"]),
        "split": make(title_ko="센 서 따로 쓴 제목"),
        "robot": make(title_ko="용접 로봇 영상", title_en="Welding robot video"),
        "english": make(
            title_en="Spindle VIBRATION dataset",
            description_en="Accelerometer readings from a milling spindle.",
        ),
        "mixed": make(title_ko="CNC 스핀들 진동", title_en="CNC spindle vibration"),
    }


def _search(client, catalog, query: str) -> set[str]:
    response = client.get(LIST_URL, {"q": query, "page_size": 100})
    assert response.status_code == 200, response.content
    by_id = {str(dataset.pk): name for name, dataset in catalog.items()}
    names = {by_id.get(item["id"], item["id"]) for item in response.json()["results"]}
    assert response.json()["count"] == len(names)
    return names


@pytest.fixture
def search(client_for, catalog):
    client = client_for("anonymous")
    return lambda query: _search(client, catalog, query)


# --- Korean -----------------------------------------------------------------------------------


def test_word_matches_inside_compounds_particles_descriptions_and_keywords(search):
    assert search("센서") == {"contiguous", "particle", "spaced", "description", "keyword"}


def test_separated_syllables_do_not_match_a_two_syllable_word(search):
    assert "split" not in search("센서")


def test_compound_matches_only_where_it_is_written_contiguously(search):
    # 진동센서 -> 진동 & 동센 & 센서: "진동 센서" has no 동센 bigram, so it does not match.
    assert search("진동센서") == {"contiguous"}
    assert search("진동 센서") == {"contiguous", "spaced"}


def test_single_syllable_query_matches_inside_words(search):
    assert search("봇") == {"robot"}
    assert search("센") == {"contiguous", "particle", "spaced", "description", "keyword", "split"}


def test_three_syllable_query(search):
    assert search("정확도") == {"particle"}
    assert search("확도") == {"particle"}
    assert search("정도") == set()


def test_korean_query_with_a_particle_does_not_match_the_bare_word(search):
    assert search("센서를") == set()


# --- English ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["vibration", "VIBRATION", "Vibration", "vIbRaTiOn"])
def test_english_is_case_insensitive(search, query):
    assert search(query) == {"english", "mixed"}


def test_last_word_matches_as_a_prefix(search):
    assert search("vibr") == {"english", "mixed"}
    assert search("spindle vib") == {"english", "mixed"}
    assert search("accel") == {"english"}


def test_earlier_words_must_match_whole(search):
    assert search("vibr spindle") == set()
    assert search("vibration spindle") == {"english", "mixed"}


def test_words_combine_with_and(search):
    assert search("spindle dataset") == {"english"}
    assert search("welding video") == {"robot"}
    assert search("welding vibration") == set()


def test_korean_and_english_words_combine(search):
    assert search("CNC 진동") == {"contiguous", "mixed"}
    assert search("cnc 스핀들 vibration") == {"mixed"}
    assert search("용접 robot") == {"robot"}


def test_description_words_match(search):
    assert search("milling") == {"english"}
    assert search("readings") == {"english", "description"}


# --- order ------------------------------------------------------------------------------------


def _order(client, catalog, params) -> list[str]:
    response = client.get(LIST_URL, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    by_id = {str(dataset.pk): name for name, dataset in catalog.items()}
    return [by_id[item["id"]] for item in response.json()["results"]]


def test_title_and_keyword_matches_rank_above_description_matches(client_for, catalog):
    names = _order(client_for("anonymous"), catalog, {"q": "센서"})

    assert set(names[:4]) == {"contiguous", "particle", "spaced", "keyword"}
    assert names[4] == "description"


def test_an_explicit_order_overrides_relevance(client_for, catalog):
    names = _order(client_for("anonymous"), catalog, {"q": "센서", "ordering": "title_ko"})

    titles = [catalog[name].title_ko for name in names]
    assert titles == sorted(titles)
    assert set(names) == {"contiguous", "particle", "spaced", "description", "keyword"}


def test_relevance_order_without_q_falls_back_to_the_default(client_for, catalog):
    client = client_for("anonymous")

    assert _order(client, catalog, {"ordering": "-relevance"}) == _order(client, catalog, {})
    assert _order(client, catalog, {})[0] == "mixed"  # the most recently modified


# --- odd input --------------------------------------------------------------------------------


# Queries with no letters or digits at all: nothing to search for.
NO_TERMS = [
    "!!!",
    "...",
    "- / ?",
    "「」",
    "~",
    "___",
    "'",
    "''",
    "\\",
    "\\'",
    ":*",
    "<->",
    "%",
    "*",
]


@pytest.mark.parametrize("query", NO_TERMS)
def test_only_punctuation_finds_nothing_and_is_no_error(search, query):
    assert search(query) == set()


@pytest.mark.parametrize("query", NO_TERMS)
def test_only_punctuation_with_an_explicit_order_finds_nothing(client_for, catalog, query):
    response = client_for("anonymous").get(LIST_URL, {"q": query, "ordering": "-modified_at"})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "a & b | !c",
        "vibration & !spindle",
        "vibration'",
        "vibration\\",
        "vibr:*",
        "vibration:A",
        "센서 <-> 진동",
        "(vibration",
        "vibration)",
        '"spindle vibration"',
        "NULL",
        "x" * 5000,
        "가" * 2000,
        "센서 " * 200,
        "🙂 vibration",
    ],
)
def test_tsquery_syntax_in_q_never_breaks_the_search(search, query):
    search(query)  # 200 with a well-formed page (asserted in _search)


def test_operators_are_searched_as_plain_words(search):
    assert search("spindle & vibration") == search("spindle vibration")
    assert search("vibration | welding") == set()
    assert search("!vibration") == {"english", "mixed"}


def test_nul_character_in_q_is_a_400_problem(client_for, catalog):
    response = client_for("anonymous").get(LIST_URL, {"q": "센서\x00"})

    assert_problem(response, 400, "validation_error")


def test_blank_q_does_not_filter(search, catalog):
    assert search("   ") == set(catalog)


# --- visibility -------------------------------------------------------------------------------


def test_search_never_reveals_invisible_datasets(client_for, catalog, world):
    draft = DatasetFactory.create(
        publisher=world.acme,
        status=DatasetStatus.DRAFT,
        title_ko="비공개 센서 초안",
        title_en="Secret sensor draft",
        sensitivity=Sensitivity.PUBLIC,
    )
    members = DatasetFactory.create(
        publisher=world.acme, title_ko="회원 전용 센서 자료", sensitivity=Sensitivity.MEMBERS
    )
    public_matches = {"contiguous", "particle", "spaced", "description", "keyword"}

    for persona in ("outsider_member", "outsider_steward", "division_lead"):
        response = client_for(persona).get(LIST_URL, {"q": "센서", "page_size": 100})
        ids = {item["id"] for item in response.json()["results"]}
        assert str(draft.pk) not in ids, persona
        assert str(members.pk) in ids, persona
        assert "비공개" not in response.content.decode()
        assert "Secret sensor" not in response.content.decode()
        assert response.json()["count"] == len(public_matches) + 1

    anonymous = client_for("anonymous").get(LIST_URL, {"q": "센서", "page_size": 100})
    assert {item["id"] for item in anonymous.json()["results"]} == {
        str(catalog[name].pk) for name in public_matches
    }
    for persona in ("member", "steward", "secretariat"):
        response = client_for(persona).get(LIST_URL, {"q": "비공개 센서"})
        assert [item["id"] for item in response.json()["results"]] == [str(draft.pk)]


# --- the tokenizer, directly ------------------------------------------------------------------


def test_document_tokens_index_bigrams_and_the_last_syllable_once_each():
    assert document_tokens("진동센서") == "진동 동센 센서 서"
    assert document_tokens("Spindle 진동", None, "") == "spindle 진동 동"
    assert document_tokens("센서 센서의 센", "Sensor sensor") == "센서 서 서의 의 센 sensor"


def test_build_tsquery_quotes_every_lexeme():
    assert build_tsquery("진동센서") == "'진동' & '동센' & '센서'"
    assert build_tsquery("Spindle vibr") == "'spindle' & 'vibr':*"
    assert build_tsquery("봇") == "'봇':*"
    assert build_tsquery("a & b | !c") == "'a' & 'b' & 'c':*"
    assert build_tsquery("' \\ :*") is None


def test_build_tsquery_bounds_the_lexemes_of_a_long_run():
    run = "".join(chr(0xAC00 + 7 * n) for n in range(60))  # 60 syllables, 59 distinct bigrams
    assert (build_tsquery(run) or "").count("&") == MAX_QUERY_LEXEMES - 1
    assert build_tsquery("센서 센서 센서") == "'센서'"


def test_a_word_whose_bigrams_all_occur_apart_matches(search, catalog, world):
    # The price of not checking adjacency (datasets/search.py): rare in real text.
    scattered = DatasetFactory.create(
        publisher=world.acme, sensitivity=Sensitivity.PUBLIC, title_ko="진동 동센 센서"
    )
    catalog["scattered"] = scattered

    assert search("진동센서") == {"contiguous", "scattered"}
