"""Canonical layout for rendered HCL, matching `terraform fmt`.

Jinja whitespace control cannot align `=` signs whose left sides vary with the config, so
templates are written without caring about indentation or alignment and this module lays the
result out the way hclwrite does: two spaces per bracket level (a line that opens several
brackets indents its body once), and `=` aligned across consecutive single-line attributes.
The generator does not need the terraform binary; the tests run `terraform fmt -check` on every
rendered config to hold this module to the real thing. Heredocs are not supported (the
templates use `jsonencode` and `<<-EOT`-free strings instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENERS = "{[("
_CLOSERS = "}])"


@dataclass
class _Line:
    text: str
    """Stripped line content."""
    net: int
    """Net bracket change over the whole line."""
    assign: int | None
    """Index of the aligned `=` in `text`, when the line is a single-line attribute."""


def _scan(text: str) -> tuple[list[int], list[int]]:
    """Bracket deltas per character position and positions of bare `=` outside strings.

    Returns (deltas, equals): deltas[i] is +1/-1 where a bracket opens/closes at i in code
    (template interpolations `${`/`%{` count as brackets, as in hclwrite), equals lists the
    positions of lone `=` tokens in code.
    """
    deltas = [0] * len(text)
    equals: list[int] = []
    modes: list[str] = ["code"]
    depth_in_interp: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        mode = modes[-1]
        if mode == "string":
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                modes.pop()
            elif ch in "$%" and text[i + 1 : i + 2] == "{" and text[i - 1 : i] != ch:
                deltas[i] = 1
                modes.append("interp")
                depth_in_interp.append(0)
                i += 2
                continue
            i += 1
            continue
        if ch == "#" or text.startswith("//", i):
            break
        if ch == '"':
            modes.append("string")
        elif ch in _OPENERS:
            deltas[i] = 1
            if mode == "interp":
                depth_in_interp[-1] += 1
        elif ch in _CLOSERS:
            deltas[i] = -1
            if mode == "interp":
                if depth_in_interp[-1] == 0:
                    modes.pop()
                    depth_in_interp.pop()
                else:
                    depth_in_interp[-1] -= 1
        elif ch == "=" and mode == "code":
            prev, nxt = text[i - 1 : i], text[i + 1 : i + 2]
            if prev not in "=!<>" and nxt not in "=>":
                equals.append(i)
        i += 1
    return deltas, equals


def _analyse(text: str) -> _Line:
    deltas, equals = _scan(text)
    if not equals or equals[0] == 0:
        return _Line(text, sum(deltas), None)
    eq = equals[0]
    single_line = sum(deltas[eq:]) == 0
    lead, rhs = text[:eq].rstrip(), text[eq + 1 :].lstrip()
    text = f"{lead} = {rhs}"  # one space each side, as hclwrite spaces tokens
    return _Line(text, sum(deltas), len(lead) + 1 if single_line else None)


def _collapse_blank_lines(lines: list[str]) -> list[str]:
    """At most one blank line in a row; none after an opener, before a closer, or at the ends."""
    out: list[str] = []
    for line in lines:
        if not line:
            if not out or not out[-1] or out[-1][-1] in _OPENERS:
                continue
            out.append(line)
            continue
        if line[0] in _CLOSERS and out and not out[-1]:
            out.pop()
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def format_hcl(text: str) -> str:
    """Lay out HCL text as `terraform fmt` would (indentation, `=` alignment, blank lines)."""
    lines = _collapse_blank_lines([raw.strip() for raw in text.splitlines()])
    analysed = [_analyse(line) for line in lines]

    indents: list[int] = []
    levels: list[int] = []
    for line in analysed:
        if line.net < 0:
            closed = -line.net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        levels.append(len(indents))
        if line.net > 0:
            indents.append(line.net)

    rendered: list[str] = []
    chain: list[int] = []

    def close_chain() -> None:
        width = max(
            (levels[k] * 2 + len(analysed[k].text[: analysed[k].assign].rstrip()) for k in chain),
            default=0,
        )
        for k in chain:
            line = analysed[k]
            assert line.assign is not None
            lead = line.text[: line.assign].rstrip()
            rhs = line.text[line.assign + 1 :].lstrip()
            pad = width - levels[k] * 2 - len(lead)
            rendered[k] = " " * (levels[k] * 2) + lead + " " * (pad + 1) + "= " + rhs
        chain.clear()

    for k, line in enumerate(analysed):
        rendered.append((" " * (levels[k] * 2) + line.text) if line.text else "")
        if line.assign is None:
            close_chain()
        else:
            chain.append(k)
    close_chain()
    return "\n".join(re.sub(r"\s+$", "", r) for r in rendered) + "\n"
