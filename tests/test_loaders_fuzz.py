"""Property-based tests of the loaders: whatever bytes arrive, they give a value of the promised shape or one clear error.

`core.read_image` -> (H, W) uint8 or `BadInputError`; `core.read_curves_csv` -> float arrays or `BadInputError`;
`registry.load_checkpoint` -> dict or `CheckpointError`. Nothing else (no IndexError, struct.error, warning lines...).
"""
import io, os, tempfile, warnings, zipfile
from pathlib import Path
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image
from rasterlog_nb.core import CURVE_COLUMNS, MIN_SIDE, BadInputError, read_curves_csv, read_image

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d: yield Path(d)

def _file(scratch:Path, data:bytes, name="f.bin")->Path:
    p = scratch / name; p.write_bytes(data); return p

# --- images ----------------------------------------------------------------------------------------
MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"]
FORMATS = ["PNG", "TIFF", "BMP", "GIF", "JPEG", "WEBP"]

def _savable():
    "(mode, format) pairs PIL can write, found by trying."
    ok = []
    for m in MODES:
        for f in FORMATS:
            try: Image.new(m, (2, 2)).save(io.BytesIO(), format=f); ok.append((m, f))
            except Exception: pass
    return ok
SAVABLE = _savable()
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"P5\n"]

def _check_image(p:Path):
    "read_image's promise: a (H, W) uint8 array, or BadInputError; and no warning on the way."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try: a = read_image(p)
        except BadInputError as e:
            a = None
            assert str(e) and "\n" not in str(e)
    assert not caught, f"read_image let a warning through (an extra stderr line): {caught[0].message}"
    if a is None: return None
    assert isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.ndim == 2, (a.dtype, a.shape)
    assert min(a.shape) >= MIN_SIDE
    return a

@FAST
@given(head=st.sampled_from(MAGIC), body=st.binary(max_size=3000))
def test_read_image_random_bytes(scratch, head, body):
    _check_image(_file(scratch, head + body, "r.img"))

@st.composite
def encoded_images(draw):
    mode, fmt = draw(st.sampled_from(SAVABLE))
    w, h = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = len(Image.new(mode, (w, h)).tobytes())
    im = Image.frombytes(mode, (w, h), rng.bytes(n))
    if mode == "P":
        im.putpalette(list(rng.integers(0, 256, 768)))
        if draw(st.booleans()): im.info["transparency"] = int(rng.integers(0, 256))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    data = buf.getvalue()
    cut = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if cut == "truncate": data = data[:draw(st.integers(0, max(0, len(data) - 1)))]
    elif cut == "flip" and data:
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(b) - 1)); b[i] = draw(st.integers(0, 255))
        data = bytes(b)
    return mode, fmt, w, h, cut, data

@FAST
@given(encoded_images())
def test_read_image_shapes_and_modes(scratch, case):
    mode, fmt, w, h, cut, data = case
    a = _check_image(_file(scratch, data, "e." + fmt.lower()))
    if cut != "none": return  # damaged: either outcome is fine, as long as it is one of the two
    if min(w, h) < MIN_SIDE or mode == "F":
        assert a is None, f"{mode} {fmt} {w}x{h} accepted"
    else:
        assert a is not None and a.shape == (h, w), f"{mode} {fmt} {w}x{h} refused or misread"

# --- curves CSV -----------------------------------------------------------------------------------
TOKENS = st.sampled_from(["", " ", "nan", "NaN", "1", "-2.5", "1e999", "inf", "abc", "0x10", '"', '"a,b"', "\x00", "é", "1_0", "\t"])
FIELD = TOKENS | st.text(max_size=6)
HEADER = st.sampled_from([",".join(CURVE_COLUMNS), ",".join(CURVE_COLUMNS[::-1]), "row,depth", "", "a,b,c",
                          "\ufeff" + ",".join(CURVE_COLUMNS)]) | st.text(max_size=30)

@FAST
@given(header=HEADER, rows=st.lists(st.lists(FIELD, max_size=8).map(",".join), max_size=6), raw=st.none() | st.binary(max_size=200))
def test_read_curves_csv(scratch, header, rows, raw):
    data = raw if raw is not None else ("\n".join([header, *rows]) + "\n").encode("utf-8", "surrogatepass")
    p = _file(scratch, data, "c.csv")
    try: t = read_curves_csv(p)
    except BadInputError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert set(t) == set(CURVE_COLUMNS)
    n = {len(v) for v in t.values()}
    assert len(n) == 1 and n.pop() >= 1
    assert all(v.dtype == np.float64 for v in t.values())

def test_read_curves_csv_round_trip(scratch):
    from rasterlog_nb.core import Calibration, curves_table, write_curves_csv
    cols = np.array([[1.5, np.nan], [2.0, 3.25], [np.nan, 4.0]])
    write_curves_csv(scratch / "ok.csv", curves_table(cols, Calibration(0, 10, 100, 102), 3, 11))
    t = read_curves_csv(scratch / "ok.csv")
    np.testing.assert_array_equal(np.isnan(t["curve1_col"]), np.isnan(cols[:, 0]))
    np.testing.assert_allclose(t["depth"], [100, 101, 102])

# --- checkpoints ----------------------------------------------------------------------------------
torch = pytest.importorskip("torch")
from rasterlog_nb.core import CheckpointError
from rasterlog_nb.models import UNet
from rasterlog_nb.registry import CKPT_FORMAT, load_checkpoint, save_checkpoint

def _check_ckpt(p:Path):
    try: ck = load_checkpoint(p)
    except CheckpointError as e:
        assert str(e) and "\n" not in str(e)
        return None
    assert isinstance(ck, dict)
    return ck

@FAST
@given(body=st.binary(max_size=2000), zip_head=st.booleans())
def test_load_checkpoint_random_bytes(scratch, body, zip_head):
    assert _check_ckpt(_file(scratch, (b"PK\x03\x04" if zip_head else b"") + body, "b.pt")) is None

@FAST
@given(members=st.lists(st.tuples(st.sampled_from(["archive/data.pkl", "archive/version", "archive/data/0", "archive/byteorder",
                                                   "x/data.pkl", "data.pkl", ".data/version"]) | st.text(min_size=1, max_size=12),
                                   st.binary(max_size=300)), max_size=5))
def test_load_checkpoint_random_zip(scratch, members):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate member names are fine for the test
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in members: z.writestr(name, data)
    assert _check_ckpt(_file(scratch, buf.getvalue(), "z.pt")) is None

PLAIN = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() | st.text(max_size=10)
TENSORS = st.builds(lambda shape, v: torch.full(shape, v), st.lists(st.integers(0, 3), max_size=3).map(tuple), st.floats(-1e3, 1e3))
VALUES = st.recursive(PLAIN | TENSORS, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
                      max_leaves=8)

_GOOD = None
def _good():
    "A real checkpoint dict of a tiny U-Net, to mutate."
    global _GOOD
    if _GOOD is None:
        d = Path(tempfile.mkdtemp()); save_checkpoint(d / "g.pt", UNet(base=2, depth=1))
        _GOOD = torch.load(d / "g.pt", weights_only=True)
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in _GOOD.items()}

CONFIG_VALUES = st.sampled_from([None, 0, -1, 1, 2, 3, 4, 10**6, 10**9, 2.5, "x", True, [1], {"a": 1}])

@FAST
@given(data=st.data())
def test_load_checkpoint_random_dicts(scratch, data):
    "Top-level dicts that are partly ours: every key may be missing, of a wrong type, or subtly off."
    ck = _good()
    for key in ("format", "classes", "config", "state_dict", "extra"):
        what = data.draw(st.sampled_from(["keep", "keep", "drop", "random", "tweak"]), label=key)
        if what == "drop": ck.pop(key, None)
        elif what == "random": ck[key] = data.draw(VALUES, label=f"{key} value")
        elif what == "tweak" and key == "config":
            k = data.draw(st.sampled_from(["arch", "n_classes", "base", "depth", "norm", "in_channels", "bogus"]), label="config key")
            ck["config"][k] = data.draw(CONFIG_VALUES | st.sampled_from(["unet", "resnet", "group", "batch"]), label="config value")
        elif what == "tweak" and key == "state_dict" and ck["state_dict"]:
            k = data.draw(st.sampled_from(sorted(ck["state_dict"])), label="tensor")
            ck["state_dict"][k] = data.draw(TENSORS | st.sampled_from([torch.zeros(1, dtype=torch.complex64), torch.zeros(0)]), label="new tensor")
        elif what == "tweak" and key == "classes":
            ck["classes"] = data.draw(st.sampled_from([["background", "curve1"], ["background", "curve1", "curve2", "curve3"],
                                                       ("background", "curve1", "curve2"), "abc", [0, 1, 2]]), label="classes")
        elif what == "tweak" and key == "format": ck["format"] = CKPT_FORMAT + "x"
    p = scratch / "d.pt"
    torch.save(ck, p)
    got = _check_ckpt(p)
    if got is not None:  # accepted: then it really is a loadable model of ours
        from rasterlog_nb.registry import load_model
        load_model(p)

@FAST
@given(st.sampled_from([[], {}, 3, "ckpt", [1, 2]]) | VALUES)
def test_load_checkpoint_not_a_dict(scratch, value):
    p = scratch / "n.pt"; torch.save(value, p)
    assert _check_ckpt(p) is None
