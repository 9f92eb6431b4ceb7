"""Hostile files for every reader: huge declared shapes, zip bombs, forged sizes, deep
nesting, pickles, path traversal, HTML. Shared by the limits test (which reads them in a
process limited to 4 GB of address space) and the fuzz suite.

Each maker writes one file into a folder and returns its path; ``READ`` maps a file's
suffix to the reader a user reaches it through.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rnnviz.io.limits import MAX_ZIP_MEMBERS
from rnnviz.io.session_file import SessionContents, write_session
from rnnviz.session import Session
from rnnviz.session.document import Document

FORGED_SIZE = 0xF000_0000  # 3.75 GiB: what a forged zip directory claims a member unpacks to
BOMB_BYTES = 8 * 2**20  # a real bomb: 8 MB of zeros, about 8 KB packed (the limit is 200×)
DEEP = "[" * 100_000 + "]" * 100_000
HTML = '<img src="/dev/zero"><b>bold</b>'


class Payload:
    """A pickle that records, if it is ever unpickled, that it ran."""

    ran = False

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return (_mark_ran, ())


def _mark_ran() -> None:  # pragma: no cover - must never run
    Payload.ran = True
    raise AssertionError("a pickle was executed")


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """An .npy file that declares ``shape`` and holds almost nothing."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + b"\0" * 64


def forge_sizes(data: bytes, size: int = FORGED_SIZE) -> bytes:
    """A zip whose directory claims every member unpacks to ``size`` bytes."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset : at + offset + 4] = struct.pack("<I", size)
            at = out.find(signature, at + 4)
    return bytes(out)


def zip_with(members: dict[str, bytes], bomb: str | None = None) -> bytes:
    """A zip of ``members`` (deflated), plus a real bomb under the name ``bomb``: an .npy
    header declaring one number, then BOMB_BYTES of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        if bomb is not None:
            with z.open(bomb, "w", force_zip64=False) as f:
                f.write(npy_bytes(np.zeros(1)))
                zero = b"\0" * 2**20
                for _ in range(BOMB_BYTES // 2**20):
                    f.write(zero)
    return buf.getvalue()


# ---- sessions ---------------------------------------------------------------------------


def session_members(**manifest_changes: object) -> dict[str, bytes]:
    """The members of a valid session file, with ``manifest_changes`` made to its manifest."""
    c: SessionContents = Document(Session()).contents()
    members: dict[str, bytes] = {}
    manifest = {
        "format": "rnnviz-session",
        "version": 1,
        "config": c.config,
        "cell": c.params.cell,
        "activation": c.params.activation,
        "vocab": c.vocab,
        "t": c.t,
        "selected": c.selected,
        "training": None,
    }
    config_changes = manifest_changes.pop("config", {})
    manifest["config"] = {**c.config, **config_changes}  # type: ignore[dict-item]
    manifest.update(manifest_changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    for name, array in {**c.params.arrays(), "sequence": c.sequence}.items():
        members[f"arrays/{name}.npy"] = npy_bytes(np.ascontiguousarray(array))
    members["view.json"] = b"{}"
    return members


def valid_session(folder: Path) -> Path:
    path = folder / "valid.rnnviz"
    write_session(path, Document(Session()).contents())
    return path


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def session_files(folder: Path) -> dict[str, Path]:
    """Hostile session files, by what is wrong with them."""
    m = session_members
    huge = npy_header((10**9, 1))
    return {
        "sequence_length 1e9": _write(
            folder, "long.rnnviz", zip_with(m(config={"sequence_length": 10**9}))
        ),
        "hidden_size '8'": _write(folder, "text8.rnnviz", zip_with(m(config={"hidden_size": "8"}))),
        "seed -1": _write(folder, "seed.rnnviz", zip_with(m(config={"seed": -1}))),
        "seed 1e30": _write(folder, "seed30.rnnviz", zip_with(m(config={"seed": 10**30}))),
        "float sequence_length": _write(
            folder, "float.rnnviz", zip_with(m(config={"sequence_length": 20.0}))
        ),
        "declares 8 GB of inputs": _write(
            folder, "shape.rnnviz", zip_with({**m(), "arrays/sequence.npy": huge})
        ),
        "declares 8 TB of weights": _write(
            folder,
            "weights.rnnviz",
            zip_with({**m(), "arrays/W_hh.npy": npy_header((10**6, 10**6))}),
        ),
        "zip bomb": _write(
            folder,
            "bomb.rnnviz",
            zip_with({k: v for k, v in m().items() if "W_hy" not in k}, bomb="arrays/W_hy.npy"),
        ),
        "forged sizes": _write(folder, "forged.rnnviz", forge_sizes(zip_with(m()))),
        "too many members": _write(
            folder,
            "many.rnnviz",
            zip_with({**m(), **{f"x/{k}": b"" for k in range(MAX_ZIP_MEMBERS + 1)}}),
        ),
        "deep manifest": _write(folder, "deep.rnnviz", zip_with({"manifest.json": DEEP.encode()})),
        "pickled array": _write(
            folder,
            "pickle.rnnviz",
            zip_with({**m(), "arrays/b_y.npy": pickled_npy()}),
        ),
        "path traversal": _write(
            folder, "traversal.rnnviz", zip_with({**m(), "../../escaped.txt": b"x"})
        ),
    }


def pickled_npy() -> bytes:
    """An .npy of dtype object whose pickle would run Payload."""
    buf = io.BytesIO()
    np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
    return buf.getvalue()


# ---- lessons ----------------------------------------------------------------------------


def lesson(**slide: object) -> dict[str, object]:
    return {
        "format": "rnnviz-scenario",
        "version": 1,
        "title": HTML,
        "slides": [{"caption": HTML, **slide}],
    }


def lesson_files(folder: Path) -> dict[str, Path]:
    def put(name: str, data: object) -> Path:
        path = folder / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return {
        "sequence_length 1e9": put("long.json", lesson(settings={"sequence_length": 10**9})),
        "20,000-character vocabulary": put(
            "vocab.json", lesson(input={"text": "".join(map(chr, range(0x4E00, 0x4E00 + 20_000)))})
        ),
        "a million values": put("values.json", lesson(input={"values": [0.5] * 10**6})),
        "NaN value": put("nan.json", json.dumps(lesson(input={"values": [1.0, float("nan")]}))),
        "Infinity setting": put(
            "inf.json", json.dumps(lesson(settings={"spectral_radius": float("inf")}))
        ),
        "hidden_size '8'": put("text8.json", lesson(settings={"hidden_size": "8"})),
        "float seed": put("seed.json", lesson(settings={"seed": 1.5})),
        "deep": put("deep.json", DEEP),
        "steps 1e12": put("steps.json", lesson(run={"steps": 10**12})),
    }


# ---- weights ----------------------------------------------------------------------------


def state_dict(H: int = 4, I: int = 1, O: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "rnn.weight_ih_l0": rng.normal(size=(H, I)),
        "rnn.weight_hh_l0": rng.normal(size=(H, H)),
        "rnn.bias_ih_l0": np.zeros(H),
        "rnn.bias_hh_l0": np.zeros(H),
        "readout.weight": rng.normal(size=(O, H)),
        "readout.bias": np.zeros(O),
    }


def zero_state_dict(H: int, I: int = 1, O: int = 1) -> dict[str, np.ndarray]:
    """Zeros in float16: a large network that packs small and quickly."""
    shapes = {
        "rnn.weight_ih_l0": (H, I),
        "rnn.weight_hh_l0": (H, H),
        "rnn.bias_ih_l0": (H,),
        "rnn.bias_hh_l0": (H,),
        "readout.weight": (O, H),
        "readout.bias": (O,),
    }
    return {k: np.zeros(shape, np.float16) for k, shape in shapes.items()}


def npz_bytes(arrays: dict[str, bytes]) -> bytes:
    return zip_with({f"{k}.npy": v for k, v in arrays.items()})


def safetensors_bytes(header: object, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def weight_files(folder: Path) -> dict[str, Path]:
    good = {k: npy_bytes(v) for k, v in state_dict().items()}
    files = {
        "npz: declares 8 TB": _write(
            folder,
            "huge.npz",
            npz_bytes({**good, "rnn.weight_hh_l0": npy_header((10**6, 10**6))}),
        ),
        "npz: zip bomb": _write(folder, "bomb.npz", zip_with({}, bomb="rnn.weight_hh_l0.npy")),
        "npz: forged sizes": _write(folder, "forged.npz", forge_sizes(npz_bytes(good))),
        "npz: hidden size 5000": _write(
            folder,
            "h5000.npz",
            npz_bytes({k: npy_bytes(v) for k, v in zero_state_dict(H=5000).items()}),
        ),
        "npz: pickled array": _write(
            folder, "pickle.npz", npz_bytes({**good, "readout.bias": pickled_npy()})
        ),
        "npz: HTML key": _write(
            folder, "html.npz", npz_bytes({**good, HTML: good["readout.bias"]})
        ),
        "safetensors: declares 8 TB": _write(
            folder,
            "huge.safetensors",
            safetensors_bytes(
                {"x": {"dtype": "F64", "shape": [10**6, 10**6], "data_offsets": [0, 8]}}, b"\0" * 8
            ),
        ),
        "safetensors: header longer than the file": _write(
            folder, "claims.safetensors", struct.pack("<Q", 2**40) + b"{}"
        ),
        "pt: random bytes": _write(folder, "random.pt", np.random.default_rng(1).bytes(4096)),
        "pt: forged sizes": _write(folder, "forged.pt", forge_sizes(npz_bytes(good))),
        "pt: zip bomb": _write(folder, "bomb.pt", zip_with({}, bomb="archive/data/0")),
        "pt: a pickle": _write(folder, "pickle.pt", pickle.dumps(Payload())),
    }
    return files


# ---- sequences --------------------------------------------------------------------------


def sequence_files(folder: Path) -> dict[str, Path]:
    return {
        "npy: declares 8 TB": _write(folder, "huge.npy", npy_header((10**12,))),
        "npy: declares 10^7 steps": _write(folder, "long.npy", npy_header((10**7, 1))),
        "npy: pickled": _write(folder, "pickle.npy", pickled_npy()),
        "csv: 200,000 lines": _write(folder, "long.csv", b"1\n" * 200_000),
        "csv: 5,000 values a line": _write(folder, "wide.csv", b",".join([b"1"] * 5000) + b"\n"),
        "csv: 1;2": _write(folder, "semicolon.csv", b"1;2\n3;4\n"),
        "csv: HTML": _write(folder, "html.csv", HTML.encode() + b"\n"),
    }


def feed_texts() -> dict[str, str]:
    """What a user might paste into the Feed box."""
    return {
        "10^7 characters": "1 " * 5 * 10**6,
        "200,000 numbers": " ".join(["0.5"] * 200_000),
        "1e400": "1e400",
        "HTML": HTML,
    }


# ---- reading them -----------------------------------------------------------------------


def read_all(folder: Path) -> dict[str, tuple[str, str]]:
    """Every hostile file and paste through the reader a user reaches it by: name →
    ("refused", message) | ("accepted", "") | ("failed", what escaped the reader)."""
    from rnnviz.io.sequences import SequenceFileError, load_sequence
    from rnnviz.io.weights import WeightFileError, load_weights
    from rnnviz.session import InputError
    from rnnviz.session.document import DocumentError
    from rnnviz.session.lessons import ScenarioFileError, load_scenario

    doc = Document(Session())
    session = Session()
    cases: list[tuple[str, Callable[[], object], type[ValueError]]] = []
    for name, path in session_files(folder).items():
        cases.append((f"session: {name}", lambda p=path: doc.open(p), DocumentError))
    for name, path in lesson_files(folder).items():
        cases.append((f"lesson: {name}", lambda p=path: load_scenario(p), ScenarioFileError))
    for name, path in weight_files(folder).items():
        cases.append((f"weights {name}", lambda p=path: load_weights(p), WeightFileError))
    for name, path in sequence_files(folder).items():
        cases.append((f"sequence {name}", lambda p=path: load_sequence(p), SequenceFileError))
    for name, text in feed_texts().items():
        cases.append((f"Feed box: {name}", lambda t=text: session.feed_text(t), InputError))
    out: dict[str, tuple[str, str]] = {}
    for name, read, refusal in cases:
        try:
            read()
        except refusal as e:
            out[name] = ("refused", str(e))
        except BaseException as e:  # what escaped the reader is the finding
            out[name] = ("failed", f"{type(e).__name__}: {e}"[:300])
        else:
            out[name] = ("accepted", "")
    return out
