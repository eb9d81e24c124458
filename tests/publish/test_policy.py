"""The publish policy decides from facts alone: no site, no ledger file, no report."""

from __future__ import annotations

from dataclasses import dataclass, field

from mkdocs_hybrid.model.catalog import BuiltVersion, VersionEntry
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.publish.policy import Reconciliation, reconcile, snapshot_key


def snapshot(ref: str, text: str = "one") -> Snapshot:
    thread, version = ref.split("/")
    return Snapshot(thread=thread, version=version, files={"index.js": text.encode()}, entry="index.js",
                    title=version, origin="test")


@dataclass(frozen=True)
class Row:
    thread: str
    version: str
    snapshot_key: str
    build_key: str
    files: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"

    @property
    def entry(self) -> VersionEntry:
        return VersionEntry(version=self.version, title="as published", created=None, author=None, tags=(),
                            entry="index.js", unlisted=False, build_key=self.build_key)


def published(*rows: Row) -> dict[tuple[str, str], Row]:
    return {(row.thread, row.version): row for row in rows}


def decide(built: list[BuiltVersion], rows: dict[tuple[str, str], Row], *, failed: set[str] = frozenset(),
           republish: set[str] = frozenset(), same_bytes: bool = False, owns: str | None = None) -> Reconciliation:
    return reconcile(built, rows, scanned=[item.snapshot for item in built], failed=set(failed),
                     owns=lambda thread: owns is None or thread == owns, republish=lambda ref: ref in republish,
                     same_bytes=lambda item, row: same_bytes)


def test_a_new_version_is_stored_and_kept() -> None:
    new = BuiltVersion(snapshot("t/v1"), "k1")
    plan = decide([new], {})
    assert [s.built for s in plan.store] == [new] and plan.kept == [new] and not plan.serve


def test_a_rebuild_with_the_published_build_key_or_bytes_is_kept_without_storing() -> None:
    item = BuiltVersion(snapshot("t/v1"), "k1")
    row = Row("t", "v1", snapshot_key(item.snapshot), "k1")
    assert decide([item], published(row)).kept == [item]
    other_key = BuiltVersion(item.snapshot, "k2")
    plan = decide([other_key], published(row), same_bytes=True)
    assert plan.kept == [other_key] and not plan.store and not plan.serve


def test_different_bytes_serve_the_published_ones_unless_republished() -> None:
    item = BuiltVersion(snapshot("t/v1"), "k2")
    row = Row("t", "v1", snapshot_key(item.snapshot), "k1")
    plan = decide([item], published(row))
    assert plan.replaced == {"t/v1"} and [s.why for s in plan.serve] == ["the rebuild gave different bytes"]
    assert plan.serve[0].built.snapshot.title == "as published" and plan.serve[0].built.build_key == "k1"
    republished = decide([item], published(row), republish={"t/v1"})
    assert [s.republish for s in republished.store] == [True] and republished.kept == [item]


def test_a_changed_snapshot_under_a_published_id_is_refused_with_the_next_free_id() -> None:
    item = BuiltVersion(snapshot("t/v1", "changed"), "k2")
    row = Row("t", "v1", snapshot_key(snapshot("t/v1", "original")), "k1")
    plan = decide([item], published(row, Row("t", "v2", "x", "y")))
    [refused] = plan.refused
    assert refused.ref == "t/v1" and "(e.g. v3)" in str(refused)
    assert plan.replaced == {"t/v1"} and [s.published.ref for s in plan.serve if s.published.version == "v1"]


def test_published_versions_not_built_are_served_within_the_build_s_threads() -> None:
    rows = published(Row("t", "v1", "a", "k"), Row("t", "v2", "b", "k"), Row("other", "v1", "c", "k"))
    plan = decide([], rows, failed={"t/v1"}, owns="t")
    assert {(s.published.ref, s.why) for s in plan.serve} == {("t/v1", "its rebuild failed"),
                                                             ("t/v2", "its snapshot is gone")}
