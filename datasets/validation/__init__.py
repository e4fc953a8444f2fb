"""Validation of dataset samples against their schema: a pure library, no Django.

Entry points (CSV, TSV, JSON Lines, Parquet and Excel workbooks):
- validate_file(path, schema=..., schema_kind=..., data_format=...) -> ValidationReport
- check_table_schema / check_json_schema / load_schema_bytes: the schema document itself
- infer_table_schema(path, data_format=...): a Table Schema draft from a sample
- PreviewCollector (passed to validate_file as `preview`), preview_file: the first rows
- compare_schemas(previous, new, kind=..., mode=...): compatibility between versions
- detect_encoding, sniff_delimiter: what validate_file decides when not told
- format_detect(filename, head): the data format from a file's name and first bytes

Findings use the Frictionless Framework v5 error codes and row numbers (header = row 1).
"""

from .compat import COMPATIBILITY_MODES, compare_schemas
from .csvfile import sniff_delimiter
from .encoding import EncodingProblem, detect_encoding
from .infer import InferenceError, infer_table_schema
from .limits import Limits
from .preview import PreviewCollector
from .report import CODES, SchemaProblem, ValidationReport
from .schema import check_json_schema, check_table_schema, load_schema_bytes
from .sniff import format_conflict, format_detect
from .validate import (
    DATA_FORMATS,
    SCHEMA_KINDS,
    format_from_extension,
    preview_file,
    validate_file,
)

__all__ = [
    "CODES",
    "COMPATIBILITY_MODES",
    "DATA_FORMATS",
    "SCHEMA_KINDS",
    "EncodingProblem",
    "InferenceError",
    "Limits",
    "PreviewCollector",
    "SchemaProblem",
    "ValidationReport",
    "check_json_schema",
    "check_table_schema",
    "compare_schemas",
    "detect_encoding",
    "format_conflict",
    "format_detect",
    "format_from_extension",
    "infer_table_schema",
    "load_schema_bytes",
    "preview_file",
    "sniff_delimiter",
    "validate_file",
]
