"""Exercises of notebook 01 (video understanding) and their checks."""

from __future__ import annotations

import torch

from coursework.exercises.core import Case, Exercise, register
from coursework.exercises.core import case_generator as _gen
from coursework.video.clips import sample_clip
from coursework.video.flow import horn_schunck_step
from coursework.video.localization import temporal_iou, temporal_nms
from coursework.video.models import early_fusion_reshape, late_fusion_pool
from coursework.video.receptive_field import rf_update


def _sample_clip_cases(device: torch.device) -> list[Case]:
    g = _gen(0)
    cases = []
    for name, (b, length, t, stride, dtype) in {
        "float32, B=2, L=10, T=4, stride 2": (2, 10, 4, 2, torch.float32),
        "float64, B=3, L=6, T=3, stride 1": (3, 6, 3, 1, torch.float64),
        "uint8 frames, B=1, L=9, T=3, stride 4": (1, 9, 3, 4, torch.uint8),
        "edge: T=1": (4, 5, 1, 3, torch.float32),
    }.items():
        videos = (torch.rand(b, length, 3, 4, 5, generator=g) * 255).to(dtype)
        last = length - ((t - 1) * stride + 1)
        starts = torch.randint(last + 1, (b,), generator=g)
        starts[0] = last  # a clip that ends on the last frame
        cases.append(Case(name, (videos.to(device), starts.to(device), t, stride)))
    return cases


register(
    Exercise(
        id="video.sample_clip",
        points=1,
        reference=sample_clip,
        cases=_sample_clip_cases,
        hint=(
            "A clip is num_frames frames taken every `stride` frames from its own "
            "start: build a (B, T) table of frame indices first, then pick all the "
            "frames in one indexing step (no loop over videos).",
            "Row b of the table is starts[b] + stride * arange(num_frames); pair it "
            "with the batch index arange(B) as a column so that advanced indexing "
            "takes frame index[b, t] of video b. First check that the last frame, "
            "starts.max() + (num_frames - 1) * stride, lies inside the video, else "
            "raise ValueError.",
            "`index = starts.to(videos.device).view(-1, 1) + stride * "
            "torch.arange(num_frames, device=videos.device)`; return "
            "`videos[torch.arange(B, device=videos.device).view(-1, 1), index]`, "
            "which keeps the dtype.",
        ),
    )
)


def _reshape_cases(device: torch.device) -> list[Case]:
    g = _gen(1)
    shapes = {
        "float32, B=2, T=4": (2, 4, 3, 5, 6),
        "float64, B=1, T=7": (1, 7, 3, 4, 4),
    }
    cases = [
        Case(name, (torch.rand(*s, generator=g, dtype=torch.float64).to(device),))
        for name, s in shapes.items()
    ]
    cases[0] = Case(cases[0].name, (cases[0].args[0].float(),))
    cases.append(
        Case("edge: T=1", (torch.rand(3, 1, 2, 3, 3, generator=g).to(device),))
    )
    return cases


register(
    Exercise(
        id="video.early_fusion_reshape",
        points=1,
        reference=early_fusion_reshape,
        cases=_reshape_cases,
        grad=True,
        hint=(
            "Early fusion treats the T frames as extra colour channels of one image: "
            "no value changes, only the shape.",
            "Channel t*C + c of the output is channel c of frame t. In memory, (B, "
            "T, C, H, W) already has T and C next to each other in that order, so "
            "merging those two dims is enough (no permute).",
            "`b, t, c, h, w = clips.shape`; return `clips.reshape(b, t * c, h, w)`.",
        ),
    )
)


def _rf_cases(device: torch.device) -> list[Case]:
    rows = [(1, 1, 3, 1), (3, 1, 4, 4), (6, 4, 3, 1), (1, 1, 20, 1), (14, 4, 1, 1)]
    return [
        Case(f"rf={r}, jump={j}, k={k}, s={s}", (r, j, k, s)) for r, j, k, s in rows
    ]


register(
    Exercise(
        id="video.rf_update",
        points=1,
        reference=rf_update,
        cases=_rf_cases,
        hint=(
            "Track two numbers through the layers: how many input steps one output "
            "sees (the receptive field) and how many input steps apart two "
            "neighbouring outputs are (the jump).",
            "A kernel of size k widens the field by k - 1 neighbours, each `jump` "
            "input steps apart; a stride s makes neighbouring outputs s times "
            "further apart.",
            "return `(rf + (kernel - 1) * jump, jump * stride)`.",
        ),
    )
)


def _pool_cases(device: torch.device) -> list[Case]:
    g = _gen(2)
    return [
        Case(
            "float32, (2, 8, 4, 3, 3)",
            (torch.randn(2, 8, 4, 3, 3, generator=g).to(device),),
        ),
        Case(
            "float64, (3, 5, 2, 1, 4)",
            (torch.randn(3, 5, 2, 1, 4, generator=g, dtype=torch.float64).to(device),),
        ),
        Case("edge: T=H=W=1", (torch.randn(4, 6, 1, 1, 1, generator=g).to(device),)),
    ]


register(
    Exercise(
        id="video.late_fusion_pool",
        points=1,
        reference=late_fusion_pool,
        cases=_pool_cases,
        grad=True,
        hint=(
            "Late fusion averages: every frame and every position votes equally, so "
            "only the channels remain.",
            "Average over time, height and width, dims 2, 3 and 4 of (B, C, T, H, "
            "W), in one call; the result is (B, C).",
            "return `features.mean(dim=(2, 3, 4))`.",
        ),
    )
)


def _hs_cases(device: torch.device) -> list[Case]:
    g = _gen(3)
    cases = []
    for name, (shape, dtype, alpha) in {
        "float32, (2, 6, 7), alpha 0.5": ((2, 6, 7), torch.float32, 0.5),
        "float64, (1, 5, 5), alpha 1.0": ((1, 5, 5), torch.float64, 1.0),
        "edge: zero flow start, alpha 0.1": ((3, 4, 4), torch.float64, 0.1),
    }.items():
        t = [torch.randn(*shape, generator=g, dtype=dtype).to(device) for _ in range(5)]
        if name.startswith("edge"):
            t[0], t[1] = torch.zeros_like(t[0]), torch.zeros_like(t[1])
        cases.append(Case(name, (*t, alpha)))
    return cases


register(
    Exercise(
        id="video.horn_schunck_step",
        points=2,
        reference=horn_schunck_step,
        cases=_hs_cases,
        grad=True,
        hint=(
            "Each step pulls the flow towards the average of its neighbours "
            "(smoothness), then corrects it along the image gradient so that "
            "brightness is kept constant (ix u + iy v + it = 0).",
            "Take u_bar and v_bar from neighbour_average; the brightness-constancy "
            "error at (u_bar, v_bar), divided by alpha**2 + ix**2 + iy**2, is how "
            "far to step, against the gradient (ix, iy).",
            "`r = (ix * u_bar + iy * v_bar + it) / (alpha**2 + ix**2 + iy**2)`; "
            "return `(u_bar - ix * r, v_bar - iy * r)`.",
        ),
    )
)


def _iou_cases(device: torch.device) -> list[Case]:
    g = _gen(4)
    s = torch.rand(5, 1, generator=g, dtype=torch.float64) * 50
    a = torch.cat(
        [s, s + 1 + torch.rand(5, 1, generator=g, dtype=torch.float64) * 20], 1
    )
    s = torch.rand(4, 1, generator=g, dtype=torch.float64) * 50
    b = torch.cat(
        [s, s + 1 + torch.rand(4, 1, generator=g, dtype=torch.float64) * 20], 1
    )
    special = torch.tensor([[0.0, 10.0], [10.0, 20.0], [2.0, 4.0], [0.0, 10.0]])
    return [
        Case("float64, 5 x 4 random segments", (a.to(device), b.to(device))),
        Case("float32, 4 x 5", (b.float().to(device), a.float().to(device))),
        Case(
            "edge: identical, touching, nested",
            (special.to(device), special[[0]].to(device)),
        ),
    ]


register(
    Exercise(
        id="video.temporal_iou",
        points=1,
        reference=temporal_iou,
        cases=_iou_cases,
        grad=True,
        hint=(
            "Two segments [s, e] overlap from the later start to the earlier end "
            "(nothing when that length is negative); IoU is the overlap over the "
            "union, for every pair at once.",
            "Broadcast: starts and ends of `a` as columns (N, 1), those of `b` as "
            "rows (M,), so that each expression is (N, M). Clamp the overlap at 0; "
            "the union is the length of a plus the length of b minus the overlap.",
            "`inter = (torch.minimum(a[:, 1:2], b[:, 1]) - torch.maximum(a[:, 0:1], "
            "b[:, 0])).clamp(min=0)`; `union = (a[:, 1:2] - a[:, 0:1]) + (b[:, 1] - "
            "b[:, 0]) - inter`; return `inter / union`.",
        ),
    )
)


def _nms_cases(device: torch.device) -> list[Case]:
    g = _gen(5)
    cases = []
    for name, (n, thr) in {
        "20 segments, threshold 0.5": (20, 0.5),
        "12 segments, threshold 0.2": (12, 0.2),
    }.items():
        s = torch.rand(n, 1, generator=g, dtype=torch.float64) * 40
        seg = torch.cat(
            [s, s + 4 + torch.rand(n, 1, generator=g, dtype=torch.float64) * 10], 1
        )
        score = torch.randperm(n, generator=g).double() / n  # distinct scores
        cases.append(Case(name, (seg.to(device), score.to(device), thr)))
    one = torch.tensor([[3.0, 9.0]], dtype=torch.float64)
    cases.append(
        Case(
            "edge: one segment",
            (one.to(device), torch.ones(1, dtype=torch.float64).to(device), 0.5),
        )
    )
    return cases


register(
    Exercise(
        id="video.temporal_nms",
        points=2,
        reference=temporal_nms,
        cases=_nms_cases,
        hint=(
            "Greedy: the best-scoring segment always survives and suppresses every "
            "segment that overlaps it too much; then the best of those left, and so "
            "on.",
            "Sort the indices by score, descending and stable (ties keep their "
            "order); compute all pairwise tIoUs once with temporal_iou and keep a "
            "boolean `alive` vector. Walking down the order, keep i if it is alive, "
            "then mark dead every segment whose tIoU with i is above the threshold.",
            "`for i in scores.argsort(descending=True, stable=True).tolist(): if "
            "alive[i]: keep.append(i); alive &= overlap[i] <= iou_threshold`; return "
            "`torch.tensor(keep, dtype=torch.long, device=scores.device)`.",
        ),
    )
)
