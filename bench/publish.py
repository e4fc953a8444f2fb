#!/usr/bin/env python
"""Publish benchmark: a CP949 CSV to a published, checked, policy-bearing dataset in 3 calls.

The goal (issue 10): a data steward with a CP949 CSV of up to 100 MB gets a published dataset
in at most 3 API calls (token aside) and under 2 minutes. This script:

1. creates a database of its own (default `max_registry_publish_bench`) on the DATABASE_URL
   server and migrates it; makes a publisher with publishing defaults (licence, contact,
   policy preset) and a data steward with an API token;
2. writes a CP949 CSV of `--size-mb` MB (Korean headers and values) to a temporary directory;
3. serves the app with gunicorn (production settings, bench/stack.py) and starts a Celery
   worker (REDIS_URL: a Redis database no other worker reads);
4. call 1: POST /api/v1/datasets/from-file/ with the file streamed from disk (the client never
   holds it in memory) , a title and a description; call 2: GET the status until the check finishes;
   call 3: POST publish with `"schema": "inferred"` and a policy preset (a 202 means the
   workers publish after a second check: the status is read until they did);
5. prints seconds per phase and PASS/FAIL against the 3 calls and 2 minutes.

Status reads while waiting are polling, not steps: the steward's calls are counted apart.

    .venv/bin/python bench/publish.py --size-mb 100
    .venv/bin/python bench/run.py --publish-only --size-mb 100

Goals are reported, never asserted: the exit status is 0 whatever the figures (1 when a call
fails outright).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script: import the project (and this package) from the repository root, not bench/.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench import seed, stack  # noqa: E402

GOAL_SECONDS = 120.0
GOAL_CALLS = 3
DEFAULT_DATABASE = "max_registry_publish_bench"


def log(message: str) -> None:
    print(f"[publish] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    return parser.parse_args(argv)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size-mb", type=float, default=100.0, help="CSV size (100)")
    parser.add_argument(
        "--publish-database", default=DEFAULT_DATABASE, help=f"database ({DEFAULT_DATABASE})"
    )
    parser.add_argument("--publish-workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--publish-timeout", type=float, default=900, help="give up after this many seconds"
    )


# --- the file ---------------------------------------------------------------------------------

HEADER = "설비,측정시각,온도,압력,진동,상태,비고\n"
STATES = ("가동", "정지", "점검", "대기")
NOTES = ("정상", "온도 상승", "압력 저하", "윤활 필요", "")


def write_cp949_csv(path: Path, size_bytes: int) -> int:
    """A plant historian's export of about `size_bytes` bytes in CP949; returns its rows."""
    rng = random.Random(10)
    rows = 0
    written = 0
    with path.open("wb") as out:
        out.write(HEADER.encode("cp949"))
        while written < size_bytes:
            lines = []
            for _ in range(2000):
                rows += 1
                second = rows % 86400
                lines.append(
                    f"프레스-{rows % 40:02d},2025-10-{1 + rows // 86400 % 28:02d}T"
                    f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d},"
                    f"{rng.uniform(18, 95):.2f},{rng.uniform(0.5, 12):.3f},"
                    f"{rng.uniform(0, 4):.4f},{STATES[rows % 4]},{NOTES[rows % 5]}\n"
                )
            chunk = "".join(lines).encode("cp949")
            out.write(chunk)
            written += len(chunk)
    return rows


class MultipartBody:
    """A multipart/form-data body read from disk as it is sent (`requests` would build the
    whole body in memory from `files=`): a file-like object with a length, so the request
    carries a Content-Length and http.client streams it block by block."""

    def __init__(self, path: Path, fields: dict[str, str]) -> None:
        self.boundary = uuid.uuid4().hex
        head = b"".join(
            (
                f"--{self.boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
            for name, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.parts: list[bytes | Path] = [head, path, tail]
        self.length = len(head) + path.stat().st_size + len(tail)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._source: Any = None
        self._index = 0

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else 1024 * 1024
        while self._index < len(self.parts):
            part = self.parts[self._index]
            if isinstance(part, bytes):
                self._index += 1
                return part
            if self._source is None:
                self._source = part.open("rb")
            block: bytes = self._source.read(size)
            if block:
                return block
            self._source.close()
            self._index += 1
        return b""


# --- the stack --------------------------------------------------------------------------------


@contextlib.contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """A worker on the default queue: REDIS_URL must be a Redis database no other worker
    reads (another worker would take the check, with another database)."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker",
             "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
             "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield
        finally:
            stack.stop_process(process)


def prepare(args: argparse.Namespace, media_root: Path) -> tuple[dict[str, str], str]:
    """The bench database, migrated, with a publisher, its defaults and a steward's token."""
    base_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not base_url or not redis_url:
        raise SystemExit("Set DATABASE_URL and REDIS_URL.")
    url = seed.with_database(base_url, args.publish_database)
    if url == base_url:
        raise SystemExit("--publish-database is DATABASE_URL's own database; pick another.")
    if seed.ensure_database(base_url, args.publish_database):
        log(f"created database {args.publish_database}")
    env = stack.django_env(url, redis_url)
    env.update(MEDIA_ROOT=str(media_root))
    seed.migrate(env, log)
    os.environ.update(env)
    import django

    django.setup()
    from accounts import services as account_services
    from accounts.models import (
        Division,
        Membership,
        MembershipRole,
        Organization,
        OrganizationKind,
        User,
    )
    from accounts.validators import make_business_registration_number
    from registry.models import PublishingDefaults

    organization, _created = Organization.objects.get_or_create(
        slug="bench-publisher",
        defaults={
            "name_ko": "벤치 제조",
            "name_en": "Bench Manufacturing",
            "kind": OrganizationKind.MANUFACTURER,
            "business_registration_number": make_business_registration_number("987654321"),
        },
    )
    organization.divisions.set([Division.objects.get(code="ai-factory")])
    PublishingDefaults.objects.update_or_create(
        organization=organization,
        defaults={
            "license": "CC-BY-4.0",
            "contact_name": "데이터 담당",
            "contact_email": "data@bench.example.kr",
            "policy_preset": "members",
        },
    )
    user, _created = User.objects.get_or_create(
        email="bench-publish-steward@example.kr", defaults={"full_name": "벤치 관리자"}
    )
    Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": MembershipRole.DATA_STEWARD}
    )
    _token, secret = account_services.api_token_create(user=user, name="publish bench")
    from django.db import connections

    connections.close_all()
    return env, secret


# --- the three calls --------------------------------------------------------------------------


def _wait_status(
    session: requests.Session, status_url: str, done: Any, deadline: float
) -> tuple[dict[str, Any], int]:
    polls = 0
    while time.monotonic() < deadline:
        body: dict[str, Any] = session.get(status_url, timeout=30).json()
        polls += 1
        if done(body):
            return body, polls
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting at {status_url}")


def three_calls(base_url: str, token: str, path: Path, timeout: float) -> dict[str, Any]:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    deadline = time.monotonic() + timeout
    phases: dict[str, float] = {}
    started = time.perf_counter()

    body = MultipartBody(
        path,
        {"title": "프레스 라인 센서 기록", "description_ko": "프레스 라인 설비의 온도, 압력, 진동"},
    )
    response = session.post(
        f"{base_url}/api/v1/datasets/from-file/",
        data=body,
        headers={"Content-Type": body.content_type},
        timeout=600,
    )
    phases["1. upload (POST from-file)"] = time.perf_counter() - started
    if response.status_code != 202:
        raise SystemExit(f"from-file answered {response.status_code}: {response.text[:2000]}")
    created = response.json()
    status_url = created["status_url"]
    dataset = created["dataset"]["id"]

    mark = time.perf_counter()
    status, polls = _wait_status(
        session,
        status_url,
        lambda s: s["check"] and s["check"]["status"] not in ("queued", "running"),
        deadline,
    )
    phases["2. check (status until finished)"] = time.perf_counter() - mark
    check = status["check"]
    if check["status"] != "passed":
        raise SystemExit(f"the check did not pass: {check['report']['message']}")

    mark = time.perf_counter()
    published = session.post(
        f"{base_url}/api/v1/datasets/{dataset}/publish/",
        json={"schema": "inferred", "policy_preset": "members"},
        timeout=120,
    )
    if published.status_code == 202:
        _body, more = _wait_status(
            session, status_url, lambda s: s["dataset"]["status"] == "published", deadline
        )
        polls += more
    elif published.status_code != 200:
        raise SystemExit(f"publish answered {published.status_code}: {published.text[:2000]}")
    phases["3. publish"] = time.perf_counter() - mark
    total = time.perf_counter() - started
    final = session.get(status_url, timeout=30).json()
    return {
        "phases": phases,
        "total": total,
        "calls": 3,
        "polls": polls,
        "rows": check["rows_read"],
        "encoding": check["report"]["encoding"],
        "engine_timings": check["report"]["timings"],
        "status": final["dataset"]["status"],
        "policy": final["policy"],
        "publish_answer": published.status_code,
    }


def run(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="max-publish-bench-") as tmp:
        tmp_path = Path(tmp)
        env, token = prepare(args, tmp_path / "media")
        csv_path = tmp_path / "press_line_sensors.csv"
        size = int(args.size_mb * 1024 * 1024)
        mark = time.perf_counter()
        rows = write_cp949_csv(csv_path, size)
        log(
            f"wrote {csv_path.stat().st_size / 1024 / 1024:.1f} MB, {rows:,} rows (CP949) in "
            f"{time.perf_counter() - mark:.1f} s"
        )
        with (
            stack.gunicorn(env, workers=args.publish_workers) as server,
            celery_worker(env, tmp_path / "worker.log"),
        ):
            log(f"gunicorn at {server.base_url}, and a Celery worker")
            result = three_calls(server.base_url, token, csv_path, args.publish_timeout)
    load_after = os.getloadavg()
    print()
    print(f"CP949 CSV: {args.size_mb:g} MB, {rows:,} rows; detected {result['encoding']}")
    for name, seconds in result["phases"].items():
        print(f"  {name:<36} {seconds:8.1f} s")
    print(f"  {'total':<36} {result['total']:8.1f} s")
    print(f"  engine timings: {result['engine_timings']}")
    print(
        f"steward's calls: {result['calls']} (+{result['polls']} status polls); publish "
        f"answered {result['publish_answer']}; dataset {result['status']}; policy "
        f"{result['policy']}"
    )
    calls_ok = result["calls"] <= GOAL_CALLS and result["status"] == "published"
    time_ok = result["total"] < GOAL_SECONDS
    print(f"goal: <= {GOAL_CALLS} calls: {'PASS' if calls_ok else 'FAIL'}; "
          f"< {GOAL_SECONDS:.0f} s: {'PASS' if time_ok else 'FAIL'} "
          f"(load {load_before[0]:.2f} before, {load_after[0]:.2f} after)")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
