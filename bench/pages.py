"""The web console's pages in the benchmark (issue 11): search, a dataset, the approver's inbox
and the requester's list, through gunicorn, signed in with a session cookie as people are.

Each page is measured beside its API twin in the same run (the baseline): the page does what
the API does and then renders a template, so the ratio says what the HTML costs. The number of
queries of each page is captured in process for two different subjects (a small and a large
publisher, a dataset with few and with many versions...); equal counts show the page does not
query per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .measure import percentile

if TYPE_CHECKING:
    from .measure import Sequential

P50_GOAL_MS = 50.0


@dataclass
class PagePersona:
    label: str
    cookie: str  # "sessionid=..." for the console, "" for anonymous
    token: str | None  # the same person's API token, for the baseline


@dataclass
class PageEndpoint:
    label: str
    persona: str
    paths: tuple[str, ...]  # the page, cycled over subjects
    api_paths: tuple[str, ...]  # the API twin of each path
    query_counts: list[int] = field(default_factory=list)  # per subject, in process
    page: Sequential | None = None
    api: Sequential | None = None

    @property
    def p50(self) -> float:
        return self.page.p50 if self.page else float("nan")

    @property
    def ratio(self) -> float:
        if not self.page or not self.api or not self.api.samples_ms:
            return float("nan")
        return self.page.p50 / self.api.p50


def sessions(personas: dict[str, Any]) -> dict[str, str]:
    """A Django session per persona (made in process in the bench database)."""
    from django.conf import settings
    from django.test import Client

    cookies: dict[str, str] = {}
    for name, user in personas.items():
        if user is None:
            cookies[name] = ""
            continue
        client = Client()
        client.force_login(user)
        cookies[name] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def count_queries(path: str, cookie: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT="text/html")
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in process")
    return len(captured.captured_queries)


def markdown(endpoints: Sequence[PageEndpoint], table: Any) -> str:
    rows = []
    for endpoint in endpoints:
        page, api = endpoint.page, endpoint.api
        verdict = "PASS" if page and page.p50 < P50_GOAL_MS else "FAIL"
        rows.append(
            (
                endpoint.label,
                endpoint.persona,
                f"`{endpoint.paths[0]}`",
                f"{page.p50:.1f}" if page else "-",
                f"{percentile(page.samples_ms, 99):.1f}" if page and page.samples_ms else "-",
                f"{api.p50:.1f}" if api else "-",
                f"{endpoint.ratio:.2f}x",
                " / ".join(str(n) for n in endpoint.query_counts),
                f"{verdict} (< {P50_GOAL_MS:.0f} ms)",
            )
        )
    headers = (
        "page",
        "as",
        "path (first subject)",
        "p50 ms",
        "p99 ms",
        "API twin p50 ms",
        "page / API",
        "queries per subject",
        "goal",
    )
    return table(headers, rows)


def page_personas() -> dict[str, Any]:
    """The people the pages are measured as: anonymous; a member of the biggest requester
    (their requests); a steward of the publisher with the most requests waiting for it (its
    inbox); both made once in the bench database and reused."""
    from django.db.models import Count

    from accounts.models import Membership, MembershipRole, User
    from registry.models import SharingRequest, SharingRequestState

    def person(local: str, organization_id: int, role: str) -> User:
        email = f"bench-{local}@bench.max-alliance.kr"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, password=None, full_name=f"bench {local}"
        )
        Membership.objects.filter(user=user).exclude(organization_id=organization_id).delete()
        Membership.objects.update_or_create(
            user=user, organization_id=organization_id, defaults={"role": role}
        )
        return user

    requester = (
        SharingRequest.objects.values("requester_id")
        .annotate(n=Count("id"))
        .order_by("-n", "requester_id")
        .first()
    )
    waiting = (
        SharingRequest.objects.filter(state=SharingRequestState.AWAITING_PUBLISHER)
        .values("dataset__publisher_id")
        .annotate(n=Count("id"))
        .order_by("-n", "dataset__publisher_id")
        .first()
    )
    if requester is None or waiting is None:
        raise RuntimeError("the bench database has no sharing requests (bench/sharing.py)")
    return {
        "anonymous": None,
        "requester": person("page-requester", requester["requester_id"], MembershipRole.MEMBER),
        "approver": person(
            "page-approver", waiting["dataset__publisher_id"], MembershipRole.DATA_STEWARD
        ),
    }


def page_endpoints(dataset_ids: Sequence[str]) -> list[PageEndpoint]:
    search = "?q=%EC%84%BC%EC%84%9C"  # 센서 (sensor)
    details = tuple(dataset_ids[:50])
    return [
        PageEndpoint("catalog", "anonymous", ("/datasets/",), ("/api/v1/datasets/",)),
        PageEndpoint(
            "catalog search 센서",
            "requester",
            (f"/datasets/{search}",),
            (f"/api/v1/datasets/{search}",),
        ),
        PageEndpoint(
            "dataset",
            "requester",
            tuple(f"/datasets/{pk}/" for pk in details),
            tuple(f"/api/v1/datasets/{pk}/" for pk in details),
        ),
        PageEndpoint(
            "inbox",
            "approver",
            ("/inbox/",),
            ("/api/v1/sharing-requests/?state=awaiting_publisher",),
        ),
        PageEndpoint(
            "my requests", "requester", ("/sharing-requests/",), ("/api/v1/sharing-requests/",)
        ),
    ]


SECTION = "## Console pages"


def measure_pages(
    env: dict[str, str], args: Any, dataset_ids: Sequence[str], log: Any
) -> list[PageEndpoint]:
    """Sessions and tokens in process, query counts in process, then timings through gunicorn
    (production settings): each page, then its API twin, one after the other."""
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import ApiToken
    from accounts.services import api_token_create

    from . import measure, stack

    # Pages name their CSS and scripts by the manifest (production settings), as deployed.
    call_command("collectstatic", interactive=False, verbosity=0)
    people = page_personas()
    cookies = sessions(people)
    tokens: dict[str, str | None] = {}
    for name, user in people.items():
        if user is None:
            tokens[name] = None
            continue
        ApiToken.objects.filter(user=user).delete()
        tokens[name] = api_token_create(user=user, name="make bench pages")[1]
    targets = page_endpoints(dataset_ids)
    for endpoint in targets:
        subjects = dict.fromkeys((endpoint.paths[0], endpoint.paths[-1]))
        endpoint.query_counts = [
            count_queries(path, cookies[endpoint.persona]) for path in subjects
        ]
    connections.close_all()
    with stack.gunicorn(env, workers=args.workers) as server:
        log(f"gunicorn up at {server.base_url} for the console pages")
        for endpoint in targets:
            cookie = cookies[endpoint.persona]
            page_headers = {"Accept": "text/html", **({"Cookie": cookie} if cookie else {})}
            token = tokens[endpoint.persona]
            api_headers = {"Authorization": f"Bearer {token}"} if token else {}
            for attribute, paths, headers in (
                ("page", endpoint.paths, page_headers),
                ("api", endpoint.api_paths, api_headers),
            ):
                run = measure.sequential(
                    server.base_url,
                    paths,
                    headers,
                    requests_count=args.requests,
                    warmup=args.warmup,
                    time_limit=args.time_limit,
                )
                setattr(endpoint, attribute, run)
                if run.first_error:
                    log(f"  {endpoint.label} {attribute}: first error {run.first_error}")
            log(
                f"page {endpoint.label} ({endpoint.persona}): p50 {endpoint.p50:.1f} ms, "
                f"API twin {endpoint.api.p50 if endpoint.api else float('nan'):.1f} ms, "
                f"queries {endpoint.query_counts}"
            )
    return targets


def section(endpoints: Sequence[PageEndpoint], table: Any) -> list[str]:
    return [
        SECTION,
        "",
        "The console's pages through gunicorn (production settings), signed in with a session "
        "cookie, each beside its API twin measured in the same run "
        '([bench/pages.py](../bench/pages.py)). "page / API" is what rendering HTML adds; '
        '"queries per subject" counts the SQL of the page for its first and last subject (two '
        "datasets of different sizes; one list): the same number means no query per row. "
        f"Goal: p50 under {P50_GOAL_MS:.0f} ms at 100,000 datasets.",
        "",
        markdown(endpoints, table),
        "",
    ]
