"""Korean and English full-text search on core PostgreSQL, with no extension.

PostgreSQL has no Korean text-search configuration and pg_trgm is not everywhere (the embedded
engine lacks it), so Hangul and other CJK runs are indexed as overlapping character bigrams, as
Lucene's CJK analyzer does, plus the single characters for one-character queries. A query
bigram-splits the same way and joins the bigrams with the phrase operator `<->`, so 센서 matches
진동센서 and 센서의 but not 센 ... 서. Latin words are indexed lower-cased, and the last query word
also matches as a prefix so that `vibr` finds `vibration`. Everything goes through the `simple`
configuration: no stemming surprises across two languages.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery

# Hangul syllables and jamo, CJK ideographs, kana.
_CJK = r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RE = re.compile(rf"^[{_CJK}]+$")
MAX_QUERY_TERMS = 16


def _cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_tokens(*texts: str | None) -> str:
    """The space-separated token stream indexed for a document (unigrams and bigrams for CJK)."""
    out: list[str] = []
    for text in texts:
        if not text:
            continue
        for token in _TOKEN_RE.findall(text.lower()):
            if _CJK_RE.match(token):
                out.extend(_cjk_bigrams(token))
                # Unigrams let one-syllable queries (e.g. 봇) match; they go last so that the
                # bigram positions stay adjacent for phrase matching.
                if len(token) > 1:
                    out.extend(token)
            else:
                out.append(token)
    return " ".join(out)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("'", "''").replace("\\", "\\\\") + "'"


def build_tsquery(text: str) -> str | None:
    """A raw tsquery for the user's text, or None when it has no searchable characters."""
    words = _TOKEN_RE.findall(text.lower())[:MAX_QUERY_TERMS]
    parts: list[str] = []
    for index, word in enumerate(words):
        if _CJK_RE.match(word):
            grams = _cjk_bigrams(word)
            parts.append(
                "(" + " <-> ".join(_quote(g) for g in grams) + ")"
                if len(grams) > 1
                else _quote(grams[0])
            )
        else:
            is_last = index == len(words) - 1
            parts.append(_quote(word) + (":*" if is_last else ""))
    return " & ".join(parts) if parts else None


def search_query(text: str) -> SearchQuery | None:
    raw = build_tsquery(text)
    return SearchQuery(raw, search_type="raw", config="simple") if raw else None
