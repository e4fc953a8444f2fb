"""`manage.py seed_demo`: a realistic demo alliance: organisations, people and ~300 datasets.

Deterministic (one `random.Random(SEED)` drives a plan computed before touching the database) and
idempotent: organisations are keyed by slug, users by email, memberships by (user, organisation),
division leads by (user, division) and datasets by slug. A dataset that exists is left alone with
its versions, whatever happened to it since, so a second run creates and changes nothing.
Datasets go through the catalog services, so their search fields and timestamps are filled as in
real use. The demo accounts are printed and written to `<BASE_DIR>/.data/demo-accounts.json`.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from accounts import services as account_services
from accounts.models import (
    Division,
    DivisionLead,
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    OrganizationSize,
    User,
)
from accounts.validators import make_business_registration_number
from datasets import services
from datasets.models import (
    DataFormat,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    License,
    Sensitivity,
    Theme,
    UpdateFrequency,
)
from demo import data
from demo.sharing import seed_sharing_demo

ACCOUNTS_FILE = Path(".data") / "demo-accounts.json"
EMAIL_DOMAIN = "example.kr"
EARLIEST_COVERAGE = date(2021, 1, 1)
LATEST_COVERAGE = date(2025, 12, 31)
MONTHS_EN = [m[:3] for m in calendar.month_name[1:]]


# --- the plan: everything decided up front, without the database -------------------------------


@dataclass
class AccountPlan:
    email: str
    full_name: str
    role: str  # org_admin, data_steward, member, division_lead or secretariat
    organization: str | None = None
    division: str | None = None
    is_superuser: bool = False

    def as_json(self) -> dict[str, str | None]:
        return {
            "email": self.email,
            "password": data.PASSWORD,
            "role": self.role,
            "organization": self.organization,
            "division": self.division,
        }


@dataclass
class VersionPlan:
    version: str
    release_notes: str
    record_count: int
    byte_size: int
    publish: bool
    distributions: list[dict[str, Any]]


@dataclass
class DatasetPlan:
    slug: str
    publisher: str
    division: str
    status: str
    fields: dict[str, Any]
    versions: list[VersionPlan]


@dataclass
class OrganizationPlan:
    slug: str
    fields: dict[str, Any]
    divisions: list[str]
    accounts: list[AccountPlan]
    datasets: list[DatasetPlan] = field(default_factory=list)


@dataclass
class Plan:
    organizations: list[OrganizationPlan]
    leads: list[AccountPlan]
    secretariat: list[AccountPlan]

    @property
    def accounts(self) -> list[AccountPlan]:
        """All accounts, the featured ones first (see demo.data.FEATURED_ACCOUNTS)."""
        every = [a for org in self.organizations for a in org.accounts]
        every += self.leads + self.secretariat
        order = {email: index for index, email in enumerate(data.FEATURED_ACCOUNTS)}
        return sorted(every, key=lambda a: order.get(a.email, len(order)))  # stable

    @property
    def datasets(self) -> list[DatasetPlan]:
        return [d for org in self.organizations for d in org.datasets]


def _person(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _lower_first(words: str) -> str:
    """'Weld bead' -> 'weld bead', but 'CNC machining' and 'EV battery pack' stay."""
    return words if words[1:2].isupper() else words[:1].lower() + words[1:]


def _sensitivity_group(kind: str) -> str:
    if kind in (OrganizationKind.RESEARCH_INSTITUTE, OrganizationKind.UNIVERSITY):
        return "research"
    if kind == OrganizationKind.PUBLIC_AGENCY:
        return "public_agency"
    return "company"


def _weighted(rng: random.Random, weights: dict[str, float] | dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _license(rng: random.Random, sensitivity: str, kind: str) -> str:
    if sensitivity == Sensitivity.PUBLIC:
        if kind == OrganizationKind.PUBLIC_AGENCY:
            return rng.choice([License.KOGL_TYPE_1, License.KOGL_TYPE_1, License.KOGL_TYPE_3])
        if kind in (OrganizationKind.RESEARCH_INSTITUTE, OrganizationKind.UNIVERSITY):
            return rng.choice([License.CC_BY_4_0, License.CC_BY_4_0, License.CC0_1_0])
        return rng.choice([License.CC_BY_NC_4_0, License.CC_BY_4_0, License.CC_BY_SA_4_0])
    if sensitivity == Sensitivity.MEMBERS:
        return rng.choice([License.ALLIANCE_DATA_SHARING] * 4 + [License.CC_BY_NC_4_0])
    return rng.choice([License.PROPRIETARY, License.ALLIANCE_DATA_SHARING])


def _version_labels(
    rng: random.Random, count: int, frequency: str, start: date, end: date
) -> list[str]:
    """Semantic versions, or release months (within the coverage) for calendar refreshes."""
    if frequency in (UpdateFrequency.MONTHLY, UpdateFrequency.QUARTERLY, UpdateFrequency.DAILY):
        step = 3 if frequency == UpdateFrequency.QUARTERLY else rng.choice([1, 2, 3])
        span = (end.year - start.year) * 12 + end.month - start.month
        step = max(1, min(step, span // max(1, count - 1)))
        months = [_add_months(end, -step * (count - 1 - i)) for i in range(count)]
        return [f"{m.year}-{m.month:02d}" for m in months]
    labels, major, minor = [], 1, 0
    for _ in range(count):
        labels.append(f"{major}.{minor}.0")
        if rng.random() < 0.3:
            major, minor = major + 1, 0
        else:
            minor += 1
    return labels


def _distributions(
    rng: random.Random, org_slug: str, slug: str, version: str, formats: list[str], size: int
) -> list[dict[str, Any]]:
    count = 2 if len(formats) > 1 and rng.random() < 0.55 else 1
    shares = [1.0] if count == 1 else [0.85, 0.15]
    result = []
    for fmt, share in zip(formats[:count], shares, strict=True):
        archived = fmt in data.ARCHIVED_FORMATS
        media_type, ext = data.FORMAT_FILES["zip" if archived else fmt]
        name = f"{slug}-{fmt}.{ext}" if archived else f"{slug}.{ext}"
        label = DataFormat(fmt).label
        result.append(
            {
                "title": f"{label} archive ({version})" if archived else f"{label} ({version})",
                "format": DataFormat.ZIP if archived else fmt,
                "media_type": media_type,
                "byte_size": max(1024, int(size * share)),
                "sha256": hashlib.sha256(f"{slug}/{version}/{name}".encode()).hexdigest(),
                "access_url": f"https://data.{org_slug}.{EMAIL_DOMAIN}/datasets/{slug}/"
                f"{version}/{name}",
            }
        )
    return result


def _versions(
    rng: random.Random,
    org_slug: str,
    slug: str,
    status: str,
    kind: dict[str, Any],
    frequency: str,
    start: date,
    end: date,
) -> list[VersionPlan]:
    if status == DatasetStatus.DRAFT:
        count = 1 if rng.random() < 0.4 else 0
    else:
        # Every dataset that was ever published has a published version with data: a request
        # for one without is refused, and publishing needs one.
        count = max(1, rng.choices([0, 1, 2, 3], weights=[15, 40, 30, 15])[0])
    labels = _version_labels(rng, count, frequency, start, end)
    low, high = kind["records"]
    records = rng.randint(low, high)
    # The last version of a published dataset may still be in preparation, when an earlier
    # one is out.
    last_is_draft = status == DatasetStatus.DRAFT or (
        status == DatasetStatus.PUBLISHED and rng.random() < 0.2 and count > 1
    )
    versions = []
    for index, label in enumerate(labels):
        if index == 0:
            notes = (
                f"최초 공개: {start.year}년 {start.month}월~{end.year}년 {end.month}월 "
                f"데이터 {records:,}건.\nInitial release: {records:,} {kind['unit']}, "
                f"{MONTHS_EN[start.month - 1]} {start.year} to {MONTHS_EN[end.month - 1]} "
                f"{end.year}."
            )
        else:
            records = int(records * rng.uniform(1.1, 1.6))
            ko, en = rng.choice(data.RELEASE_NOTES)
            values = {"months": rng.choice([3, 6, 12]), "machines": rng.randint(2, 12)}
            notes = f"{ko.format(**values)}\n{en.format(**values)}"
        size = int(records * kind["bytes"] * rng.uniform(0.7, 1.3))
        versions.append(
            VersionPlan(
                version=label,
                release_notes=notes,
                record_count=records,
                byte_size=size,
                publish=not (last_is_draft and index == count - 1),
                distributions=_distributions(rng, org_slug, slug, label, kind["formats"], size),
            )
        )
    return versions


def _pick_publisher(
    rng: random.Random, topic: dict[str, Any], candidates: list[dict[str, Any]]
) -> dict[str, Any]:
    preferred = [o for o in candidates if o["slug"] in topic.get("by", [])]
    if preferred and rng.random() < 0.6:
        return rng.choice(preferred)
    return rng.choices(candidates, weights=[data.PUBLISHER_WEIGHTS[o["kind"]] for o in candidates])[
        0
    ]


def _dataset(
    rng: random.Random,
    topic: dict[str, Any],
    kind_key: str,
    division: str,
    org: dict[str, Any],
    steward: AccountPlan,
    qualify: bool,
    used_slugs: set[str],
) -> DatasetPlan:
    kind = data.DATA_KINDS[kind_key]
    # A site may list the divisions it serves; otherwise it serves all of the organisation's.
    sites = [site for site in org["sites"] if len(site) > 2 and division in site[2]]
    site_ko, site_en = rng.choice(sites or org["sites"])[:2]
    title_ko = f"{topic['ko']} {kind['ko']}"
    title_en = f"{topic['en']} {kind['en']}"
    if qualify:  # the same topic again, from another plant
        title_ko += f" ({site_ko})"
        title_en += f" ({site_en})"
    slug = slugify(title_en)[:100].strip("-")
    if slug in used_slugs:
        slug = f"{slug}-{org['slug']}"[:120].strip("-")
    used_slugs.add(slug)

    start = _add_months(EARLIEST_COVERAGE, rng.randint(0, 53))  # up to mid-2025
    end = min(_month_end(_add_months(start, rng.randint(3, 30))), LATEST_COVERAGE)
    status = _weighted(rng, data.STATUS_WEIGHTS)
    sensitivity = _weighted(rng, data.SENSITIVITY_WEIGHTS[_sensitivity_group(org["kind"])])
    frequency = rng.choice(kind["frequencies"])
    if status in (DatasetStatus.DEPRECATED, DatasetStatus.WITHDRAWN) and rng.random() < 0.5:
        frequency = UpdateFrequency.NEVER

    use_ko, use_en = data.THEME_USES[kind["theme"]]
    description_ko = (
        f"{org['name_ko']} {site_ko}에서 {start.year}년 {start.month}월부터 "
        f"{end.year}년 {end.month}월까지 수집한 {topic['ko']} {kind['ko']}입니다. "
        f"{kind['detail_ko']} {use_ko}"
    )
    description_en = (
        f"{kind['en'][0].upper()}{kind['en'][1:]} from {_lower_first(topic['en'])} "
        f"at {org['name_en']}, {site_en}, collected from "
        f"{MONTHS_EN[start.month - 1]} {start.year} to {MONTHS_EN[end.month - 1]} {end.year}. "
        f"{kind['detail_en']} {use_en}"
    )
    if sensitivity in (Sensitivity.CONFIDENTIAL, Sensitivity.RESTRICTED):
        description_ko += f" {data.ACCESS_NOTE[0]}"
        description_en += f" {data.ACCESS_NOTE[1]}"
    keywords: list[str] = []
    for word in [*topic["keywords"], *kind["keywords"]]:
        if word.lower() not in {k.lower() for k in keywords}:
            keywords.append(word)

    fields = {
        "title_ko": title_ko,
        "title_en": title_en,
        "description_ko": description_ko,
        "description_en": description_en,
        "keywords": keywords,
        "theme": Theme(kind["theme"]),
        "formats": list(kind["formats"]),
        "temporal_start": start,
        "temporal_end": end,
        "spatial": site_ko,
        "update_frequency": frequency,
        "license": _license(rng, sensitivity, org["kind"]),
        "sensitivity": sensitivity,
        "contact_name": steward.full_name,
        "contact_email": steward.email,
    }
    versions = _versions(rng, org["slug"], slug, status, kind, frequency, start, end)
    return DatasetPlan(slug, org["slug"], division, status, fields, versions)


def build_plan() -> Plan:
    """The whole demo, from the seed alone: the same plan on every run and every machine."""
    rng = random.Random(data.SEED)
    organizations: list[OrganizationPlan] = []
    by_slug: dict[str, OrganizationPlan] = {}
    for org in data.ORGANIZATIONS:
        domain = f"{org['slug']}.{EMAIL_DOMAIN}"
        people = data.ORGANIZATION_USERS + data.EXTRA_USERS_BY_SIZE.get(org["size"], [])
        accounts = [
            AccountPlan(
                email=f"{local}@{domain}",
                full_name=_person(rng),
                role=role,
                organization=org["slug"],
                division=org["divisions"][0],
            )
            for local, role in people
        ]
        plan = OrganizationPlan(
            slug=org["slug"],
            fields={
                "slug": org["slug"],
                "name_ko": org["name_ko"],
                "name_en": org["name_en"],
                "kind": OrganizationKind(org["kind"]),
                "size": OrganizationSize(org["size"]),
                "business_registration_number": make_business_registration_number(
                    org["brn"].replace("-", "")
                ),
                "website": f"https://www.{domain}",
            },
            divisions=list(org["divisions"]),
            accounts=accounts,
        )
        organizations.append(plan)
        by_slug[org["slug"]] = plan

    used_slugs: set[str] = set()
    for division, target in data.DATASETS_PER_DIVISION.items():
        candidates = [o for o in data.ORGANIZATIONS if division in o["divisions"]]
        combos = [(t, k) for t in data.TOPICS[division] for k in t["kinds"]]
        rng.shuffle(combos)
        picks = [(t, k, False) for t, k in combos[:target]]
        # More datasets than topic-kind pairs: the same pairs again, from other plants.
        picks += [(t, k, True) for t, k in rng.sample(combos, max(0, target - len(combos)))]
        for topic, kind_key, qualify in picks:
            org = _pick_publisher(rng, topic, candidates)
            owner = by_slug[org["slug"]]
            steward = next(a for a in owner.accounts if a.role == MembershipRole.DATA_STEWARD)
            owner.datasets.append(
                _dataset(rng, topic, kind_key, division, org, steward, qualify, used_slugs)
            )

    leads = [
        AccountPlan(
            email=f"lead-{code}@{data.ALLIANCE_DOMAIN}",
            full_name=_person(rng),
            role="division_lead",
            division=code,
        )
        for code in data.DIVISION_LEADS
    ]
    secretariat = [
        AccountPlan(
            email=f"{local}@{data.ALLIANCE_DOMAIN}",
            full_name=_person(rng),
            role="secretariat",
            is_superuser=is_superuser,
        )
        for local, is_superuser in data.SECRETARIAT
    ]
    return Plan(organizations, leads, secretariat)


# --- applying the plan -------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Seed a realistic demo: ~40 organisations, their people, division leads, the "
        "secretariat and ~300 datasets with versions. Deterministic; safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Print only the summary, not the accounts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        plan = build_plan()
        self.created: Counter[str] = Counter()
        self.password_hash = ""  # hashed once, and only if a user is missing

        divisions = {d.code: d for d in Division.objects.all()}
        missing = {d for org in plan.organizations for d in org.divisions} - set(divisions)
        missing |= set(data.DATASETS_PER_DIVISION) - set(divisions)
        if missing:
            raise CommandError(f"Unknown divisions {sorted(missing)}: run `manage.py migrate`.")
        self.divisions = divisions
        self.organizations = {
            o.slug: o
            for o in Organization.objects.filter(slug__in=[p.slug for p in plan.organizations])
        }
        self.users = {
            u.email: u for u in User.objects.filter(email__in=[a.email for a in plan.accounts])
        }
        self.memberships = set(
            Membership.objects.filter(organization__slug__in=self.organizations).values_list(
                "user__email", "organization__slug"
            )
        )
        self.dataset_slugs = set(
            Dataset.objects.filter(slug__in=[d.slug for d in plan.datasets]).values_list(
                "slug", flat=True
            )
        )

        for org_plan in plan.organizations:
            with transaction.atomic():
                self._seed_organization(org_plan)
        with transaction.atomic():
            self._seed_leads(plan.leads)
            self._seed_secretariat(plan.secretariat)
        # Policies and sharing requests in every state (demo/sharing.py).
        self.created.update(seed_sharing_demo())

        path = Path(settings.BASE_DIR) / ACCOUNTS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        accounts = plan.accounts
        path.write_text(
            json.dumps([a.as_json() for a in accounts], ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        self._report(plan, accounts, path, time.monotonic() - started, options["quiet"])

    # --- people and organisations --------------------------------------------------------------

    def _user(self, account: AccountPlan, **flags: bool) -> User:
        user = self.users.get(account.email)
        if user is None:
            if not self.password_hash:
                # One PBKDF2 run for every demo user: hashing per user would take minutes.
                self.password_hash = make_password(data.PASSWORD)
            user = User(
                email=account.email,
                full_name=account.full_name,
                password=self.password_hash,
                **flags,
            )
            user.save()
            self.users[account.email] = user
            self.created["users"] += 1
        return user

    def _seed_organization(self, org_plan: OrganizationPlan) -> None:
        organization = self.organizations.get(org_plan.slug)
        if organization is None:
            organization = account_services.organization_create(
                divisions=[self.divisions[code] for code in org_plan.divisions],
                **org_plan.fields,
            )
            self.organizations[org_plan.slug] = organization
            self.created["organizations"] += 1
        for account in org_plan.accounts:
            user = self._user(account)
            if (account.email, org_plan.slug) not in self.memberships:
                account_services.membership_create(
                    organization=organization, email=user.email, role=account.role
                )
                self.memberships.add((account.email, org_plan.slug))
                self.created["memberships"] += 1
        for dataset_plan in org_plan.datasets:
            if dataset_plan.slug not in self.dataset_slugs:
                self._seed_dataset(dataset_plan, organization)
                self.dataset_slugs.add(dataset_plan.slug)

    def _seed_leads(self, leads: list[AccountPlan]) -> None:
        existing = set(
            DivisionLead.objects.filter(user__email__in=[a.email for a in leads]).values_list(
                "user__email", "division__code"
            )
        )
        for account in leads:
            user = self._user(account)
            assert account.division is not None
            if (account.email, account.division) not in existing:
                DivisionLead.objects.create(user=user, division=self.divisions[account.division])
                self.created["division leads"] += 1

    def _seed_secretariat(self, accounts: list[AccountPlan]) -> None:
        for account in accounts:
            if account.email in self.users:
                continue
            user = self._user(
                account,
                is_staff=True,
                is_secretariat=True,
                is_superuser=account.is_superuser,
            )
            if not account.is_superuser:
                # Staff without permissions would see an empty admin: let them look, not touch.
                user.user_permissions.set(
                    Permission.objects.filter(
                        content_type__app_label__in=("accounts", "datasets", "registry"),
                        codename__startswith="view_",
                    )
                )

    # --- datasets ------------------------------------------------------------------------------

    def _seed_dataset(self, plan: DatasetPlan, publisher: Organization) -> None:
        dataset = services.dataset_create(
            publisher=publisher,
            division=self.divisions[plan.division],
            slug=plan.slug,
            **plan.fields,
        )
        self.created["datasets"] += 1
        for version_plan in plan.versions:
            version = services.version_create(
                dataset=dataset,
                version=version_plan.version,
                release_notes=version_plan.release_notes,
                record_count=version_plan.record_count,
                byte_size=version_plan.byte_size,
            )
            self.created["versions"] += 1
            for distribution in version_plan.distributions:
                services.distribution_create(version=version, **distribution)
                self.created["distributions"] += 1
            if version_plan.publish:
                services.version_publish(version=version)
        # After its versions: a dataset publishes only with a released version holding data.
        if plan.status != DatasetStatus.DRAFT:
            dataset = services.dataset_publish(dataset=dataset)
        if plan.status == DatasetStatus.DEPRECATED:
            services.dataset_deprecate(dataset=dataset)
        elif plan.status == DatasetStatus.WITHDRAWN:
            services.dataset_withdraw(dataset=dataset)

    # --- output --------------------------------------------------------------------------------

    def _report(
        self, plan: Plan, accounts: list[AccountPlan], path: Path, seconds: float, quiet: bool
    ) -> None:
        write = self.stdout.write
        demo = Dataset.objects.filter(slug__in=[d.slug for d in plan.datasets])
        statuses = Counter(demo.values_list("status", flat=True))
        versions = DatasetVersion.objects.filter(dataset__in=demo).count()
        distributions = Distribution.objects.filter(version__dataset__in=demo).count()
        created = ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()))
        write(
            self.style.SUCCESS(
                f"Demo data ready in {seconds:.1f} s: {len(plan.organizations)} organisations, "
                f"{len(accounts)} accounts, {sum(statuses.values())} datasets ("
                + ", ".join(f"{n} {status}" for status, n in statuses.most_common())
                + f"), {versions} versions, {distributions} distributions."
            )
        )
        write(f"Created this run: {created or 'nothing (already seeded)'}.")
        write(f"Demo password for every account: {data.PASSWORD}")
        write(f"Accounts written to {path}")
        if quiet:
            return
        featured = [a for a in accounts if a.email in data.FEATURED_ACCOUNTS]
        write("")
        write(f"{'email':<38} {'role':<14} {'organisation':<20} division")
        for account in featured:
            write(
                f"{account.email:<38} {account.role:<14} {account.organization or '-':<20} "
                f"{account.division or '-'}"
            )
        write(
            f"... and {len(accounts) - len(featured)} more (admin, steward and member of every "
            f"organisation) in {path.name}; all with the password above."
        )
