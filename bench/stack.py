"""The stack under test: production settings served by gunicorn on a loopback port, and
Celery worker processes on the bench's Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def django_env(database_url: str, redis_url: str) -> dict[str, str]:
    """Environment for the app under `config.settings.production`, pointed at the bench DB.

    TLS is off (loopback, no proxy). Throttle rates are per second and far above what one
    client reaches, so throttling still runs its Redis round-trips on every request but never
    answers 429 and keeps a history list as short as production's per-minute rates would.
    """
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="bench-only-not-a-secret-" + "x" * 40,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS=f"{HOST},localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        THROTTLE_ANON="100000/s",
        THROTTLE_USER="100000/s",
        CACHE_KEY_PREFIX="maxr-bench",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


TAG_HEADER = "X-Bench-Tag"


@dataclass(frozen=True)
class Server:
    base_url: str
    workers: int
    pid: int
    log_path: Path
    access_log: Path

    def server_times(self, tag: str) -> list[float]:
        """Milliseconds gunicorn spent on the requests that carried `TAG_HEADER: tag`."""
        times: list[float] = []
        with self.access_log.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                found, _, micros = line.rstrip("\n").rpartition(" ")
                if found == tag and micros.isdigit():
                    times.append(int(micros) / 1000)
        return times


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int, startup_timeout: float = 60) -> Iterator[Server]:
    """Run gunicorn (sync workers) until the block ends; wait for /healthz first."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="max-bench-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        access_log = Path(tmp) / "access.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"{HOST}:{port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "sync",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "10",
                    "--log-level",
                    "warning",
                    # Server-side time of each request (microseconds), by bench tag.
                    "--access-logfile",
                    str(access_log),
                    "--access-logformat",
                    f"%({{{TAG_HEADER.lower()}}}i)s %(D)s",
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            base_url = f"http://{HOST}:{port}"
            try:
                _wait_healthy(base_url, process, log_path, startup_timeout)
                yield Server(base_url, workers, process.pid, log_path, access_log)
            finally:
                stop_process(process)


@dataclass(frozen=True)
class Workers:
    queue: str
    pids: tuple[int, ...]
    log_paths: tuple[Path, ...]


@contextlib.contextmanager
def celery_workers(
    env: dict[str, str], *, count: int, queue: str, startup_timeout: float = 60
) -> Iterator[Workers]:
    """Run `count` separate `celery worker` processes consuming `queue` until the block ends,
    each `--pool prefork --concurrency 1` (one child runs the tasks), as separate machines
    would run them; wait until every one logs that it is ready."""
    with (
        tempfile.TemporaryDirectory(prefix="max-bench-workers-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        processes: list[subprocess.Popen[bytes]] = []
        log_paths: list[Path] = []
        for index in range(count):
            log_path = Path(tmp) / f"worker-{index}.log"
            log_file = stack.enter_context(log_path.open("wb"))
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{queue}-{index}@%h",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(stop_process, process)
            processes.append(process)
            log_paths.append(log_path)
        _wait_ready(processes, log_paths, startup_timeout)
        yield Workers(queue, tuple(p.pid for p in processes), tuple(log_paths))


def _wait_ready(
    processes: list[subprocess.Popen[bytes]], log_paths: list[Path], timeout: float
) -> None:
    """Until each worker has logged "<name> ready." (it consumes from then on)."""
    deadline = time.monotonic() + timeout
    waiting = set(range(len(processes)))
    while waiting and time.monotonic() < deadline:
        for index in sorted(waiting):
            text = log_paths[index].read_text(errors="replace")
            if processes[index].poll() is not None:
                raise SystemExit(f"celery worker exited early:\n{text[-3000:]}")
            if " ready." in text:
                waiting.discard(index)
        time.sleep(0.1)
    if waiting:
        tails = "\n".join(log_paths[i].read_text(errors="replace")[-2000:] for i in waiting)
        raise SystemExit(f"celery workers not ready after {timeout:.0f} s:\n{tails}")


def _wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited early:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn not healthy after {timeout:.0f} s:\n{log_path.read_text()}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a gunicorn master or celery worker we started (its own process group: a celery
    worker ends its current task first), then SIGKILL if stuck."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
