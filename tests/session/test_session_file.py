"""Session files: save → open restores the same arrays and step; bad files change nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.session import Session, SessionConfig
from rnnviz.session.session_file import (
    SessionFileError,
    load_session,
    restore,
    save_session,
    snapshot,
)


def busy_session() -> Session:
    s = Session(SessionConfig(cell="gru", hidden_size=5, target_lag=2, clip=0.7, seed=4))
    s.set_config(spectral_radius=1.3)
    s.seek(9)
    s.select(4)
    return s


def test_save_then_open_restores_exactly(tmp_path: Path) -> None:
    s = busy_session()
    training = {"task": "copy", "losses": [0.7, 0.2]}
    path = tmp_path / "lesson.rnnviz"
    save_session(path, snapshot(s, training))
    fresh = Session()
    snap = load_session(path)
    restore(fresh, snap)
    assert fresh.config == s.config and fresh.t == 9 and fresh.selected_step == 4
    for name, a in s.params.arrays().items():
        np.testing.assert_array_equal(fresh.params.arrays()[name], a)
    np.testing.assert_array_equal(fresh.sequence, s.sequence)
    np.testing.assert_array_equal(fresh.trace.h, s.trace.h)
    assert snap.training == training


def test_text_sessions_keep_their_vocabulary(tmp_path: Path) -> None:
    s = Session()
    s.load_preset("hello world")
    s.seek(5)
    save_session(tmp_path / "t.rnnviz", snapshot(s))
    fresh = Session()
    restore(fresh, load_session(tmp_path / "t.rnnviz"))
    assert fresh.vocab == s.vocab and fresh.config.encoding == "text"
    np.testing.assert_array_equal(fresh.trace.y, s.trace.y)


def test_the_file_is_a_zip_of_json_and_npy_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "s.rnnviz"
    save_session(path, snapshot(busy_session()))
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["format"] == "rnnviz-session" and manifest["version"] == 1
        w = np.load(io.BytesIO(z.read("arrays/W_hh.npy")), allow_pickle=False)
    assert w.shape == (15, 5)


def rewrite(path: Path, manifest: dict | None = None, arrays: dict | None = None) -> None:
    """Copy a good session file with some members replaced."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    if manifest is not None:
        members["manifest.json"] = json.dumps(manifest).encode()
    for name, data in (arrays or {}).items():
        if data is None:
            members.pop(f"arrays/{name}.npy")
        else:
            members[f"arrays/{name}.npy"] = data
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def npy(a: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=allow_pickle)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", "not a valid zip"),
        ("foreign", "not a valid zip"),
        ("no-manifest", "no manifest.json"),
        ("too-new", "version 7 is newer than this rnnviz reads"),
        ("not-ours", "not an rnnviz session"),
        ("missing-array", "missing array W_hh"),
        ("pickle", "pickled objects"),
        ("nan", "array b_y holds non-finite values"),
        ("shape", "W_hh has shape (4, 4), expected (15, 5)"),
        ("bad-setting", "hidden size must be at least 1"),
        ("bad-step", '"t" must be a step between 0 and'),
    ],
)
def test_bad_files_are_named_and_leave_the_session_unchanged(
    tmp_path: Path, damage: str, message: str
) -> None:
    path = tmp_path / "bad.rnnviz"
    save_session(path, snapshot(busy_session()))
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "foreign":
        path.write_text("just some text")
    elif damage == "no-manifest":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("other.txt", "x")
    elif damage == "too-new":
        rewrite(path, {**manifest, "version": 7})
    elif damage == "not-ours":
        rewrite(path, {**manifest, "format": "something-else"})
    elif damage == "missing-array":
        rewrite(path, arrays={"W_hh": None})
    elif damage == "pickle":
        rewrite(path, arrays={"b_y": npy(np.array([object()]), allow_pickle=True)})
    elif damage == "nan":
        rewrite(path, arrays={"b_y": npy(np.array([np.nan]))})
    elif damage == "shape":
        rewrite(path, arrays={"W_hh": npy(np.zeros((4, 4)))})
    elif damage == "bad-setting":
        rewrite(path, {**manifest, "config": {**manifest["config"], "hidden_size": 0}})
    elif damage == "bad-step":
        rewrite(path, {**manifest, "t": 99})
    s = Session()
    s.seek(3)
    before = (s.config, s.t, s.trace.h.copy(), s.params)
    with pytest.raises(SessionFileError) as err:
        restore(s, load_session(path))
    assert str(path) in str(err.value) and message in str(err.value)
    assert (s.config, s.t, s.params) == (before[0], before[1], before[3])
    np.testing.assert_array_equal(s.trace.h, before[2])


def test_a_crash_while_saving_never_leaves_half_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keep.rnnviz"
    save_session(path, snapshot(busy_session()))
    good = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        save_session(path, snapshot(Session()))
    assert path.read_bytes() == good


def test_set_params_is_all_or_nothing() -> None:
    s = busy_session()
    before = (s.config, s.params, s.sequence.copy(), s.t)
    other = Session(SessionConfig(hidden_size=3)).params
    with pytest.raises(ValueError, match="values per step"):
        s.set_params(other, np.zeros((5, 4)))
    assert (s.config, s.params, s.t) == (before[0], before[1], before[3])
    np.testing.assert_array_equal(s.sequence, before[2])
