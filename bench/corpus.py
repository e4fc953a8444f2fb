"""Synthetic but plausible catalog content: member firms and their Korean/English datasets.

Everything comes from one seeded `random.Random`, so two seeds with the same sizes produce the
same catalog (timestamps are relative to the seeding day). Titles combine a site, a process of
the dataset's division and a kind of data of its theme; descriptions, keywords, formats and
licences follow the theme. Search columns are filled exactly as `datasets.services` does.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from accounts.validators import make_business_registration_number
from datasets.search import document_tokens

# --- vocabulary -------------------------------------------------------------------------------

# Processes and equipment per division code: (Korean, English).
DIVISION_TOPICS: dict[str, list[tuple[str, str]]] = {
    "ai-factory": [
        ("CNC 가공", "CNC machining"),
        ("사출 성형", "injection moulding"),
        ("프레스 성형", "press forming"),
        ("용접 공정", "welding"),
        ("도장 공정", "paint shop"),
        ("열처리로", "heat-treatment furnace"),
        ("조립 라인", "assembly line"),
        ("다이캐스팅", "die casting"),
    ],
    "ai-manufacturing-services": [
        ("설비 예지보전", "predictive maintenance"),
        ("공정 최적화", "process optimisation"),
        ("품질 예측", "quality prediction"),
        ("디지털 트윈", "digital twin"),
        ("에너지 관리", "energy management"),
    ],
    "ai-logistics": [
        ("물류센터 피킹", "warehouse picking"),
        ("컨베이어 분류", "conveyor sorting"),
        ("AGV 주행", "AGV navigation"),
        ("수요 예측", "demand forecasting"),
        ("콜드체인 배송", "cold-chain delivery"),
    ],
    "autonomous-vehicles": [
        ("라이다 주행", "lidar driving"),
        ("전장부품 검사", "automotive electronics testing"),
        ("배터리 팩 조립", "battery pack assembly"),
        ("도심 주행", "urban driving"),
        ("주행 인지", "driving perception"),
    ],
    "humanoids": [
        ("휴머노이드 보행", "humanoid locomotion"),
        ("로봇 손 파지", "robot hand grasping"),
        ("협동로봇 조립", "cobot assembly"),
        ("관절 구동기", "joint actuators"),
        ("원격 조작 시연", "teleoperation demonstrations"),
    ],
    "autonomous-ships": [
        ("선박 엔진", "ship engine"),
        ("항해 레이더", "navigation radar"),
        ("선체 블록 용접", "hull block welding"),
        ("항만 접안", "port berthing"),
        ("추진축 계통", "propulsion shafting"),
    ],
    "ai-home-appliances": [
        ("냉장고 압축기", "refrigerator compressor"),
        ("세탁기 모터", "washing-machine motor"),
        ("에어컨 실외기", "air-conditioner outdoor unit"),
        ("가전 조립", "appliance assembly"),
        ("로봇청소기 주행", "robot vacuum navigation"),
    ],
    "ai-defence": [
        ("방산 부품 가공", "defence parts machining"),
        ("추진기관 시험", "propulsion testing"),
        ("정밀 광학 검사", "precision optics inspection"),
        ("복합소재 성형", "composite moulding"),
    ],
    "ai-bio": [
        ("세포 배양", "cell culture"),
        ("바이오리액터", "bioreactor"),
        ("의약품 충전", "drug filling"),
        ("발효 공정", "fermentation"),
        ("동결건조", "freeze drying"),
    ],
    "ai-semiconductors": [
        ("웨이퍼 검사", "wafer inspection"),
        ("식각 공정", "etching"),
        ("증착 장비", "deposition equipment"),
        ("반도체 패키징", "semiconductor packaging"),
        ("CMP 연마", "CMP polishing"),
    ],
}

# Kinds of data per theme, with keywords: (Korean, English, keywords).
THEME_KINDS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "sensor_time_series": [
        ("진동센서 데이터", "vibration sensor data", ("진동", "vibration", "센서")),
        ("온도센서 시계열", "temperature sensor time series", ("온도", "temperature")),
        ("전류센서 계측값", "current sensor readings", ("전류", "current", "sensor")),
        ("음향센서 신호", "acoustic sensor signals", ("음향", "acoustic")),
        ("압력센서 로그", "pressure sensor logs", ("압력", "pressure")),
        ("가속도센서 시계열", "accelerometer time series", ("가속도", "vibration")),
    ],
    "machine_vision_images": [
        ("표면 결함 이미지", "surface defect images", ("결함", "defect", "비전검사")),
        ("비전 검사 영상", "vision inspection images", ("비전검사", "machine vision")),
        ("열화상 이미지", "thermal images", ("열화상", "thermal")),
        ("엑스레이 검사 이미지", "X-ray inspection images", ("엑스레이", "x-ray")),
    ],
    "process_quality_records": [
        ("공정 품질 기록", "process quality records", ("품질", "quality")),
        ("검사 성적서", "inspection reports", ("검사", "inspection")),
        ("불량 유형 이력", "defect history", ("불량", "defect")),
        ("공정 파라미터", "process parameters", ("공정", "parameters")),
    ],
    "maintenance_logs": [
        ("설비 정비 이력", "maintenance logs", ("정비", "maintenance")),
        ("고장 보고서", "failure reports", ("고장", "failure")),
        ("설비 알람 이력", "alarm history", ("알람", "alarm")),
    ],
    "robot_trajectories": [
        ("로봇 궤적", "robot trajectories", ("로봇", "trajectory")),
        ("모션 캡처", "motion capture", ("모션캡처", "mocap")),
        ("관절 상태 로그", "joint state logs", ("관절", "joint states")),
    ],
    "cad_3d": [
        ("3D CAD 모델", "3D CAD models", ("CAD", "3D")),
        ("포인트 클라우드", "point clouds", ("포인트클라우드", "point cloud")),
        ("금형 설계 도면", "mould drawings", ("금형", "mould")),
    ],
    "documents": [
        ("작업 표준서", "work instructions", ("표준서", "SOP")),
        ("설비 매뉴얼", "equipment manuals", ("매뉴얼", "manual")),
        ("안전 점검 문서", "safety inspection documents", ("안전", "safety")),
    ],
    "energy": [
        ("전력 사용량", "power consumption", ("전력", "energy")),
        ("압축공기 사용량", "compressed-air usage", ("압축공기", "utilities")),
        ("탄소 배출량", "carbon emissions", ("탄소", "carbon")),
    ],
    "logistics": [
        ("입출고 이력", "inbound and outbound records", ("입출고", "warehouse")),
        ("재고 스냅샷", "inventory snapshots", ("재고", "inventory")),
        ("배송 경로", "delivery routes", ("배송", "routing")),
    ],
    "simulation": [
        ("합성 결함 이미지", "synthetic defect images", ("합성데이터", "synthetic")),
        ("공정 시뮬레이션 결과", "process simulation results", ("시뮬레이션", "simulation")),
        ("디지털 트윈 시나리오", "digital-twin scenarios", ("디지털트윈", "digital twin")),
    ],
    "other": [
        ("작업자 동선", "worker movement", ("동선", "ergonomics")),
        ("현장 설문 데이터", "shop-floor survey data", ("설문", "survey")),
    ],
}

THEME_WEIGHTS: dict[str, int] = {
    "sensor_time_series": 28,
    "machine_vision_images": 18,
    "process_quality_records": 14,
    "maintenance_logs": 9,
    "robot_trajectories": 7,
    "cad_3d": 4,
    "documents": 4,
    "energy": 6,
    "logistics": 5,
    "simulation": 3,
    "other": 2,
}

THEME_FORMATS: dict[str, tuple[str, ...]] = {
    "sensor_time_series": ("csv", "parquet", "hdf5", "jsonl"),
    "machine_vision_images": ("png", "jpeg", "tiff", "zip", "json"),
    "process_quality_records": ("csv", "tsv", "parquet", "xml"),
    "maintenance_logs": ("csv", "jsonl", "json", "pdf"),
    "robot_trajectories": ("hdf5", "parquet", "mp4", "jsonl"),
    "cad_3d": ("stl", "step", "zip"),
    "documents": ("pdf", "xml", "zip"),
    "energy": ("csv", "parquet", "json"),
    "logistics": ("csv", "json", "parquet"),
    "simulation": ("png", "hdf5", "parquet", "zip"),
    "other": ("csv", "pdf", "json"),
}

SITES: list[tuple[str, str]] = [
    ("창원 공장", "Changwon plant"),
    ("울산 공장", "Ulsan plant"),
    ("평택 캠퍼스", "Pyeongtaek campus"),
    ("구미 사업장", "Gumi site"),
    ("시흥 스마트공단", "Siheung industrial complex"),
    ("광주 공장", "Gwangju plant"),
    ("거제 조선소", "Geoje shipyard"),
    ("화성 사업장", "Hwaseong site"),
    ("천안 공장", "Cheonan plant"),
    ("인천 물류센터", "Incheon logistics centre"),
    ("오송 바이오단지", "Osong bio cluster"),
    ("대구 공장", "Daegu plant"),
    ("부산 항만", "Busan port"),
    ("판교 연구소", "Pangyo lab"),
    ("청주 사업장", "Cheongju site"),
    ("아산 공장", "Asan plant"),
]

PURPOSES: list[tuple[str, str]] = [
    ("이상 탐지", "anomaly detection"),
    ("예지보전", "predictive maintenance"),
    ("불량 분류", "defect classification"),
    ("수요 예측", "demand forecasting"),
    ("공정 최적화", "process optimisation"),
    ("로봇 모방학습", "robot imitation learning"),
    ("잔여수명 예측", "remaining useful life prediction"),
    ("품질 예측", "quality prediction"),
]

SAMPLING: list[tuple[str, str]] = [
    ("1kHz", "1 kHz"),
    ("10kHz", "10 kHz"),
    ("1초", "one second"),
    ("10초", "ten seconds"),
    ("1분", "one minute"),
    ("교대 근무별", "each shift"),
]

GENERIC_KEYWORDS = (
    "스마트공장",
    "smart factory",
    "제조AI",
    "manufacturing AI",
    "M.AX",
    "학습데이터",
)

FAMILY_NAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오")
GIVEN_NAMES = ("민준", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지민", "현우", "서윤")

ORG_PREFIXES: list[tuple[str, str]] = [
    ("한빛", "hanbit"),
    ("대성", "daesung"),
    ("세진", "sejin"),
    ("동양", "dongyang"),
    ("삼원", "samwon"),
    ("미래", "mirae"),
    ("신성", "shinsung"),
    ("우진", "woojin"),
    ("태광", "taekwang"),
    ("새한", "saehan"),
    ("금강", "geumgang"),
    ("한울", "hanul"),
    ("누리", "nuri"),
    ("다온", "daon"),
    ("보람", "boram"),
    ("청암", "cheongam"),
]
ORG_SECTORS: list[tuple[str, str, str]] = [
    ("정밀", "precision", "manufacturer"),
    ("로보틱스", "robotics", "ai_company"),
    ("테크", "tech", "ai_company"),
    ("소재", "materials", "materials_supplier"),
    ("오토메이션", "automation", "parts_supplier"),
    ("중공업", "heavy-industries", "manufacturer"),
    ("전자", "electronics", "manufacturer"),
    ("바이오", "bio", "manufacturer"),
    ("물류", "logistics", "manufacturer"),
    ("시스템즈", "systems", "ai_company"),
    ("모빌리티", "mobility", "manufacturer"),
    ("부품", "parts", "parts_supplier"),
    ("연구원", "institute", "research_institute"),
    ("대학교 산학협력단", "university", "university"),
    ("진흥원", "agency", "public_agency"),
]

LICENSE_WEIGHTS: dict[str, int] = {
    "CC-BY-4.0": 14,
    "CC-BY-SA-4.0": 3,
    "CC-BY-NC-4.0": 8,
    "CC0-1.0": 3,
    "KOGL-Type-1": 6,
    "KOGL-Type-2": 2,
    "KOGL-Type-3": 2,
    "KOGL-Type-4": 2,
    "MAX-DSA-1.0": 35,
    "proprietary": 25,
}
SENSITIVITY_WEIGHTS: dict[str, int] = {
    "public": 35,
    "members": 40,
    "confidential": 15,
    "restricted": 10,
}
STATUS_WEIGHTS: dict[str, int] = {"published": 85, "deprecated": 5, "draft": 7, "withdrawn": 3}
FREQUENCY_WEIGHTS: dict[str, int] = {
    "continuous": 8,
    "daily": 15,
    "weekly": 12,
    "monthly": 15,
    "quarterly": 6,
    "annual": 4,
    "irregular": 25,
    "never": 15,
}
SIZE_WEIGHTS: dict[str, int] = {
    "large": 8,
    "midsize": 15,
    "sme": 52,
    "startup": 20,
    "not_applicable": 5,
}


def uuid7_at(moment: dt.datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for `moment`, laid out as `common.models.uuid7` lays out the current time."""
    unix_ms = int(moment.timestamp() * 1000)
    rand = rng.getrandbits(80)
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def _weighted(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    keys = list(weights)
    cumulative: list[int] = []
    total = 0
    for key in keys:
        total += weights[key]
        cumulative.append(total)
    return keys, cumulative


def _slugify_ascii(text: str) -> str:
    out = []
    for char in text.lower():
        out.append(char if char.isascii() and char.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


# --- organisations ----------------------------------------------------------------------------


class OrganizationRow(NamedTuple):
    created_at: dt.datetime
    modified_at: dt.datetime
    slug: str
    name_ko: str
    name_en: str
    kind: str
    size: str
    business_registration_number: str
    website: str


ORGANIZATION_COLUMNS = OrganizationRow._fields


def organizations(rng: random.Random, count: int, now: dt.datetime) -> list[OrganizationRow]:
    sizes, size_cum = _weighted(SIZE_WEIGHTS)
    # Unique first nine digits give unique, valid registration numbers.
    first_nines = rng.sample(range(101_000_000, 1_000_000_000), count)
    rows: list[OrganizationRow] = []
    for index in range(count):
        prefix_ko, prefix_en = ORG_PREFIXES[index % len(ORG_PREFIXES)]
        sector_ko, sector_en, kind = ORG_SECTORS[(index // len(ORG_PREFIXES)) % len(ORG_SECTORS)]
        slug = f"{prefix_en}-{sector_en}-{index + 1:04d}"
        created = now - dt.timedelta(days=100 * rng.random() ** 0.5 + 1, seconds=rng.random())
        rows.append(
            OrganizationRow(
                created_at=created,
                modified_at=created + dt.timedelta(days=rng.random() * 30),
                slug=slug,
                name_ko=f"{prefix_ko}{sector_ko} {index + 1}",
                name_en=f"{prefix_en.title()} {sector_en.replace('-', ' ').title()} {index + 1}",
                kind=kind,
                size=rng.choices(sizes, cum_weights=size_cum)[0],
                business_registration_number=make_business_registration_number(
                    f"{first_nines[index]:09d}"
                ),
                website=f"https://www.{slug}.example.kr",
            )
        )
    return rows


def organization_divisions(
    rng: random.Random, organization_ids: Sequence[int], division_ids: dict[str, int]
) -> dict[int, list[int]]:
    """One to three divisions per organisation; humanoids draws the most members, as in 2025."""
    codes = list(division_ids)
    weights = [3 if code == "humanoids" else 2 if code == "ai-factory" else 1 for code in codes]
    result: dict[int, list[int]] = {}
    for org_id in organization_ids:
        picked = {rng.choices(codes, weights=weights)[0] for _ in range(rng.choice((1, 1, 2, 3)))}
        result[org_id] = sorted(division_ids[code] for code in picked)
    return result


# --- datasets ---------------------------------------------------------------------------------


class DatasetRow(NamedTuple):
    id: uuid.UUID
    created_at: dt.datetime
    modified_at: dt.datetime
    slug: str
    title_ko: str
    title_en: str
    description_ko: str
    description_en: str
    keywords: list[str]
    theme: str
    formats: list[str]
    temporal_start: dt.date | None
    temporal_end: dt.date | None
    spatial: str
    update_frequency: str
    license: str
    sensitivity: str
    contact_name: str
    contact_email: str
    status: str
    published_at: dt.datetime | None
    search_title: str
    search_body: str
    division_id: int
    publisher_id: int
    compatibility_mode: str


DATASET_COLUMNS = DatasetRow._fields


class VersionRow(NamedTuple):
    id: uuid.UUID
    created_at: dt.datetime
    modified_at: dt.datetime
    dataset_id: uuid.UUID
    version: str
    release_notes: str
    record_count: int | None
    byte_size: int | None
    status: str
    published_at: dt.datetime | None
    schema_kind: str
    waiver_reason: str


VERSION_COLUMNS = VersionRow._fields


@dataclass(frozen=True)
class Publisher:
    id: int
    slug: str
    division_ids: tuple[int, ...]


def _describe_ko(
    rng: random.Random, site: str, topic: str, kind: str, theme: str, purpose: str, records: int
) -> str:
    sampling = rng.choice(SAMPLING)[0]
    sentences = [
        f"{site}의 {topic} 설비에서 {rng.randint(2, 36)}개월 동안 수집한 {kind}입니다.",
        f"수집 주기는 {sampling}이며 총 {records:,}건의 레코드로 구성됩니다.",
        f"{purpose} 모델 학습과 검증을 위해 전문가가 라벨링했습니다.",
    ]
    if theme in ("sensor_time_series", "maintenance_logs", "energy") or rng.random() < 0.15:
        sentences.append(
            f"설비에 부착된 센서 {rng.randint(3, 64)}개의 값과 가동 상태를 포함합니다."
        )
    if rng.random() < 0.6:
        sentences.append("개인정보와 영업비밀은 제거했으며 활용 전 이용 목적을 밝혀 주십시오.")
    if rng.random() < 0.4:
        sentences.append("M.AX 얼라이언스 실증 과제의 결과물로 공개되었습니다.")
    return " ".join(sentences)


def _describe_en(
    rng: random.Random, site: str, topic: str, kind: str, theme: str, purpose: str, records: int
) -> str:
    sampling = rng.choice(SAMPLING)[1]
    sentences = [
        f"{kind.capitalize()} collected over {rng.randint(2, 36)} months from {topic} "
        f"equipment at the {site}.",
        f"Sampled every {sampling}; {records:,} records in total.",
        f"Labelled by domain experts for training and validating {purpose} models.",
    ]
    if theme in ("sensor_time_series", "maintenance_logs", "energy") or rng.random() < 0.15:
        sentences.append(
            f"Includes readings from {rng.randint(3, 64)} sensors and the machine state."
        )
    if rng.random() < 0.5:
        sentences.append("Personal data and trade secrets were removed before release.")
    return " ".join(sentences)


def datasets(
    rng: random.Random,
    count: int,
    publishers: Sequence[Publisher],
    division_codes: dict[int, str],
    now: dt.datetime,
    versions: list[VersionRow],
) -> Iterator[DatasetRow]:
    """Yield `count` datasets; append their versions to `versions` as a side list."""
    themes, theme_cum = _weighted(THEME_WEIGHTS)
    licenses, license_cum = _weighted(LICENSE_WEIGHTS)
    sensitivities, sensitivity_cum = _weighted(SENSITIVITY_WEIGHTS)
    statuses, status_cum = _weighted(STATUS_WEIGHTS)
    frequencies, frequency_cum = _weighted(FREQUENCY_WEIGHTS)
    # A few firms publish a lot and most publish a little (Zipf-like, exponent 0.7).
    publisher_cum: list[float] = []
    total = 0.0
    for rank in range(1, len(publishers) + 1):
        total += rank**-0.7
        publisher_cum.append(total)
    span = dt.timedelta(days=730)
    for index in range(count):
        publisher = rng.choices(publishers, cum_weights=publisher_cum)[0]
        division_id = rng.choice(publisher.division_ids)
        topic_ko, topic_en = rng.choice(DIVISION_TOPICS[division_codes[division_id]])
        theme = rng.choices(themes, cum_weights=theme_cum)[0]
        kind_ko, kind_en, kind_keywords = rng.choice(THEME_KINDS[theme])
        site_ko, site_en = rng.choice(SITES)
        purpose_ko, purpose_en = rng.choice(PURPOSES)
        year = rng.randint(2019, now.year)

        title_ko = f"{site_ko} {topic_ko} {kind_ko}"
        title_en = f"{kind_en.capitalize()} from {topic_en} at the {site_en}"
        if rng.random() < 0.3:
            title_ko += f" ({year}년)"
            title_en += f" ({year})"
        language = rng.random()
        records = rng.randint(1_000, 50_000_000)
        description_ko = _describe_ko(rng, site_ko, topic_ko, kind_ko, theme, purpose_ko, records)
        description_en = _describe_en(rng, site_en, topic_en, kind_en, theme, purpose_en, records)
        if language < 0.10:  # Korean only
            title_en = description_en = ""
        elif language < 0.15:  # English only
            title_ko = description_ko = ""

        keywords = list(
            dict.fromkeys(
                [
                    topic_ko.split()[0],
                    *kind_keywords,
                    purpose_ko.replace(" ", ""),
                    purpose_en,
                    *rng.sample(GENERIC_KEYWORDS, rng.randint(0, 2)),
                ]
            )
        )
        formats = rng.sample(
            THEME_FORMATS[theme], rng.randint(1, min(3, len(THEME_FORMATS[theme])))
        )

        created = now - span * (rng.random() ** 1.6)
        modified = created + (now - created) * (rng.random() ** 2)
        status = rng.choices(statuses, cum_weights=status_cum)[0]
        published = (
            created + (modified - created) * rng.random()
            if status in ("published", "deprecated", "withdrawn")
            else None
        )
        temporal_start: dt.date | None = None
        temporal_end: dt.date | None = None
        shape = rng.random()
        if shape < 0.85:
            temporal_start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
            if shape < 0.80:
                temporal_end = temporal_start + dt.timedelta(days=rng.randint(0, 700))
        dataset_id = uuid7_at(created, rng)
        slug_base = _slugify_ascii(title_en)[:90] or "dataset"
        contact = rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)

        yield DatasetRow(
            id=dataset_id,
            created_at=created,
            modified_at=modified,
            slug=f"{slug_base}-{index + 1:06d}",
            title_ko=title_ko,
            title_en=title_en,
            description_ko=description_ko,
            description_en=description_en,
            keywords=keywords,
            theme=theme,
            formats=formats,
            temporal_start=temporal_start,
            temporal_end=temporal_end,
            spatial=site_ko,
            update_frequency=rng.choices(frequencies, cum_weights=frequency_cum)[0],
            license=rng.choices(licenses, cum_weights=license_cum)[0],
            sensitivity=rng.choices(sensitivities, cum_weights=sensitivity_cum)[0],
            contact_name=contact,
            contact_email=f"data{rng.randint(1, 9)}@{publisher.slug}.example.kr",
            status=status,
            published_at=published,
            # Exactly what datasets.services.dataset_index stores.
            search_title=document_tokens(title_ko, title_en, " ".join(keywords)),
            search_body=document_tokens(description_ko, description_en),
            division_id=division_id,
            publisher_id=publisher.id,
            compatibility_mode="backward",
        )
        versions.extend(_versions(rng, dataset_id, status, created, modified, records))


def _versions(
    rng: random.Random,
    dataset_id: uuid.UUID,
    status: str,
    created: dt.datetime,
    modified: dt.datetime,
    records: int,
) -> list[VersionRow]:
    if status == "draft":
        published_count, draft = 0, rng.random() < 0.5
    else:
        published_count = rng.choices((1, 2, 3, 4), weights=(50, 30, 15, 5))[0]
        draft = rng.random() < 0.1
    rows: list[VersionRow] = []
    step = (modified - created) / (published_count + 1)
    for number in range(published_count + int(draft)):
        is_draft = number == published_count
        moment = created + step * (number + 1) * rng.uniform(0.8, 1.0)
        rows.append(
            VersionRow(
                id=uuid7_at(moment, rng),
                created_at=moment,
                modified_at=moment,
                dataset_id=dataset_id,
                version=f"1.{number}.0",
                release_notes="초기 공개" if number == 0 else f"{number}차 보완: 라벨 오류 수정",
                record_count=records * (number + 1) // (published_count + int(draft)),
                byte_size=records * rng.randint(40, 4000),
                status="draft" if is_draft else "published",
                published_at=None if is_draft else moment,
                schema_kind="",
                waiver_reason="",
            )
        )
    return rows
