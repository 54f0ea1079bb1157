"""The receptive-field table of the lecture, exactly."""

from __future__ import annotations

import pytest

from coursework.video.layers import (
    EarlyFusion,
    GlobalPool,
    conv2d,
    conv3d,
    pool2d,
    pool3d,
)
from coursework.video.receptive_field import (
    format_table,
    receptive_field_table,
    rf_update,
)

INPUT = (3, 20, 64, 64)
LATE = [conv2d(12), pool2d(4), conv2d(24), GlobalPool()]
EARLY = [EarlyFusion(12), pool2d(4), conv2d(24), GlobalPool()]
THREE_D = [conv3d(12), pool3d(4), conv3d(24), GlobalPool()]

# (layer, size, receptive field T x H x W) from the lecture's comparison table
LECTURE = {
    "late": [
        ("Input", (3, 20, 64, 64), (1, 1, 1)),
        ("Conv2D(3x3, 3->12)", (12, 20, 64, 64), (1, 3, 3)),
        ("Pool2D(4x4)", (12, 20, 16, 16), (1, 6, 6)),
        ("Conv2D(3x3, 12->24)", (24, 20, 16, 16), (1, 14, 14)),
        ("GlobalAvgPool", (24, 1, 1, 1), (20, 64, 64)),
    ],
    "early": [
        ("Input", (3, 20, 64, 64), (1, 1, 1)),
        ("Conv2D(3x3, 3*20->12)", (12, 64, 64), (20, 3, 3)),
        ("Pool2D(4x4)", (12, 16, 16), (20, 6, 6)),
        ("Conv2D(3x3, 12->24)", (24, 16, 16), (20, 14, 14)),
        ("GlobalAvgPool", (24, 1, 1), (20, 64, 64)),
    ],
    "3d": [
        ("Input", (3, 20, 64, 64), (1, 1, 1)),
        ("Conv3D(3x3x3, 3->12)", (12, 20, 64, 64), (3, 3, 3)),
        ("Pool3D(4x4x4)", (12, 5, 16, 16), (6, 6, 6)),
        ("Conv3D(3x3x3, 12->24)", (24, 5, 16, 16), (14, 14, 14)),
        ("GlobalAvgPool", (24, 1, 1, 1), (20, 64, 64)),
    ],
}


@pytest.mark.parametrize(
    "name, specs", [("late", LATE), ("early", EARLY), ("3d", THREE_D)]
)
def test_lecture_table(name, specs):
    rows = receptive_field_table(specs, INPUT)
    assert [(r.layer, r.size, r.rf) for r in rows] == LECTURE[name]


def test_rf_update_known_values():
    assert rf_update(1, 1, 3, 1) == (3, 1)
    assert rf_update(3, 1, 4, 4) == (6, 4)
    assert rf_update(6, 4, 3, 1) == (14, 4)


def test_custom_update_is_used():
    calls = []

    def update(r, j, k, s):
        calls.append((r, j, k, s))
        return rf_update(r, j, k, s)

    receptive_field_table(LATE, INPUT, update)
    assert len(calls) == 3 * len(LATE)


def test_format_table_writes_the_lecture_notation():
    text = format_table(receptive_field_table(THREE_D, INPUT))
    assert "12x5x16x16" in text and "14x14x14" in text
