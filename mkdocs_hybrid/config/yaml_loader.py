"""The one YAML loader of the project: ``hybrid.yml``, ``thread.yml``, ``snapshot.yml`` and the CLI's look at
``mkdocs.yml`` all go through :func:`load_yaml`.

PyYAML's ``safe_load`` runs no code, but it still accepts what a hostile snapshot can use against the build:

- aliases: a few hundred bytes of nested ``&a [*b, *b, ...]`` stand for gigabytes once anything walks or
  formats the value (a "billion laughs"): anchors and aliases are refused outright (a project's YAML is
  small and never needs them);
- duplicate keys: the last one silently wins, so what a reviewer reads is not what the build uses: refused;
- deep nesting: ``[[[[...]]]]`` recurses through the composer until ``RecursionError``: refused past
  :data:`MAX_DEPTH` levels, long before;
- text that is not UTF-8, and integers past Python's digit limit: one line instead of a traceback.

Every refusal is a :class:`YamlError` whose message is one bounded line with the line and column.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

from mkdocs_hybrid.model.errors import clipped, shown

MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted (the project's own formats need 4)."""
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlError(ValueError):
    """A YAML text the project refuses, as one line (``invalid YAML: ... at line 3, column 5``)."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors, aliases, duplicate keys or nesting past :data:`MAX_DEPTH`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ComposerError(None, None, "anchors and aliases (&name, *name) are not allowed; write the value "
                                "out", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[object] = set()
            for key_node, _value in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: SafeConstructor refuses it with its own message
                if duplicate:
                    raise ConstructorError(None, None, f"duplicate key {shown(key)}: keep one of them",
                                           key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _LenientTagsLoader(StrictLoader):
    """:class:`StrictLoader` that reads an unknown tag (``!ENV``, ``!!python/name:...`` in ``mkdocs.yml``) as
    ``None`` instead of refusing the whole file: for reading one plain key of another tool's config."""


def _unknown_tag(loader: yaml.SafeLoader, node: Node) -> None:
    return None


_LenientTagsLoader.add_constructor(None, _unknown_tag)


def load_yaml(data: bytes | str, *, lenient_tags: bool = False) -> object:
    """Parse one YAML document with :class:`StrictLoader`; every refusal is one :class:`YamlError` line."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        # The reader checks the text for unprintable characters as it is made: inside the try.
        loader = (_LenientTagsLoader if lenient_tags else StrictLoader)(text)
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {yaml_problem(exc)}") from None
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {yaml_problem(exc)}") from None
    except (ValueError, RecursionError) as exc:  # an integer past Python's digit limit, a bad date
        mark = loader.get_mark()
        raise YamlError(f"invalid YAML: {clipped(str(exc), 80)} near line {mark.line + 1}") from None
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as one bounded line with its 1-based line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = clipped(str(getattr(exc, "problem", None) or str(exc).splitlines()[0]))
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem
