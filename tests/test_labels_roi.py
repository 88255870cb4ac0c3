"""Label files and the region of interest."""

from __future__ import annotations

import pytest
from conftest import MIRROR

from camapp.base.errors import CamappError
from camapp.base.roi import MIN_SIDE, ROI
from camapp.inference.labels import align_labels, parse_labels, read_labels, short_label


def test_plain_indexed_and_teachable_machine_label_formats_parse_the_same():
    plain = parse_labels("cat\ndog\n\nbird\n")
    spaced = parse_labels("0 cat\n1 dog\n2 bird\n")
    colon = parse_labels("2: bird\n0: cat\n1: dog\n")
    assert plain == spaced == colon == ["cat", "dog", "bird"]


def test_indexed_labels_with_gaps_are_refused():
    with pytest.raises(CamappError, match="gaps or repeats"):
        parse_labels("0 cat\n2 dog\n")


def test_empty_and_missing_label_files_are_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(CamappError, match="has no labels"):
        read_labels(tmp_path / "empty.txt")
    with pytest.raises(CamappError, match="label file not found"):
        read_labels(tmp_path / "nope.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(CamappError, match="cannot read label file"):
        read_labels(tmp_path / "binary.txt")


def test_mirror_label_files_align_with_1001_outputs():
    full = read_labels(MIRROR / "imagenet_labels.txt")
    short = read_labels(MIRROR / "labels.txt")
    without = read_labels(MIRROR / "labels_without_background.txt")
    assert len(full) == len(short) == 1001 and len(without) == 1000
    assert align_labels(without, 1001) == short
    assert [short_label(x) for x in full][283] == "tiger cat"
    assert full[282] == "tabby, tabby cat"  # ImageNet class 281, after background


def test_short_label_is_the_first_synonym():
    assert short_label("tabby, tabby cat") == "tabby"
    assert short_label("macaw") == "macaw"


def test_roi_is_clamped_ordered_and_never_empty():
    roi = ROI.clamped(1.4, -0.2, 0.3, 0.9)
    assert roi.as_tuple() == (0.3, 0.0, 1.0, 0.9)
    empty = ROI.clamped(0.5, 0.5, 0.5, 0.5)
    assert empty.width == pytest.approx(MIN_SIDE) and empty.height == pytest.approx(MIN_SIDE)
    corner = ROI.clamped(1.0, 1.0, 1.0, 1.0)
    assert corner.right <= 1.0 and corner.width == pytest.approx(MIN_SIDE)
    x0, y0, x1, y1 = corner.to_pixels(7, 5)
    assert x1 > x0 and y1 > y0 and x1 <= 7 and y1 <= 5


def test_roi_parse_reads_four_fractions_and_explains_bad_input():
    assert ROI.parse("0.1, 0.2,0.6,0.8").as_tuple() == (0.1, 0.2, 0.6, 0.8)
    with pytest.raises(CamappError, match="cannot read ROI"):
        ROI.parse("0.1,0.2,0.6")
    with pytest.raises(CamappError, match="cannot read ROI"):
        ROI.parse("a,b,c,d")


def test_central_crop_is_the_papers_87_5_percent():
    roi = ROI.central(0.875)
    assert roi.as_tuple() == pytest.approx((0.0625, 0.0625, 0.9375, 0.9375))
    with pytest.raises(CamappError):
        ROI.central(0.0)


def test_arrow_key_geometry_larger_smaller_taller_wider():
    roi = ROI(0.4, 0.4, 0.6, 0.6)
    larger = roi.scaled(1.25)
    assert larger.width > roi.width and larger.height > roi.height
    assert larger.center == pytest.approx(roi.center)
    smaller = roi.scaled(0.8)
    assert smaller.width < roi.width and smaller.height < roi.height
    taller = roi.reshaped(1.25)  # left arrow: taller and narrower
    assert taller.height > roi.height and taller.width < roi.width
    wider = roi.reshaped(0.8)  # right arrow: shorter and wider
    assert wider.height < roi.height and wider.width > roi.width


def test_roi_stays_inside_the_frame_when_moved_or_grown():
    roi = ROI(0.7, 0.7, 0.95, 0.95)
    moved = roi.moved(0.5, 0.5)
    assert moved.right == pytest.approx(1.0) and moved.bottom == pytest.approx(1.0)
    assert moved.width == pytest.approx(roi.width)
    grown = roi.scaled(10.0)
    assert grown.as_tuple() == pytest.approx((0.0, 0.0, 1.0, 1.0))
    centred = roi.centered_at(0.0, 0.0)
    assert centred.left == 0.0 and centred.top == 0.0
