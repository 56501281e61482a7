"""The commented mapping file of a :class:`~salesnb.load.assistant.MappingProposal`.

Every guessed line carries a comment saying why (``# header "Close Date", values like
3/31/2025``); lines the user must decide are marked ``CHECK``; source columns left
unmapped are listed in comments; files that were not recognised are listed at the end.
The syntax is the mapping language of ``docs/mappings.md`` and the ``[pipeline]`` section
of :mod:`salesnb.stages`; :func:`salesnb.load.read_mapping` accepts the result.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesnb.load.guesses import MappingProposal, PipelineGuess, TableGuess

__all__ = ["draft_toml"]

_COMMENT_AT = 44


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _q(name)


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def _line(code: str, why: str = "", *, check: bool = False) -> str:
    text = _comment(("CHECK: " if check else "") + why)
    if not text:
        return code
    return f"{code}{' ' * max(1, _COMMENT_AT - len(code))}# {text}"


def _wrap(text: str, prefix: str = "# ", width: int = 88) -> list[str]:
    words, lines, cur = _comment(text).split(" "), [], prefix.rstrip()
    for w in words:
        if len(cur) + 1 + len(w) > width and cur.strip() != prefix.strip():
            lines.append(cur)
            cur = prefix.rstrip()
        cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return lines


def _deals(n: int) -> str:
    return f"{n} deal" if n == 1 else f"{n} deals"


def _array(values: list[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def draft_toml(
    proposal: MappingProposal, *, data: str | None = None, out: str | None = None
) -> str:
    """The mapping file text of a proposal (TOML with comments).

    Parameters
    ----------
    proposal : MappingProposal
    data, out : str, optional
        The data and mapping paths to show in the "next step" comment.
    """
    data = data or proposal.source
    rows = "every row" if proposal.limit is None else f"up to {proposal.limit:,} rows"
    lines = [
        f"# salesnb mapping proposed by `salesnb map` for {_comment(data)}",
        "#",
        f"# Nothing was loaded: this is a guess from the headers and {rows} of each file.",
        "# Read every line; those marked CHECK need your decision. Then dry-run it:",
        "#",
        f"#   salesnb check {_comment(data)} --mapping {_comment(out or 'THIS_FILE.toml')}",
        "#",
        "# The mapping language is in docs/mappings.md, the contract in docs/data-contract.md.",
        f"description = {_q('Proposed by salesnb map for ' + str(data))}",
        "",
    ]
    if proposal.pipeline is not None:
        lines += _pipeline_lines(proposal.pipeline)
    for guess in proposal.tables:
        lines += _table_lines(guess)
    if not proposal.tables:
        lines += ["# No contract table was recognised in this source.", ""]
    if proposal.unrecognised:
        lines.append("# Not recognised as a contract table (map them by hand if they are one):")
        for part in proposal.unrecognised:
            heads = ", ".join(f'"{h}"' for h in part.headers[:12])
            more = f" +{len(part.headers) - 12} more" if len(part.headers) > 12 else ""
            said = "; ".join(part.notes) if not part.headers else ""
            lines += _wrap(f"{part.label}: {heads or said}{more}", prefix="#   ")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _pipeline_lines(p: PipelineGuess) -> list[str]:
    found = ", ".join(f"{v} ({n})" for v, n in p.values)
    lines = ["# " + "-" * 78, "# Pipeline"]
    lines += _wrap(f"Values of {p.where} (deals in the sample): {found}.")
    lines += _wrap(
        f"CHECK the order of the stages below, first stage first: ordered {p.order_why}. "
        "Reorder them to match your CRM; an open deal may also carry `rotting_days = N` "
        "(stale after N idle days) and `probability` (0-1)."
    )
    lines.append("[pipeline]")
    if p.won:
        lines.append(_line(f"won = {_array([v for v, _ in p.won])}", "values meaning won"))
    else:
        lines.append("# won = []  # CHECK: no value meaning won was found")
    if p.lost:
        lines.append(_line(f"lost = {_array([v for v, _ in p.lost])}", "values meaning lost"))
    else:
        lines.append("# lost = []  # CHECK: no value meaning lost was found")
    if any(prob is not None for _, _, prob in p.stages):
        for name, n, prob in p.stages:
            lines += ["", "[[pipeline.stages]]", _line(f"name = {_q(name)}", _deals(n))]
            if prob is not None:
                lines.append(_line(f"probability = {prob:g}", "median of its deals"))
    else:
        lines.append("stages = [")
        for name, n, _ in p.stages:
            lines.append(_line(f"    {_q(name)},", _deals(n)))
        lines.append("]")
    return [*lines, ""]


def _table_lines(g: TableGuess) -> list[str]:
    t = g.table
    lines = ["# " + "-" * 78, f"# {t} <- {g.part.label}"]
    lines += _wrap(f"Recognised as {t}: {g.why}.")
    lines.append(f"[tables.{t}]")
    for k, v in g.part.locator.items():
        lines.append(f"{k} = {_q(v)}")
    if g.distinct:
        lines.append(_line(f"distinct = {_q(g.distinct)}", f"one row per {g.distinct}"))
        lines.append(_line("keep_extra = false", "the file's other columns belong elsewhere"))
    if g.decimal:
        lines.append(_line(f"decimal = {_q(g.decimal)}", "numbers are written like 1.234,50"))
    if g.filter_hint:
        lines.append(_line(f"# filter = {_q(g.filter_hint)}", "rows to leave out, if any"))
    for note in g.notes:
        lines += _wrap(note)
    lines += ["", f"[tables.{t}.columns]"]
    for col, guess in g.columns.items():
        if col in g.mapped:
            lines.append(_line(f"{col} = {_q(guess.source)}", guess.why, check=guess.check))
    missing = [
        c
        for c, spec in _contract(t).items()
        if spec.required
        and c not in g.columns
        and not (t in ("opportunities", "opportunity_history") and c == "status")
    ]
    for col in missing:
        lines.append(_line(f'# {col} = ""', "required: no column found; name yours", check=True))
    if g.unmapped and not g.distinct:
        heads = ", ".join(f'"{h}"' for h in g.unmapped)
        lines += _wrap(f"Not mapped (kept as extra columns): {heads}")
    for col, vmap in g.values.items():
        lines += _value_lines(g, col, vmap)
    for col in g.unknown_values:
        if col not in g.values:
            lines += _value_lines(g, col, {})
    if g.dates:
        lines += ["", f"[tables.{t}.dates]"]
        for col, (fmt, why, check) in g.dates.items():
            lines.append(_line(f"{col} = {_q(fmt)}", why, check=check))
    derived = {c: x for c, x in g.columns.items() if x.expression}
    if derived:
        lines += ["", f"[tables.{t}.derive]"]
        for col, guess in derived.items():
            lines += _wrap(("CHECK: " if guess.check else "") + guess.why)
            lines.append(f"{col} = {_q(guess.expression)}")
    return [*lines, ""]


def _value_lines(g: TableGuess, col: str, vmap: dict[str, str]) -> list[str]:
    source = g.columns[col].source
    lines = ["", f"[tables.{g.table}.values.{col}]"]
    for value, target in vmap.items():
        lines.append(_line(f"{_key(value)} = {_q(target)}", f'"{source}" value'))
    allowed = _allowed_text(g.table, col)
    for value in g.unknown_values.get(col, []):
        lines.append(
            _line(f'# {_key(value)} = ""', f"unknown value: one of {allowed}, or filter it out",
                  check=True)
        )  # fmt: skip
    return lines


def _contract(table: str) -> dict:
    from salesnb.schema import columns

    return columns(table)


def _allowed_text(table: str, col: str) -> str:
    for check in _contract(table)[col].checks:
        if getattr(check, "name", "") == "isin":
            return ", ".join(map(str, (check.statistics or {}).get("allowed_values", [])))
    return "the contract's values"
