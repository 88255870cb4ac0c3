"""Properties that hold for any input: ROI maths, label parsing, quantisation, YAML reading."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from camapp.base.config import parse_yaml
from camapp.base.errors import CamappError
from camapp.base.roi import MIN_SIDE, ROI
from camapp.inference.classifier import RawRanking, dequantize, quantize, top_k_indices
from camapp.inference.labels import parse_labels

EPS = 1e-9
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
fraction = st.floats(min_value=0.0, max_value=1.0)


def assert_valid(roi: ROI) -> None:
    """Inside the frame, edges ordered, each side at least MIN_SIDE."""
    assert -EPS <= roi.left < roi.right <= 1.0 + EPS
    assert -EPS <= roi.top < roi.bottom <= 1.0 + EPS
    assert roi.width >= MIN_SIDE - EPS and roi.height >= MIN_SIDE - EPS


@st.composite
def rois(draw: st.DrawFn) -> ROI:
    return ROI.clamped(draw(finite), draw(finite), draw(finite), draw(finite))


# -- ROI -----------------------------------------------------------------------------------
@given(finite, finite, finite, finite)
def test_clamped_is_always_a_valid_box(left, top, right, bottom):
    assert_valid(ROI.clamped(left, top, right, bottom))


@given(fraction, fraction, fraction, fraction)
def test_parse_of_fractions_is_clamped_of_the_same_values(left, top, right, bottom):
    text = f"{left!r}, {top!r},{right!r} ,{bottom!r}"
    parsed = ROI.parse(text)
    assert parsed == ROI.clamped(left, top, right, bottom)
    assert_valid(parsed)


@given(st.lists(finite, min_size=4, max_size=4))
def test_parse_refuses_any_value_outside_0_to_1_and_says_what_was_meant(values):
    assume(not all(0.0 <= v <= 1.0 for v in values))
    with pytest.raises(CamappError) as caught:
        ROI.parse(",".join(repr(v) for v in values))
    message = str(caught.value)
    assert message.startswith("--roi values are fractions of the frame from 0 to 1; ")
    if all(0.0 <= v <= 100.0 for v in values):  # percent: the fix is right there
        suggested = ROI.parse(message.rsplit("use ", 1)[1])
        meant = ROI.clamped(*[v / 100.0 for v in values])
        assert suggested.as_tuple() == pytest.approx(meant.as_tuple(), abs=1e-9)


@given(rois(), st.floats(min_value=0.01, max_value=100.0))
def test_scaled_and_reshaped_stay_valid(roi, factor):
    assert_valid(roi.scaled(factor))
    assert_valid(roi.reshaped(factor))


@given(rois(), finite, finite)
def test_moved_stays_inside_and_keeps_its_size(roi, dx, dy):
    moved = roi.moved(dx, dy)
    assert_valid(moved)
    assert moved.width == pytest.approx(roi.width, abs=1e-9)
    assert moved.height == pytest.approx(roi.height, abs=1e-9)


@given(rois(), finite, finite)
def test_centered_at_stays_inside_and_keeps_its_size(roi, x, y):
    placed = roi.centered_at(x, y)
    assert_valid(placed)
    assert placed.width == pytest.approx(roi.width, abs=1e-9)


@given(rois(), st.integers(min_value=1, max_value=8000), st.integers(min_value=1, max_value=8000))
def test_pixels_are_inside_the_frame_and_never_empty(roi, width, height):
    x0, y0, x1, y1 = roi.to_pixels(width, height)
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


# -- labels --------------------------------------------------------------------------------
#: Label names as people write them: any text on one line, not starting with a digit (a
#: file whose every line starts "7 ..." is an indexed file by definition) or a colon ("0 :x"
#: reads as the Teachable Machine "0: x").
names = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\ufeff"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda name: name != "" and not name[0].isdigit() and name[0] != ":")
)


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(names, min_size=1, max_size=40),
    st.booleans(),
    st.sampled_from([None, " ", ": ", "\t", "  "]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.randoms(use_true_random=False),
)
def test_any_label_file_gives_exactly_its_names(labels, bom, separator, newline, rng):
    if separator is None:
        lines = list(labels)
    else:  # indexed: in any order, as Teachable Machine and some exporters write them
        lines = [f"{i}{separator}{name}" for i, name in enumerate(labels)]
        random.Random(rng.random()).shuffle(lines)
    text = ("\ufeff" if bom else "") + newline.join(lines) + newline
    assert parse_labels(text) == labels  # no index digits leak, none lost, none split


# -- quantisation ----------------------------------------------------------------------------
@st.composite
def quantisations(draw: st.DrawFn) -> tuple[np.dtype, float, int]:
    dtype = np.dtype(draw(st.sampled_from([np.uint8, np.int8])))
    info = np.iinfo(dtype)
    scale = draw(st.floats(min_value=1e-4, max_value=2.0))
    zero = draw(st.integers(min_value=int(info.min), max_value=int(info.max)))
    return dtype, scale, zero


@given(quantisations(), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=64))
def test_quantize_then_dequantize_is_within_half_a_step(q, positions):
    dtype, scale, zero = q
    info = np.iinfo(dtype)
    low, high = scale * (int(info.min) - zero), scale * (int(info.max) - zero)
    values = np.array([low + p * (high - low) for p in positions], np.float32)
    back = dequantize(quantize(values, scale, zero, dtype), scale, zero)
    assert np.all(np.abs(back - values) <= scale * 0.5 + 1e-4 * max(1.0, abs(high), abs(low)))


@given(quantisations(), st.lists(finite, min_size=1, max_size=64))
def test_quantize_saturates_at_the_types_range(q, values):
    dtype, scale, zero = q
    quantized = quantize(np.array(values, np.float32), scale, zero, dtype)
    assert quantized.dtype == dtype
    info = np.iinfo(dtype)
    assert quantized.min() >= info.min and quantized.max() <= info.max


@given(quantisations())
def test_every_quantized_value_survives_a_round_trip(q):
    dtype, scale, zero = q
    info = np.iinfo(dtype)
    every = np.arange(int(info.min), int(info.max) + 1).astype(dtype)
    assert np.array_equal(quantize(dequantize(every, scale, zero), scale, zero, dtype), every)


# -- YAML ------------------------------------------------------------------------------------
@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_text_is_a_mapping_or_one_camapp_error(text):
    try:
        data = parse_yaml(text, "config file x.yaml")
    except CamappError as exc:
        assert str(exc).startswith("config file x.yaml ")
        assert "\n" not in exc.message
    else:
        assert isinstance(data, dict)


# -- ranking quantised scores --------------------------------------------------------------------
@given(
    st.sampled_from([np.uint8, np.int8]),
    st.lists(st.integers(0, 255), min_size=2, max_size=300),
    st.integers(1, 12),
    st.booleans(),
)
def test_raw_ranking_ranks_as_top_k_indices_ties_and_background_included(dtype, values, k, bg):
    # The one-pass ranking camapp uses on quantised outputs must give exactly what the
    # reference ranking gives (score down, equal scores by index up, background never).
    info = np.iinfo(dtype)
    raw = np.array([min(max(v + info.min, info.min), info.max) for v in values], dtype)
    skip = (0,) if bg else ()
    floor = info.min + 1  # as in the classifier: the lowest level (a zero score) never counts
    expected, _ = top_k_indices(raw, k, float(floor), skip=skip, raw=True)
    ranked = RawRanking(raw.size).top(raw, k, skip).tolist()
    assert len(ranked) == min(k, raw.size - len(skip)) and not (bg and 0 in ranked)
    assert [i for i in ranked if raw[i] >= floor] == expected
