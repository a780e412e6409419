"""Issue 8, class 1: never act on a partial reading of the manifests.

Every path given is read completely, or the command stops with exit 2 before any API call, naming the
path. The worst case this guards against: a manifest that is silently not read looks like an endpoint
nobody wants, and `apply --prune` deletes it.
"""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write
from test_manifest import BASE, issues_of, variant

from endpointctl.manifest import files, load, read_manifests
from endpointctl.sandbox import Sandbox

NOTHING = "no manifest in this file: it is empty, or holds only `---` and comments"


def tree(root: pathlib.Path, names: list[str]) -> list[pathlib.Path]:
    """One valid manifest per name, as root/<name>.yaml (subdirectories allowed in names)."""
    paths = []
    for name in names:
        endpoint = pathlib.PurePath(name).name
        path = root / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(variant(("name: demo", f"name: {endpoint}")))
        paths.append(path)
    return paths


def breaking(kind: str, path: pathlib.Path) -> str:
    """Damage ``path`` (a manifest in a tree) as ``kind`` says; the message that must name it."""
    if kind == "dangling symlink":
        path.unlink()
        path.symlink_to(path.parent / "gone.yaml")
        return "a dangling symlink"
    if kind == "not utf-8":
        path.write_bytes("name: caf\xe9\n".encode("latin-1"))
        return "not UTF-8"
    if kind == "empty":
        path.write_text("")
        return NOTHING
    if kind == "only separators":
        path.write_text("---\n---\n")
        return NOTHING
    if kind == "only comments":
        path.write_text("# to do\n# later\n")
        return NOTHING
    if kind == "a fifo":
        path.unlink()
        os.mkfifo(path)  # opening it to read would wait for a writer: forever
        return "not a regular file"
    raise AssertionError(kind)


KINDS = ["dangling symlink", "not utf-8", "empty", "only separators", "only comments", "a fifo"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_file_anywhere_in_a_tree_stops_the_reading_naming_it(
    tmp_path: pathlib.Path, kind: str
) -> None:
    paths = tree(tmp_path, ["a", "team/b", "team/deep/c"])
    message = breaking(kind, paths[1])
    issues = issues_of([tmp_path])
    assert [(issue.file, issue.message) for issue in issues if message in issue.message] == [
        (str(paths[1]), next(issue.message for issue in issues if message in issue.message))
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(
        st.sampled_from(["a", "b", "c", "x/d", "x/e", "x/y/f", "g", "x/y/h"]), min_size=1, unique=True
    ),
    which=st.integers(min_value=0, max_value=7),
    kind=st.sampled_from(KINDS),
)
def test_a_tree_is_read_whole_or_not_at_all(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], which: int, kind: str
) -> None:
    root = tmp_path_factory.mktemp("tree")
    paths = tree(root, names)
    reading = read_manifests([root], environ={})
    assert sorted(d.name for d in reading.desired) == sorted(pathlib.PurePath(n).name for n in names)
    assert len(reading.files) == len(names)
    damaged = paths[which % len(paths)]
    message = breaking(kind, damaged)
    issues = issues_of([root])
    assert any(issue.file == str(damaged) and message in issue.message for issue in issues)


def test_a_symlink_loop_is_an_error_not_a_skip(tmp_path: pathlib.Path) -> None:
    tree(tmp_path, ["a"])
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "back").symlink_to(tmp_path)
    (tmp_path / "self.yaml").symlink_to(tmp_path / "self.yaml")
    issues = issues_of([tmp_path])
    messages = {issue.file: issue.message for issue in issues}
    assert "symlink loop" in messages[str(tmp_path / "team" / "back")]
    assert "symlink loop" in messages[str(tmp_path / "self.yaml")]


def test_a_symlinked_directory_is_read_too(tmp_path: pathlib.Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    tree(elsewhere, ["linked"])
    root = tmp_path / "root"
    tree(root, ["a"])
    (root / "team").symlink_to(elsewhere)
    assert sorted(d.name for d in load([root], environ={})) == ["a", "linked"]


def test_a_given_path_that_is_a_dangling_symlink_or_a_fifo_is_named(tmp_path: pathlib.Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "missing.yaml")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    issues = issues_of([link, fifo])
    assert [(i.file, i.message.split(" (")[0]) for i in issues] == [
        (str(link), "a dangling symlink"),
        (str(fifo), "not a regular file or directory"),
    ]


def _refusing(path: pathlib.Path, error: int) -> Callable[..., Any]:
    """What the OS answers for an entry we may not open (tests may run as root, where chmod has no say)."""
    real = os.scandir

    def scandir(directory: Any) -> Any:
        if pathlib.Path(directory) == path:
            raise OSError(error, os.strerror(error), str(path))
        return real(directory)

    return scandir


def test_a_directory_that_cannot_be_listed_is_an_error(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree(tmp_path, ["a", "secret/b"])
    monkeypatch.setattr(os, "scandir", _refusing(tmp_path / "secret", errno.EACCES))
    (issue,) = issues_of([tmp_path])
    assert issue.file == str(tmp_path / "secret")
    assert issue.message == "cannot list this directory: Permission denied"


def test_a_file_that_cannot_be_opened_is_an_error(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (path,) = tree(tmp_path, ["a"])
    real_open = os.open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if pathlib.Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    (issue,) = issues_of([tmp_path])
    assert (issue.file, issue.message) == (str(path), "cannot read: Permission denied")


def test_the_prune_that_once_deleted_what_it_could_not_read_now_refuses(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """The issue's example: a stack of two; one manifest becomes a dangling symlink; prune must not run."""
    write(tmp_path, "keep.yaml", manifest("keep"))
    second = pathlib.Path(write(tmp_path, "also.yaml", manifest("also")))
    assert cli("apply", str(tmp_path), "--stack", "prod", "--yes").code == 0
    second.unlink()
    second.symlink_to(tmp_path / "moved-away.yaml")
    sandbox.reset_counts()
    for argv in (
        ["validate"],
        ["plan", "--prune", "--stack", "prod"],
        ["apply", "--prune", "--stack", "prod", "--yes"],
    ):
        result = cli(argv[0], str(tmp_path), *argv[1:])
        assert result.code == 2, (argv, result.all)
        assert f"{second}: (document): a dangling symlink" in result.stderr
    assert sum(sandbox.counts().values()) == 0  # not even read
    names = [e["name"] for e in __import__("json").loads(cli("status", "-o", "json").stdout)]
    assert sorted(names) == ["also", "keep"]


def test_an_empty_file_beside_good_ones_is_an_error_but_an_empty_document_is_not(
    tmp_path: pathlib.Path,
) -> None:
    write(tmp_path, "empty.yaml", "")
    issues = issues_of([tmp_path / "empty.yaml"])
    assert [i.message for i in issues] == [NOTHING]
    text = "---\n# a placeholder document\n---\n" + BASE
    (tmp_path / "empty.yaml").write_text(text)
    assert [d.name for d in load([tmp_path / "empty.yaml"], environ={})] == ["demo"]


def test_a_prune_plan_lists_every_file_it_read(cli: Cli, tmp_path: pathlib.Path) -> None:
    write(tmp_path, "a.yaml", manifest("a"))
    (tmp_path / "team").mkdir()
    write(tmp_path, "team/b.yaml", manifest("b"))
    result = cli("plan", str(tmp_path), "--prune", "--stack", "prod")
    assert result.code == 0, result.all
    files = f"{tmp_path / 'a.yaml'}, {tmp_path / 'team' / 'b.yaml'}"
    listed = f"Read 2 manifest file(s), each in full (hidden entries skipped): {files}"
    assert listed in result.stdout
    assert (
        "Read 2 manifest file(s)" not in cli("plan", str(tmp_path)).stdout
    )  # only where a prune depends on it
    records = __import__("json").loads(cli("plan", str(tmp_path), "-o", "json").stdout)
    assert [r["source"] for r in records] == [f"{tmp_path / 'a.yaml'}:1", f"{tmp_path / 'team' / 'b.yaml'}:1"]


def test_a_file_reached_by_several_paths_is_read_once_under_the_first_in_order(
    tmp_path: pathlib.Path,
) -> None:
    """Real paths are known from each directory's own (a file that is no symlink: its directory's real path
    and its name); a link to a file, a linked directory, and a directory reached through a linked parent
    all lead to the real files, each read once, in sorted order, whatever the way in."""
    elsewhere = tmp_path / "elsewhere"
    tree(elsewhere, ["shared"])
    (elsewhere / "deeper").mkdir()
    tree(elsewhere / "deeper", ["deep"])
    root = tmp_path / "root"
    tree(root, ["a", "z"])
    (root / "b-link.yaml").symlink_to(root / "z.yaml")  # z, first met as b-link
    (root / "c").symlink_to(elsewhere)  # shared and deeper/deep through the link
    (root / "d").symlink_to(elsewhere / "deeper")  # deep again, by another way
    (root / "e").mkdir()
    (root / "e" / "shared-again.yml").symlink_to(elsewhere / "shared.yaml")
    found = [f for f in files.find([root, elsewhere / "shared.yaml"]) if isinstance(f, files.ManifestFile)]
    assert [pathlib.Path(f.path).relative_to(tmp_path).as_posix() for f in found] == [
        "root/a.yaml",
        "root/b-link.yaml",
        "root/c/shared.yaml",
        "root/d/deep.yaml",  # c/deeper is not read again: the walk reached that directory through d first
    ]
    walked = list(files._walk(root, []))
    assert [real for _, real in walked] == [path.resolve() for path, _ in walked]
