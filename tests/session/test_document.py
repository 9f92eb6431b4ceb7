"""The document: save → open restores the same arrays and step; bad files change nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.session import Change, Session, SessionConfig
from rnnviz.session.document import Document, DocumentError
from rnnviz.session.window_state import WindowState


def busy_session() -> Session:
    s = Session(SessionConfig(cell="gru", hidden_size=5, target_lag=2, clip=0.7, seed=4))
    s.set_config(spectral_radius=1.3)
    s.seek(9)
    s.select(4)
    return s


def test_save_then_open_restores_exactly(tmp_path: Path) -> None:
    s = busy_session()
    path = tmp_path / "lesson.rnnviz"
    Document(s).save_as(path)
    fresh = Session()
    Document(fresh).open(path)
    assert fresh.config == s.config and fresh.t == 9 and fresh.selected_step == 4
    for name, a in s.params.arrays().items():
        np.testing.assert_array_equal(fresh.params.arrays()[name], a)
    np.testing.assert_array_equal(fresh.sequence, s.sequence)
    np.testing.assert_array_equal(fresh.trace.h, s.trace.h)


def test_text_sessions_keep_their_vocabulary(tmp_path: Path) -> None:
    s = Session()
    s.load_preset("hello world")
    s.seek(5)
    Document(s).save_as(tmp_path / "t.rnnviz")
    fresh = Session()
    Document(fresh).open(tmp_path / "t.rnnviz")
    assert fresh.vocab == s.vocab and fresh.config.encoding == "text"
    np.testing.assert_array_equal(fresh.trace.y, s.trace.y)


def test_the_file_is_a_zip_of_json_and_npy_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "s.rnnviz"
    Document(busy_session()).save_as(path)
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
        ("shape", "W_hh has shape (4, 4), which no gru cell has"),
        ("bad-setting", "hidden size must be at least 1"),
        ("bad-step", '"t" must be a step between 0 and'),
    ],
)
def test_bad_files_are_named_and_leave_the_session_unchanged(
    tmp_path: Path, damage: str, message: str
) -> None:
    path = tmp_path / "bad.rnnviz"
    Document(busy_session()).save_as(path)
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
    with pytest.raises(DocumentError) as err:
        Document(s).open(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert (s.config, s.t, s.params) == (before[0], before[1], before[3])
    np.testing.assert_array_equal(s.trace.h, before[2])


def test_a_crash_while_saving_never_leaves_half_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keep.rnnviz"
    Document(busy_session()).save_as(path)
    good = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(DocumentError, match="disk full"):
        Document(Session()).save_as(path)
    assert path.read_bytes() == good
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_set_params_is_all_or_nothing() -> None:
    s = busy_session()
    before = (s.config, s.params, s.sequence.copy(), s.t)
    other = Session(SessionConfig(hidden_size=3)).params
    with pytest.raises(ValueError, match="values per step"):
        s.set_params(other, np.zeros((5, 4)))
    assert (s.config, s.params, s.t) == (before[0], before[1], before[3])
    np.testing.assert_array_equal(s.sequence, before[2])


# ---- the window's state and the document's verbs ------------------------------------------
def test_what_the_window_showed_is_saved_with_the_session(tmp_path: Path) -> None:
    doc = Document(busy_session())
    doc.session.run_backward()
    doc.lab.compare()
    doc.window.unrolled, doc.window.page, doc.window.lab_tab = False, "lab", "Training"
    doc.window.theme = "dark"  # a preference of the screen, not part of the work
    path = doc.save_as(tmp_path / "shown")
    assert path.name == "shown.rnnviz" and doc.path == path and not doc.modified
    back = Document()
    back.open(path)
    assert back.window.saved() == {"unrolled": False, "page": "lab", "lab_tab": "Training"}
    assert back.window.theme == "light"
    assert back.session.gradients is not None and back.lab.comparison is not None
    np.testing.assert_array_equal(back.session.gradients.dL_dh, doc.session.gradients.dL_dh)


def test_a_file_without_a_view_shows_the_defaults(tmp_path: Path) -> None:
    doc = Document(busy_session())
    path = doc.save_as(tmp_path / "old.rnnviz")
    rewrite_member(path, "view.json", None)
    back = Document()
    back.window.unrolled = False
    back.open(path)
    assert back.window.saved() == WindowState().saved()
    assert back.session.gradients is None


def rewrite_member(path: Path, name: str, data: bytes | None) -> None:
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    if data is None:
        members.pop(name)
    else:
        members[name] = data
    with zipfile.ZipFile(path, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{nope", "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"backward": "yes"}', 'bad "backward"'),
        (b'{"unrolled": 1}', 'bad "unrolled"'),
        (b'{"page": "settings"}', "unknown page 'settings'"),
    ],
)
def test_a_bad_view_is_named_and_changes_nothing(tmp_path: Path, raw: bytes, message: str) -> None:
    path = Document(busy_session()).save_as(tmp_path / "s.rnnviz")
    rewrite_member(path, "view.json", raw)
    doc = Document()
    before = (doc.session.config, doc.session.params, doc.window.saved())
    with pytest.raises(DocumentError) as info:
        doc.open(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert (doc.session.config, doc.session.params, doc.window.saved()) == before
    assert doc.path is None


def test_modified_follows_the_work_and_the_title_signal_fires(tmp_path: Path) -> None:
    doc = Document()
    fired: list[bool] = []
    doc.changed.connect(lambda: fired.append(doc.modified))
    assert not doc.modified
    doc.session.seek(4)
    assert doc.modified and fired == [True]
    doc.session.seek(0)  # back to what was saved
    assert not doc.modified and fired == [True, False]
    doc.window.unrolled = False  # how it is shown is not a change of the work
    assert not doc.modified
    doc.session.seek(2)
    doc.save_as(tmp_path / "a.rnnviz")
    assert not doc.modified and fired[-1] is False


def test_modified_follows_every_verb_but_the_backward_sweep(tmp_path: Path) -> None:
    """Each session verb emits one change; all but the sweep's cursor are the work's."""
    doc = Document()
    doc.session.seek(5)
    doc.session.run_backward()
    doc.save_as(tmp_path / "a.rnnviz")
    seen: list[Change] = []
    fired: list[bool] = []
    doc.session.changed.connect(seen.append)
    doc.changed.connect(lambda: fired.append(doc.modified))
    doc.session.set_sweep(3)  # the animated backward pass: not saved, not a change
    assert seen == [Change.SWEEP] and not doc.modified and fired == []
    doc.session.select(2)
    assert seen[-1] == Change.SELECTION and doc.modified and fired == [True]
    doc.session.set_sweep(None)
    assert seen[-1] == Change.SWEEP and doc.modified and fired == [True]
    doc.session.select(None)  # back to what was saved
    assert seen[-1] == Change.SELECTION and not doc.modified and fired == [True, False]
    doc.session.set_config(spectral_radius=0.5)  # a new network: stale steps and gradients
    assert seen[-1] & Change.CONFIG and doc.modified and fired[-1] is True


def test_new_puts_back_the_starting_state() -> None:
    doc = Document(busy_session())
    doc.window.page, doc.window.unrolled = "lab", False
    doc.new()
    fresh = Session()
    assert doc.session.config == fresh.config and doc.session.t == 0
    assert doc.window.saved() == WindowState().saved()
    assert doc.path is None and not doc.modified


def test_recover_opens_the_autosave_as_unsaved_work(tmp_path: Path) -> None:
    crashed = Document(busy_session())
    crashed.session.seek(6)
    autosave = tmp_path / "autosave.rnnviz"
    assert crashed.autosave(autosave)
    assert not crashed.autosave(autosave)  # nothing changed since
    doc = Document()
    doc.recover(autosave)
    assert doc.session.t == 6 and doc.path is None and doc.modified


def test_autosave_waits_while_an_export_steps_through_the_session(tmp_path: Path) -> None:
    doc = Document()
    doc.session.seek(3)
    doc.busy = True
    assert not doc.autosave(tmp_path / "a.rnnviz")
    doc.busy = False
    assert doc.autosave(tmp_path / "a.rnnviz")


def test_save_needs_a_file_and_save_as_names_one(tmp_path: Path) -> None:
    doc = Document()
    doc.session.seek(2)
    with pytest.raises(DocumentError, match="no file yet"):
        doc.save()
    assert doc.modified
    first = doc.save_as(tmp_path / "a")
    doc.session.seek(5)
    assert doc.save() == first and not doc.modified
    assert Document().session.t == 0
    back = Document()
    back.open(first)
    assert back.session.t == 5


def test_the_layer_and_direction_shown_are_saved_and_a_bad_one_is_refused(
    tmp_path: Path,
) -> None:
    doc = Document(Session(SessionConfig(cell="gru", num_layers=3, bidirectional=True)))
    doc.session.seek(6)
    path = doc.save_as(tmp_path / "deep")
    doc.session.set_focus(0, 1)
    assert not doc.modified  # what the panels show, like the rest of the view
    doc.save()
    back = Document()
    back.open(path)
    assert back.session.focus == (0, 1) and not back.modified
    trace = doc.session.trace  # the focused layer's: layer 1, backward
    np.testing.assert_array_equal(back.session.trace.h, trace.h)
    for raw, message in (
        (b'{"focus": [3, 0]}', "[3, 0] is not in the network's 3 layers of 2 directions"),
        (b'{"focus": [0, true]}', "is not a layer and a direction"),
        (b'{"focus": "top"}', "'top' is not a layer and a direction"),
    ):
        rewrite_member(path, "view.json", raw)
        other = Document()
        before = (other.session.config, other.session.focus)
        with pytest.raises(DocumentError) as info:
            other.open(path)
        assert str(info.value).startswith(f'{path}: its view.json has a bad "focus": ')
        assert message in str(info.value)
        assert (other.session.config, other.session.focus) == before
