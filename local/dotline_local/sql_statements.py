"""Splitting a SQL script into its statements, the way the Supabase CLI records a migration.

Semicolons end a statement except inside quotes ('...', E'...', "..."), dollar quotes
($$...$$, $tag$...$tag$), comments (-- and nestable /* */) and parentheses. Statements keep
their comments, lose surrounding whitespace and the terminating semicolon; empty ones are dropped.
"""

from __future__ import annotations

import re

DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


def split_statements(script: str) -> list[str]:
    """The statements of script, in order."""
    statements: list[str] = []
    start = i = depth = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if ch == ";" and depth == 0:
            statements.append(script[start:i])
            start = i + 1
            i += 1
        elif ch == "(":
            depth, i = depth + 1, i + 1
        elif ch == ")":
            depth, i = max(depth - 1, 0), i + 1
        else:
            i = _skip_token(script, i)
    statements.append(script[start:])
    cleaned = (s.strip() for s in statements)
    return [s for s in cleaned if s and not _only_comments(s)]


def _skip_token(script: str, i: int) -> int:
    """Index just past the quoted string, comment or single character starting at i."""
    ch, nxt = script[i], script[i + 1 : i + 2]
    if ch == "-" and nxt == "-":
        end = script.find("\n", i)
        return len(script) if end < 0 else end + 1
    if ch == "/" and nxt == "*":
        return _skip_block_comment(script, i)
    if ch == "'":
        backslashes = i > 0 and script[i - 1] in "eE" and not _is_word_char(script, i - 2)
        return _skip_quoted(script, i, "'", backslashes)
    if ch == '"':
        return _skip_quoted(script, i, '"', False)
    if ch == "$" and not _is_word_char(script, i - 1):
        tag = DOLLAR_TAG.match(script, i)
        if tag:
            end = script.find(tag.group(), tag.end())
            return len(script) if end < 0 else end + len(tag.group())
    return i + 1


def _skip_quoted(script: str, i: int, quote: str, backslashes: bool) -> int:
    j = i + 1
    while j < len(script):
        if backslashes and script[j] == "\\":
            j += 2
        elif script[j] == quote:
            if script[j + 1 : j + 2] != quote:  # a doubled quote is an escaped quote
                return j + 1
            j += 2
        else:
            j += 1
    return j


def _skip_block_comment(script: str, i: int) -> int:
    depth, j = 0, i
    while j < len(script):
        pair = script[j : j + 2]
        if pair == "/*":
            depth, j = depth + 1, j + 2
        elif pair == "*/":
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return j


def _is_word_char(script: str, i: int) -> bool:
    return i >= 0 and (script[i].isalnum() or script[i] == "_")


def _only_comments(statement: str) -> bool:
    """True for a fragment holding nothing but comments (a file's trailing remarks)."""
    i = 0
    while i < len(statement):
        if statement[i].isspace():
            i += 1
        elif statement.startswith(("--", "/*"), i):
            i = _skip_token(statement, i)
        else:
            return False
    return True
