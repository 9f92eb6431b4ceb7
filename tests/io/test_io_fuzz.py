"""Fuzzing every reader and the Feed box: generated hostile input (random bytes, truncations,
flipped bytes, wrong types, huge declared shapes, bombs, HTML, deep nesting, pickles, path
traversal) is either accepted or refused in one line naming the file; a refusal changes
nothing; no pickle ever runs.

Examples per test are modest so that the suite runs in seconds; CI loads the derandomized
profile of tests/conftest.py, so a red run replays exactly.
"""

from __future__ import annotations

import io
import json
import math
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import hostile_files as hostile
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.engine import init_params
from rnnviz.io.sequences import SequenceFileError, load_sequence
from rnnviz.io.session_file import write_session
from rnnviz.io.weights import WeightFileError, load_weights, save_weights
from rnnviz.session import InputError, Session
from rnnviz.session.config import SessionConfig
from rnnviz.session.document import Document, DocumentError
from rnnviz.session.lessons import ScenarioFileError, load_scenario

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- the readers, as a user reaches them --------------------------------------------------


def optional(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


HAS_TORCH, HAS_SAFETENSORS = optional("torch"), optional("safetensors")


READERS: dict[str, tuple[Callable[[Path], object], type[ValueError]]] = {
    ".npz": (load_weights, WeightFileError),
    ".safetensors": (load_weights, WeightFileError),
    ".pt": (load_weights, WeightFileError),
    ".npy": (load_sequence, SequenceFileError),
    ".csv": (load_sequence, SequenceFileError),
    ".json": (load_scenario, ScenarioFileError),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def valid(folder: Path) -> dict[str, bytes]:
    """A valid file of every kind, as bytes."""
    params = init_params("lstm", 2, 3, 2, np.random.default_rng(0))
    out: dict[str, bytes] = {}
    for suffix in (".npz", ".safetensors", ".pt"):
        if (suffix == ".pt" and not HAS_TORCH) or (
            suffix == ".safetensors" and not HAS_SAFETENSORS
        ):
            continue
        path = folder / f"valid{suffix}"
        save_weights(path, params)
        out[suffix] = path.read_bytes()
    out[".npy"] = hostile.npy_bytes(np.arange(12.0).reshape(6, 2))
    out[".csv"] = b"0.5,1\n-2,3e-4\n7,8\n"
    lesson = hostile.lesson(settings={"hidden_size": 4}, input={"values": [0.5, 1.0]})
    out[".json"] = json.dumps(lesson).encode()
    doc = Document(Session())
    doc.session.seek(5)
    write_session(folder / "valid.rnnviz", doc.contents())
    out[".rnnviz"] = (folder / "valid.rnnviz").read_bytes()
    return out


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path


def state(doc: Document) -> tuple[object, ...]:
    """Everything a refused Open must leave as it was."""
    s = doc.session
    arrays = tuple(a.tobytes() for a in s.params.arrays().values())
    return (
        s.config,
        arrays,
        s.sequence.tobytes(),
        s.vocab,
        s.t,
        s.selected,
        doc.lab.training,
        json.dumps(doc.window.saved(), sort_keys=True),
        doc.path,
    )


@pytest.fixture(scope="module")
def doc() -> Iterator[Document]:
    d = Document(Session())
    d.session.feed_text("0.25 0.5 1")
    yield d


def read_fails_closed(read: Callable[[Path], object], refusal: type[ValueError], path: Path) -> str:
    """Read ``path``: accepted (""), or refused in one line naming the file (the message)."""
    try:
        read(path)
    except refusal as e:
        message = str(e)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message and len(message) <= 300, message
        return message
    return ""


def open_fails_closed(doc: Document, path: Path) -> str:
    """Open ``path`` in ``doc``: accepted, or refused with the document unchanged."""
    before = state(doc)
    try:
        doc.open(path)
    except DocumentError as e:
        message = str(e)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        assert state(doc) == before
        return message
    finally:
        assert not hostile.Payload.ran
    return ""


# ---- the named hostile files ----------------------------------------------------------------


@pytest.fixture(scope="module")
def named(folder: Path) -> dict[str, dict[str, Path]]:
    sub = folder / "named"
    sub.mkdir()
    return {
        "session": hostile.session_files(sub),
        "lesson": hostile.lesson_files(sub),
        "weights": hostile.weight_files(sub),
        "sequence": hostile.sequence_files(sub),
    }


def test_every_named_hostile_file_is_refused_and_changes_nothing(
    named: dict[str, dict[str, Path]], doc: Document
) -> None:
    readers = {
        "lesson": (load_scenario, ScenarioFileError),
        "weights": (load_weights, WeightFileError),
        "sequence": (load_sequence, SequenceFileError),
    }
    count = 0
    for kind, files in named.items():
        for name, path in files.items():
            count += 1
            if kind == "session":
                message = open_fails_closed(doc, path)
                doc.new()
                doc.session.feed_text("0.25 0.5 1")
            else:
                message = read_fails_closed(*readers[kind], path)
            assert message or name == "path traversal", (kind, name)
    assert count == 41
    assert not hostile.Payload.ran


@pytest.mark.parametrize("name", list(hostile.feed_texts()))
def test_every_named_hostile_paste_is_refused_and_feeds_nothing(name: str) -> None:
    session = Session()
    session.feed_text("1 2")
    before = (session.t, session.sequence.tobytes())
    with pytest.raises(InputError):
        session.feed_text(hostile.feed_texts()[name])
    assert (session.t, session.sequence.tobytes()) == before


# ---- generated: bytes ---------------------------------------------------------------------

SUFFIXES = [".rnnviz", *READERS]
# Beginnings that take random bytes past each reader's first check.
PREFIXES = [b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"{", b'{"format": "rnnviz-scenario"', b"1,"]


def read_any(folder: Path, suffix: str, data: bytes, doc: Document) -> str:
    path = write(folder, suffix, data)
    try:
        if suffix == ".rnnviz":
            return open_fails_closed(doc, path)
        return read_fails_closed(*READERS[suffix], path)
    finally:
        path.unlink()


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=512),
)
def test_random_bytes_are_refused_in_one_line(
    folder: Path, doc: Document, suffix: str, prefix: bytes, body: bytes
) -> None:
    read_any(folder, suffix, prefix + body, doc)


@FUZZ
@given(data=st.data())
def test_truncated_files_are_refused_in_one_line(
    folder: Path, valid: dict[str, bytes], doc: Document, data: st.DataObject
) -> None:
    suffix = data.draw(st.sampled_from(sorted(valid)))
    whole = valid[suffix]
    cut = data.draw(st.integers(0, len(whole) - 1))
    message = read_any(folder, suffix, whole[:cut], doc)
    if suffix not in (".csv", ".json"):  # a cut CSV may still be whole lines of numbers
        assert message


@FUZZ
@given(data=st.data())
def test_files_with_flipped_bytes_are_accepted_or_refused(
    folder: Path, valid: dict[str, bytes], doc: Document, data: st.DataObject
) -> None:
    suffix = data.draw(st.sampled_from(sorted(valid)))
    raw = bytearray(valid[suffix])
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    read_any(folder, suffix, bytes(raw), doc)


# ---- generated: wrong types and sizes ---------------------------------------------------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([0, 1, -1, 2**31, 10**9, 4097, 100_001])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 5e-324])
    | st.text(max_size=12)
    | st.just(hostile.HTML)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
)
CONFIG_FIELDS = [
    "cell",
    "activation",
    "hidden_size",
    "encoding",
    "input_size",
    "init",
    "spectral_radius",
    "gate_bias",
    "seed",
    "sequence_length",
    "preset",
    "loss_at",
    "target_lag",
    "truncate",
    "clip",
    "dtype",
]


def assert_well_typed(config: SessionConfig) -> None:
    """What any accepted settings hold: whole numbers are ints, reals are finite."""
    for name in ("hidden_size", "input_size", "seed", "sequence_length", "target_lag"):
        value = getattr(config, name)
        assert type(value) is int, (name, value)
    assert config.truncate is None or type(config.truncate) is int
    for name in ("spectral_radius", "gate_bias"):
        assert math.isfinite(getattr(config, name))
    assert config.clip is None or math.isfinite(config.clip)


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(CONFIG_FIELDS), JSON_VALUES, min_size=1, max_size=3))
def test_a_session_file_with_any_settings_opens_well_typed_or_not_at_all(
    folder: Path, doc: Document, changes: dict[str, object]
) -> None:
    data = hostile.zip_with(hostile.session_members(config=changes))
    doc.new()
    if not read_any(folder, ".rnnviz", data, doc):
        assert_well_typed(doc.session.config)


@FUZZ
@given(
    settings_=st.dictionaries(st.sampled_from(CONFIG_FIELDS), JSON_VALUES, max_size=3),
    slide=st.dictionaries(st.sampled_from(["input", "run", "caption"]), JSON_VALUES, max_size=2),
)
def test_a_lesson_with_any_values_loads_well_typed_or_not_at_all(
    folder: Path, settings_: dict[str, object], slide: dict[str, object]
) -> None:
    text = json.dumps(hostile.lesson(settings=settings_, **slide))
    path = write(folder, ".json", text.encode())
    try:
        read_fails_closed(load_scenario, ScenarioFileError, path)
    finally:
        path.unlink()


@FUZZ
@given(
    shape=st.lists(st.integers(0, 2**40), min_size=1, max_size=4),
    fmt=st.sampled_from(["npz", "npy", "rnnviz"]),
)
def test_huge_declared_shapes_are_refused_before_allocating(
    folder: Path, doc: Document, shape: list[int], fmt: str
) -> None:
    declared = hostile.npy_header(tuple(shape))
    if fmt == "npy":
        read_any(folder, ".npy", declared, doc)
    elif fmt == "npz":
        members = {k: hostile.npy_bytes(v) for k, v in hostile.state_dict().items()}
        members["rnn.weight_hh_l0"] = declared
        read_any(folder, ".npz", hostile.npz_bytes(members), doc)
    else:
        members = hostile.session_members()
        members["arrays/sequence.npy"] = declared
        read_any(folder, ".rnnviz", hostile.zip_with(members), doc)


@settings(FUZZ, max_examples=10)
@given(depth=st.integers(1_000, 200_000), suffix=st.sampled_from([".json", ".rnnviz"]))
def test_deep_nesting_is_refused(folder: Path, doc: Document, depth: int, suffix: str) -> None:
    deep = ("[" * depth + "]" * depth).encode()
    data = deep if suffix == ".json" else hostile.zip_with({"manifest.json": deep})
    assert read_any(folder, suffix, data, doc) or depth < 5_000


@settings(FUZZ, max_examples=15)
@given(
    names=st.lists(
        st.sampled_from(["../x", "../../x", "/abs/x", "..\\x", "a/../../x", "arrays/../../x"])
        | st.text(min_size=1, max_size=20),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_path_traversal_in_a_session_extracts_nothing(
    folder: Path, doc: Document, names: list[str]
) -> None:
    before = sorted(p.name for p in folder.parent.iterdir())
    members = hostile.session_members()
    members.update({name: b"escaped" for name in names if name not in members})
    read_any(folder, ".rnnviz", hostile.zip_with(members), doc)
    assert sorted(p.name for p in folder.parent.iterdir()) == before


@settings(FUZZ, max_examples=10)
@given(where=st.sampled_from(["npz", "npy", "rnnviz", "pt"]))
def test_pickles_are_never_run(folder: Path, doc: Document, where: str) -> None:
    payload = hostile.pickled_npy()
    if where == "npy":
        read_any(folder, ".npy", payload, doc)
    elif where == "npz":
        read_any(folder, ".npz", hostile.npz_bytes({"rnn.weight_hh_l0": payload}), doc)
    elif where == "rnnviz":
        members = {**hostile.session_members(), "arrays/W_hh.npy": payload}
        read_any(folder, ".rnnviz", hostile.zip_with(members), doc)
    else:
        import pickle

        read_any(folder, ".pt", pickle.dumps(hostile.Payload()), doc)
    assert not hostile.Payload.ran


# ---- generated: the Feed box --------------------------------------------------------------

NUMBER_TEXT = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["1e308", "-1.7e308", "1e400", "5e-324", "nan", "inf", "0x10", "1_000"]),
        st.integers(-(10**30), 10**30).map(str),
    ),
    max_size=20,
).map(" ".join)


@settings(FUZZ, max_examples=80)
@given(text=st.one_of(st.text(max_size=40), NUMBER_TEXT, st.just(hostile.HTML)))
def test_the_feed_box_feeds_everything_or_nothing(text: str) -> None:
    session = Session()
    session.feed_text("0.5")
    before = (session.t, session.sequence.tobytes(), session.config)
    try:
        fed = session.feed_text(text)
    except InputError as e:
        assert "\n" not in str(e) and len(str(e)) <= 300
        assert (session.t, session.sequence.tobytes(), session.config) == before
        return
    assert session.t == before[0] + fed
    assert np.isfinite(session.sequence).all()


@settings(FUZZ, max_examples=30)
@given(text=st.text(min_size=1, max_size=60))
def test_any_text_is_taken_as_literal_characters_or_refused(text: str) -> None:
    session = Session()
    try:
        session.set_sequence(text)
    except InputError:
        assert session.config.encoding == "scalar"
        return
    assert session.vocab == "".join(sorted(set(text)))
    assert session.sequence.shape == (len(text), len(session.vocab))


def test_a_lesson_keeps_html_as_literal_text(folder: Path) -> None:
    path = write(folder, ".json", json.dumps(hostile.lesson()).encode())
    scenario = load_scenario(path)
    assert scenario.title == hostile.HTML and scenario.slides[0].caption == hostile.HTML


def test_a_session_zip_of_many_empty_members_is_refused(folder: Path, doc: Document) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k in range(1000):
            z.writestr(f"m{k}", b"")
    assert "the most rnnviz takes is 64" in read_any(folder, ".rnnviz", buf.getvalue(), doc)
