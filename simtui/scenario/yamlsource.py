"""YAML mechanics of the loader: text to composed nodes, safely, with every problem located.

YAML is only *composed* (parsed into nodes with positions), never constructed: no tag can
build a Python object, and every value keeps its line and column until the format's rules
(`rules.py`) have read it. The tree that anchors and aliases stand for is sized before any
of it is read, in time linear in the file, so alias bombs are refused quickly and in
bounded memory. `Source` holds the text and collects the problems every layer finds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any

import yaml

from simtui.scenario.errors import Problem, ScenarioError
from simtui.scenario.grammar import ANNOTATION, MAX_NODES, MAX_PROBLEMS

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
_CORE_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL,
                        "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})

Where = yaml.Node | yaml.Mark | tuple[int, int] | None
"""A position to report: a node, a parser mark, (line, column) or nowhere (1:1)."""


def _make_loader(base: Any) -> Any:
    """`base` resolving only null, bool, int and float implicitly.

    YAML 1.1 would also turn `2024-01-01` into a timestamp, `<<` into a merge and `=` into
    a value tag; here they stay text, so a refused tag is always one the user wrote.
    """
    keep = {NULL, BOOL, INT, FLOAT}
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag in keep]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("ScenarioYAMLLoader", (base,), {"yaml_implicit_resolvers": resolvers})


try:  # the C composer is much faster on big files; both are safe (no construction)
    _Loader: Any = _make_loader(yaml.CSafeLoader)
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = _make_loader(yaml.SafeLoader)


def decode(data: bytes, source: str) -> str:
    """A file's bytes as text: UTF-8, a BOM allowed; anything else refused, located."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem(source, 1, 1, "the file is UTF-16 text; save it as UTF-8")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        good = data[: e.start].decode("utf-8-sig")
        line, col = position(good, len(good))
        what = "not a text file" if b"\x00" in data else "not UTF-8 text"
        raise ScenarioError([Problem(source, line, col,
                                     f"{what} (byte 0x{data[e.start]:02x}); save it as UTF-8")]
                            ) from None


def position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `text[index]`, counting lines as `str.splitlines` does."""
    lines = text[:index].splitlines(keepends=True)
    if not lines:
        return 1, 1
    last = lines[-1]
    if last.splitlines()[0] != last:  # ends with a line break: the next line starts here
        return len(lines) + 1, 1
    return len(lines), len(last) + 1


class Abort(Exception):
    """Stop reading: the problem is recorded and nothing after it can be trusted."""


class Source:
    """One scenario file's text, composed safely, and every problem found in it.

    Each layer of the loader reports through `err` and `warn`, at a node, a mark or a
    (line, column); `fail` turns what was found into the `ScenarioError` to raise.
    """

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.visits = 0
        self._lines: list[str] | None = None

    # -- reporting ---------------------------------------------------------------------

    def locate(self, where: Where) -> tuple[int, int]:
        """1-based (line, col) of a node or mark, kept inside the text."""
        if where is None:
            return 1, 1
        if isinstance(where, tuple):
            line, col = where
        else:
            mark = where.start_mark if isinstance(where, yaml.Node) else where
            line, col = mark.line + 1, mark.column + 1
        if self._lines is None:
            self._lines = self.text.splitlines() or [""]
        if line > len(self._lines):  # a mark at the very end of the text
            line = len(self._lines)
            col = len(self._lines[-1]) + 1
        return max(line, 1), max(1, min(col, len(self._lines[line - 1]) + 1))

    def err(self, where: Where, message: str) -> None:
        line, col = self.locate(where)
        self.problems.append(Problem(self.source, line, col, message))

    def warn(self, where: yaml.Node | tuple[int, int], message: str) -> None:
        line, col = self.locate(where)
        self.warnings.append(Problem(self.source, line, col, message))

    def fail(self) -> ScenarioError:
        """Every problem found, once each, in file order; capped at MAX_PROBLEMS."""
        problems = sorted(set(self.problems), key=lambda p: (p.line, p.col, p.message))
        if len(problems) > MAX_PROBLEMS:
            more = problems[MAX_PROBLEMS]
            rest = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [
                Problem(self.source, more.line, more.col,
                        f"... and {rest:,} more problem{'s' if rest > 1 else ''} from here on")
            ]
        return ScenarioError(problems)

    # -- YAML ------------------------------------------------------------------------

    def compose(self) -> yaml.Node | None:
        """The document's root node (None for an empty file); invalid YAML fails, located."""
        nul = self.text.find("\x00")
        if nul >= 0:
            self.err(position(self.text, nul), "not a text file (NUL character)")
            raise self.fail()
        try:
            return yaml.compose(self.text, Loader=_Loader)
        except yaml.reader.ReaderError as e:
            # Its position is a byte offset in the C parser and a character offset in
            # the Python one: find the character instead.
            ch = chr(e.character) if isinstance(e.character, int) else str(e.character)
            at = self.text.find(ch) if ch else -1
            self.err(position(self.text, max(at, 0)),
                     f"character U+{ord(ch[:1] or ' '):04X} is not allowed in YAML "
                     "(a control character); delete it")
        except yaml.MarkedYAMLError as e:
            self._yaml_problem(e)
        except yaml.YAMLError as e:
            self.err(None, f"invalid YAML: {clip(str(e), 120)}")
        except RecursionError:  # the pure-Python composer recurses per nesting level
            self.err(None, "invalid YAML: nested too deeply")
        raise self.fail()

    def _yaml_problem(self, e: yaml.MarkedYAMLError) -> None:
        problem = (e.problem or "").strip()
        context = (e.context or "").strip()
        mark = e.problem_mark or e.context_mark
        char = self._char_at(mark)
        if "end of stream" in problem and e.context_mark is not None:
            mark = e.context_mark  # "found unexpected end of stream": the opening quote
        if "expected a single document" in context:
            what = "only one YAML document is allowed per file (found a second `---`)"
        elif "undefined alias" in problem:
            name = re.match(r"\*?([^\s,\]}]*)", self.text[mark.index:] if mark else "")
            alias = name.group(1) if name else ""
            what = (f"alias `*{clip(alias)}` has no anchor `&{clip(alias)}` before it; "
                    "define the anchor first")
        elif "duplicate anchor" in context:
            what = "the same anchor `&name` is defined twice; rename one"
        elif "tab" in problem or char == "\t":
            what = "a tab character where YAML needs spaces; indent with spaces only"
        elif "nesting depth" in problem:
            what = "nested too deeply"
        elif problem.startswith("did not find expected ','") and e.context_mark is not None:
            mark = e.context_mark
            what = (f"this `{self._char_at(mark) or '['}` is never closed; add the closing "
                    "bracket, or a `,` between items")
        elif "cannot start any token" in problem and char:
            what = (f"a value cannot start with `{char}`; put the value in quotes")
        elif "mapping values are not allowed" in problem:
            what = ("a `:` where a mapping cannot start; put text that contains `: ` in "
                    "quotes, or check the indentation")
        elif "could not find expected ':'" in problem:
            what = "expected `key: value` here; check the indentation and quotes"
        elif "did not find expected" in problem or "expected <block end>" in problem:
            what = f"{problem}; check the indentation (and that quotes are closed)"
        elif problem:
            what = f"{problem}" + (f" ({context})" if context else "")
        else:
            what = context or "invalid YAML"
        self.err(mark, f"invalid YAML: {what}")

    def _char_at(self, mark: yaml.Mark | None) -> str:
        if mark is None or not 0 <= mark.index < len(self.text):
            return ""
        return self.text[mark.index]

    def check_expansion(self, root: yaml.Node) -> None:
        """Refuse alias bombs, recursive anchors and tags anywhere, before reading anything.

        Composed YAML shares one node per anchor, so the size of the tree the aliases stand
        for is computed once per distinct node, in time linear in the file. `x-` entries
        do not count towards the size (nothing reads them), but a tag there is refused too.
        """
        size: dict[int, int] = {}
        open_: set[int] = set()
        shared = False
        tags = False
        stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
        while stack:
            node, kids = stack.pop()
            nid = id(node)
            if kids is not None:
                total = 1 + sum(size[id(c)] for c in _children(node))
                open_.discard(nid)
                if total > MAX_NODES and shared:
                    self.err(node, f"anchors and aliases here expand to more than "
                                   f"{MAX_NODES:,} nodes; write the steps out or use `repeat`")
                    raise self.fail()
                size[nid] = min(total, MAX_NODES + 1)
                continue
            if nid in size:
                shared = True
                continue
            if nid in open_:
                self.err(node, "this anchor is used inside itself (`*name` within `&name`), "
                               "which never ends; use `repeat` instead")
                raise self.fail()
            if node.tag not in _CORE_TAGS:
                tags = True
                self.visit(node)  # reports the tag
            if isinstance(node, yaml.ScalarNode):
                size[nid] = 1
                continue
            open_.add(nid)
            kids = _all_children(node)
            stack.append((node, kids))
            stack.extend((c, None) for c in kids)
        if tags:
            raise self.fail()

    def visit(self, node: yaml.Node) -> bool:
        """Count a node visit and refuse tags; False when the node must be skipped."""
        self.visits += 1
        if self.visits > 4 * MAX_NODES:  # a safety net: check_expansion bounds this first
            self.err(node, f"anchors and aliases expand to too many nodes (more than "
                           f"{MAX_NODES:,}); write the steps out or use `repeat`")
            raise Abort
        if node.tag not in _CORE_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.err(node, f"the YAML tag `{clip(tag)}` is not allowed: a scenario is plain "
                           "data; remove the tag")
            return False
        return True

    # -- mappings --------------------------------------------------------------------

    def mapping(self, node: yaml.Node, what: str, optional: bool = False
                ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The entries of a mapping node by key, reporting duplicates and odd keys.

        With `optional`, an empty value is an empty mapping.
        """
        if not self.visit(node):
            return None
        if optional and is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.err(node, f"{what} must be a mapping (`key: value` lines), not {kind_of(node)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not self.visit(key):
                continue
            if not isinstance(key, yaml.ScalarNode) or key.tag == NULL:
                self.err(key, f"a key in {what} must be a name, not {kind_of(key)}")
                continue
            name = key.value
            if name == "<<" and not key.style:
                self.err(key, "merge keys (`<<`) are not supported: write the keys out, or "
                              "reuse a whole list of steps with an alias (`steps: *name`)")
                continue
            if name in out:
                first = self.locate(out[name][0])[0]
                self.err(key, f"`{clip(name)}` is given twice in {what} (first on line "
                              f"{first}); keep one")
                continue
            out[name] = (key, value)
        return out

    def did_you_mean(self, word: str, choices: Collection[str]) -> str:
        """A close match, while it is cheap: few choices, and few problems so far."""
        if len(self.problems) > 4 * MAX_PROBLEMS or len(choices) > 1000:
            return ""
        return close_match(word, choices)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and str(key.value).startswith(ANNOTATION)):
                yield key
                yield value


def _all_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value)


def is_null(node: yaml.Node) -> bool:
    """Whether `node` is an empty value (`key:` with nothing after it, `~`, `null`)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL


def kind_of(node: yaml.Node) -> str:
    """What a node is, for a message: `a list`, `the number 3`, `the text "x"`."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "an empty value"
    value = clip(node.value)
    if node.tag == BOOL:
        return f"`{value}`"
    if node.tag in (INT, FLOAT):
        return f"the number {value}"
    if node.tag == STR:
        return f'the text "{value}"'
    return f"`{value}`"


def clip(text: object, n: int = 40) -> str:
    """`text` for a message: on one line (breaks and tabs escaped), at most `n` characters."""
    s = str(text).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return s if len(s) <= n else s[: n - 1] + "…"


def close_match(word: str, choices: Iterable[str]) -> str:
    """` (did you mean `x`?)` for the choice closest to `word`, if one is close enough."""
    close = difflib.get_close_matches(str(word)[:100], list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
