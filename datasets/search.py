"""Korean and English full-text search on core PostgreSQL, with no extension.

PostgreSQL has no Korean text-search configuration and pg_trgm is not everywhere (the embedded
engine lacks it), so Hangul and other CJK runs are indexed as overlapping character bigrams, as
Lucene's CJK analyzer does, plus the last character of each run. A query's Hangul word becomes
the AND of its bigrams, so 센서 matches 진동센서 and 센서의 but not 센 ... 서; a one-character
query is a prefix match, which finds the character at the start of a bigram or as a run's last
character, that is anywhere in a word.

The bigrams of a word are not checked for adjacency (no `<->` phrase operator): the GIN index
answers an AND of lexemes exactly, where a phrase makes PostgreSQL re-read every candidate's
vector (out of line, in TOAST) to test positions, which cost 20-90 ms at 100,000 datasets
(docs/benchmarks.md). A false match needs every bigram of the word elsewhere in one document
(진동센서 needs 진동, 동센 and 센서), which real words seldom produce. Without positions the
vectors are stored stripped, about half the size.

Latin words are indexed lower-cased, and the last query word also matches as a prefix so that
`vibr` finds `vibration`. Everything goes through the `simple` configuration: no stemming
surprises across two languages.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery

# Hangul syllables and jamo, CJK ideographs, kana.
_CJK = r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RE = re.compile(rf"^[{_CJK}]+$")
MAX_QUERY_WORDS = 16
# A long run of Hangul has as many bigrams as characters; its first ones already narrow the
# match to nearly nothing, so the rest would only make the index probe longer.
MAX_QUERY_LEXEMES = 32


def _cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_tokens(*texts: str | None) -> str:
    """The space-separated lexemes indexed for a document, each once, in order of appearance.

    A CJK run gives its bigrams and its last character: every character then starts some
    lexeme, which is what a one-character (prefix) query needs.
    """
    out: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for token in _TOKEN_RE.findall(text.lower()):
            if _CJK_RE.match(token):
                out.update(dict.fromkeys(_cjk_bigrams(token)))
                out[token[-1]] = None
            else:
                out[token] = None
    return " ".join(out)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("'", "''").replace("\\", "\\\\") + "'"


def build_tsquery(text: str) -> str | None:
    """A raw tsquery for the user's text, or None when it has no searchable characters."""
    words = _TOKEN_RE.findall(text.lower())[:MAX_QUERY_WORDS]
    parts: dict[str, None] = {}
    for index, word in enumerate(words):
        if _CJK_RE.match(word):
            if len(word) == 1:
                parts[_quote(word) + ":*"] = None
            else:
                parts.update(dict.fromkeys(_quote(gram) for gram in _cjk_bigrams(word)))
        else:
            is_last = index == len(words) - 1
            parts[_quote(word) + (":*" if is_last else "")] = None
    return " & ".join(list(parts)[:MAX_QUERY_LEXEMES]) if parts else None


def search_query(text: str) -> SearchQuery | None:
    raw = build_tsquery(text)
    return SearchQuery(raw, search_type="raw", config="simple") if raw else None
