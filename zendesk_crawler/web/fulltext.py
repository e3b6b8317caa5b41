"""Full-text search of the backup's tickets: SQLite FTS5 over each ticket's subject and comment bodies.

One row per subject and per comment of the version a ticket is shown in (its
newest, or for a deleted ticket its last version before the deletion), in the
table ``texts``; ``texts_fts`` indexes it (FTS5 with external content, so the
text is stored once). The ``unicode61`` tokenizer folds case and diacritics in
every alphabet (Latin, Cyrillic, Greek, Arabic, Hebrew...). Scripts written
without spaces (Chinese, Japanese) and emoji would be one long token or none,
so each of their characters is made a token of its own: an invisible word
joiner (U+2060, a separator to the tokenizer) is put around each before it is
indexed and around each in the query, and the emoji are declared token
characters. A phrase of such characters then matches where they stand
side by side.

A query is words (every one must be in the ticket, in any of its texts),
``"phrases in double quotes"`` (in one text, in that order) and ``word*``
prefixes. Tickets are ranked by their best-matching text (bm25), each with a
snippet of that text, the matches marked.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from zendesk_crawler.errors import ConfigError

_EMOJI_RANGES = ((0x2300, 0x2400), (0x2600, 0x27C0), (0x2B00, 0x2C00), (0x1F000, 0x1FB00))
_EMOJI = "".join(chr(code) for start, end in _EMOJI_RANGES for code in range(start, end))
_SOLO = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
                   + "".join(f"{chr(start)}-{chr(end - 1)}" for start, end in _EMOJI_RANGES) + "])")
_JOINER = "\u2060"
#: Control characters and noncharacters: nothing to search for or to show in a snippet (they become spaces).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ue000\ue001]")
#: Start and end of a match in a snippet, replaced by ``<mark>`` once the text is escaped (two private-use
#: characters, taken out of the texts indexed with the control characters so that none can be mistaken for them).
_OPEN, _CLOSE = "\ue000", "\ue001"
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')
#: Terms a query may hold (each one more pass over the index).
MAX_TERMS = 12

#: The tokenizer of the index (and of the page's snippets: ``hits``).
_TOKENIZER = f"unicode61 remove_diacritics 2 tokenchars '{_EMOJI}'"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS texts (
    rowid INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, comment_id INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS texts_by_ticket ON texts (ticket_id);
CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5(
    body, content='texts', content_rowid='rowid',
    tokenize="{_TOKENIZER}");
"""
DROP = "DROP TABLE IF EXISTS texts_fts; DROP TABLE IF EXISTS texts;"


def prepared(text: str) -> str:
    """The text as indexed: each CJK character and emoji set apart by invisible word joiners."""
    return _SOLO.sub(_JOINER + r"\1" + _JOINER, _CONTROL.sub(" ", text))


def replace_texts(db: sqlite3.Connection, ticket_id: int, texts: Sequence[tuple[int | None, str]]) -> None:
    """Make ``texts`` (comment id, text) the searchable texts of a ticket, in place of the ones it had."""
    old = db.execute("SELECT rowid, body FROM texts WHERE ticket_id = ?", (ticket_id,)).fetchall()
    if old:
        db.executemany("INSERT INTO texts_fts (texts_fts, rowid, body) VALUES ('delete', ?, ?)", old)
        db.execute("DELETE FROM texts WHERE ticket_id = ?", (ticket_id,))
    for comment_id, text in texts:
        body = prepared(text)
        rowid = db.execute("INSERT INTO texts (ticket_id, comment_id, body) VALUES (?, ?, ?)",
                           (ticket_id, comment_id, body)).lastrowid
        db.execute("INSERT INTO texts_fts (rowid, body) VALUES (?, ?)", (rowid, body))


@dataclass(frozen=True)
class Query:
    """A parsed query: FTS5 expressions of its terms, each a quoted phrase (prefixes keep their ``*``)."""

    terms: tuple[str, ...]

    @property
    def any_term(self) -> str:
        """The expression matching a text with any of the terms (to rank and to pick the snippet)."""
        return " OR ".join(self.terms)


def parse_query(text: str) -> Query:
    """The query's words, phrases and prefixes; :class:`ConfigError` when it has none or too many."""
    terms: list[str] = []
    for phrase, word in _QUERY_PART.findall(text):
        value = phrase if phrase else word
        prefix = not phrase and value.endswith("*") and len(value) > 1
        value = value.rstrip("*") if prefix else value
        tokens = prepared(value).replace(_JOINER, " ").split()
        if not tokens or not any(char.isalnum() or char in _EMOJI for char in value):
            continue
        quoted = '"' + " ".join(tokens).replace('"', '""') + '"'
        terms.append(quoted + ("*" if prefix else ""))
    if not terms:
        raise ConfigError("give words to search for (letters, digits or emoji)")
    if len(terms) > MAX_TERMS:
        raise ConfigError(f"a search takes at most {MAX_TERMS} words or phrases")
    return Query(tuple(dict.fromkeys(terms)))


@dataclass(frozen=True)
class Hit:
    """A ticket found: its best-matching text (``comment_id`` ``None``: the subject) and a snippet, HTML-safe."""

    ticket_id: int
    comment_id: int | None
    snippet: str


def _snippet_html(raw: str) -> str:
    text = escape(" ".join(raw.replace(_JOINER, "").split()), quote=False)
    return text.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def matching_tickets(query: Query) -> str:
    """SQL selecting the ids of the tickets holding every term of ``query`` (its parameters: ``query.terms``)."""
    one = "SELECT t.ticket_id FROM texts_fts JOIN texts t ON t.rowid = texts_fts.rowid WHERE texts_fts MATCH ?"
    return " INTERSECT ".join([one] * len(query.terms))


def hits(db: sqlite3.Connection, query: Query, ticket_ids: Sequence[int]) -> dict[int, Hit]:
    """The best-matching text of each of ``ticket_ids`` with its snippet.

    The texts of these tickets only are indexed again in a small FTS5 table of
    the connection's own (``temp``), with the same tokenizer, and the snippets
    are taken there: a snippet taken in the whole index would read the doclist
    of every text holding the term (a second for a word in most of 100,000
    tickets), this costs the page's 50 tickets' texts.
    """
    if not ticket_ids:
        return {}
    marks = ",".join("?" * len(ticket_ids))
    db.execute("DROP TABLE IF EXISTS temp.page_texts")
    db.execute(f"CREATE VIRTUAL TABLE temp.page_texts USING fts5(body, ticket_id UNINDEXED, comment_id UNINDEXED, "
               f'tokenize="{_TOKENIZER}")')
    db.execute(f"INSERT INTO temp.page_texts (body, ticket_id, comment_id) SELECT body, ticket_id, comment_id "
               f"FROM texts WHERE ticket_id IN ({marks})", tuple(ticket_ids))
    rows = db.execute(
        f"SELECT ticket_id, comment_id, snippet(page_texts, 0, '{_OPEN}', '{_CLOSE}', '…', 24) "
        "FROM temp.page_texts WHERE page_texts MATCH ? ORDER BY rank", (query.any_term,)).fetchall()
    db.execute("DROP TABLE temp.page_texts")
    found: dict[int, Hit] = {}
    for ticket_id, comment_id, snippet in rows:
        if ticket_id not in found:
            found[ticket_id] = Hit(ticket_id, comment_id, _snippet_html(snippet))
    return found
