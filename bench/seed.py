"""The bench database: create it, migrate it, fill it with COPY, and reuse it when it is full.

Rows go in with `COPY ... FROM STDIN` (psycopg 3), never through the ORM. Primary keys are
written explicitly (UUIDv7 for datasets and versions, as `common.models.uuid7` would make them)
because Django's defaults live in Python. `search_vector` is a generated column, so PostgreSQL
computes it from the `search_title` / `search_body` streams corpus.py fills like the app does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from . import corpus

ROOT = Path(__file__).resolve().parent.parent
RANDOM_SEED = 20250910  # the day the alliance launched

# Secondary indexes of the dataset table are rebuilt after COPY: one sorted build (GIN
# especially) is many times faster than maintaining them row by row.
REBUILT_INDEX_TABLES = ("datasets_dataset", "datasets_datasetversion")


@dataclass(frozen=True)
class SeedReport:
    organizations: int
    datasets: int
    versions: int
    seconds: float
    reused: bool
    sharing: SharingFacts | None = None


@dataclass(frozen=True)
class SharingFacts:
    """The sharing layer (bench/sharing.py): its rows, and whether this run seeded it."""

    validation_reports: int
    sharing_requests: int
    grants: int
    downloads: int
    seconds: float
    reused: bool


def with_database(url: str, name: str) -> str:
    """`url` with its database name replaced by `name` (host, socket, options unchanged)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _maintenance_url(base_url: str) -> str:
    """The server's `postgres` database: DATABASE_URL's own database may not exist yet."""
    return with_database(base_url, "postgres")


def ensure_database(base_url: str, name: str) -> bool:
    """Create database `name` on the server of `base_url` if missing; True when created."""
    with psycopg.connect(_maintenance_url(base_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def recreate_database(base_url: str, name: str) -> None:
    """Drop and create database `name`: a reseed starts from an empty, freshly migrated schema.

    Emptying tables instead would have to know every table, trigger and chain (the audit log's
    head, for one) that later migrations add.
    """
    own = urlsplit(base_url).path.lstrip("/")
    if name in (own, "postgres") or name.startswith("template"):
        raise SystemExit(f"Refusing to drop database {name!r}: it is not a bench database.")
    with psycopg.connect(_maintenance_url(base_url), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(env: dict[str, str], log: Callable[[str], None]) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py migrate failed:\n{result.stdout}\n{result.stderr}")
    log(f"migrations applied ({time.perf_counter() - started:.1f} s)")


# The organisation the scale-out part uploads its samples to (bench/scale_checks.py); not part
# of the seeded catalog, so its few draft datasets never make the catalog look reseedable.
SCALE_ORGANIZATION_SLUG = "bench-scale"


def row_counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    """Organisations, datasets and versions the seed made in the bench database."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM accounts_organization WHERE slug <> %(scale)s),"
        " (SELECT count(*) FROM datasets_dataset d JOIN accounts_organization o"
        "   ON o.id = d.publisher_id WHERE o.slug <> %(scale)s),"
        " (SELECT count(*) FROM datasets_datasetversion v JOIN datasets_dataset d"
        "   ON d.id = v.dataset_id JOIN accounts_organization o ON o.id = d.publisher_id"
        "   WHERE o.slug <> %(scale)s)",
        {"scale": SCALE_ORGANIZATION_SLUG},
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def copy_rows(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    count = 0
    with (
        blank_new_text_columns(conn, table, columns),
        conn.cursor() as cur,
        cur.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


BLANK_DEFAULTS = {
    "character varying": "''",
    "text": "''",
    "boolean": "false",
    "smallint": "0",
    "integer": "0",
    "bigint": "0",
    "ARRAY": "'{{}}'",  # braces doubled: sql.SQL.format reads {} as a placeholder
}


@contextlib.contextmanager
def blank_new_text_columns(
    conn: psycopg.Connection, table: str, columns: Sequence[str]
) -> Iterator[None]:
    """Let COPY leave out NOT NULL columns that migrations added after the corpus was written
    (Django keeps no database default for a field's `default`): text gets '', flags false,
    counts 0 (a version's preview_rows: no preview, which the bench never reads) and arrays
    empty, meanwhile.

    Any other required column the corpus does not fill stops the seeding with its name.
    """
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL"
        " AND is_generated = 'NEVER' AND is_identity = 'NO' AND NOT (column_name = ANY(%s))",
        [table, list(columns)],
    ).fetchall()
    missing = [(str(name), str(kind)) for name, kind in rows]
    others = [name for name, kind in missing if kind not in BLANK_DEFAULTS]
    if others:
        raise SystemExit(f"bench: {table} has required columns the seed does not fill: {others}")
    alter = "ALTER TABLE {} ALTER COLUMN {} "
    for name, kind in missing:
        conn.execute(
            sql.SQL(alter + "SET DEFAULT " + BLANK_DEFAULTS[kind]).format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    try:
        yield
    finally:
        for name, _kind in missing:
            # With deferred foreign-key checks still pending in this transaction PostgreSQL
            # refuses the ALTER: the default then stays, in the bench database only.
            with contextlib.suppress(psycopg.errors.ObjectInUse), conn.transaction():
                conn.execute(
                    sql.SQL(alter + "DROP DEFAULT").format(
                        sql.Identifier(table), sql.Identifier(name)
                    )
                )


def _secondary_indexes(conn: psycopg.Connection, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of indexes that back no constraint."""
    rows = conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [list(tables)],
    ).fetchall()
    return [(str(name), str(definition)) for name, definition in rows]


def seed(
    url: str,
    *,
    organizations: int,
    datasets: int,
    log: Callable[[str], None],
) -> SeedReport:
    """Fill a freshly migrated bench database. Deterministic for given sizes."""
    started = time.perf_counter()
    rng = random.Random(RANDOM_SEED)
    now = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SET synchronous_commit = off")
        # Check foreign keys per statement: CREATE INDEX refuses pending deferred triggers.
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        organizations_before, datasets_before, _ = row_counts(conn)
        if organizations_before or datasets_before:
            raise SystemExit("The bench database is not empty; recreate it before seeding.")
        indexes = _secondary_indexes(conn, REBUILT_INDEX_TABLES)
        for name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))

        org_rows = corpus.organizations(rng, organizations, now)
        copy_rows(conn, "accounts_organization", corpus.ORGANIZATION_COLUMNS, org_rows)
        org_ids = [
            (int(pk), str(slug))
            for pk, slug in conn.execute(
                "SELECT id, slug FROM accounts_organization ORDER BY id"
            ).fetchall()
        ]
        division_ids = {
            str(code): int(pk)
            for code, pk in conn.execute("SELECT code, id FROM accounts_division").fetchall()
        }
        if not division_ids:
            raise SystemExit("No divisions: did the accounts migrations run?")
        memberships = corpus.organization_divisions(rng, [pk for pk, _ in org_ids], division_ids)
        copy_rows(
            conn,
            "accounts_organization_divisions",
            ("organization_id", "division_id"),
            ((org, division) for org, divisions in memberships.items() for division in divisions),
        )
        # About 30% of member firms publish nothing (KAMP's lesson); the rest publish unevenly.
        shuffled = list(org_ids)
        rng.shuffle(shuffled)
        publishing = shuffled[: max(1, int(len(shuffled) * 0.7))]
        publishers = [
            corpus.Publisher(id=pk, slug=slug, division_ids=tuple(memberships[pk]))
            for pk, slug in publishing
        ]
        log(f"{len(org_rows)} organisations, {len(publishers)} of them publishing")

        versions: list[corpus.VersionRow] = []
        division_codes = {pk: code for code, pk in division_ids.items()}
        copied = copy_rows(
            conn,
            "datasets_dataset",
            corpus.DATASET_COLUMNS,
            corpus.datasets(rng, datasets, publishers, division_codes, now, versions),
        )
        log(f"{copied} datasets copied ({time.perf_counter() - started:.1f} s)")
        copy_rows(conn, "datasets_datasetversion", corpus.VERSION_COLUMNS, versions)
        log(f"{len(versions)} versions copied ({time.perf_counter() - started:.1f} s)")
        for _name, definition in indexes:
            conn.execute(definition.encode())
        log(f"{len(indexes)} indexes rebuilt ({time.perf_counter() - started:.1f} s)")
        conn.commit()
    vacuum_analyze(url)
    seconds = time.perf_counter() - started
    log(f"VACUUM ANALYZE done; seeding took {seconds:.1f} s")
    return SeedReport(len(org_rows), copied, len(versions), seconds, reused=False)


def vacuum_analyze(url: str) -> None:
    """Set hint bits and the visibility map (as autovacuum would by now) and gather statistics."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
