"""Exercises of notebook 05 (self-supervised pretext tasks) and their checks.

Each exercise compares the student's function with the package's reference
on several shapes and dtypes, an edge case, and tensors on the checked
device; gradients are compared where the function sits inside a loss.
Hidden cases (run by grading) use other sizes.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import Case, Exercise, register, register_hidden
from coursework.exercises.core import case_generator as _gen
from coursework.pretext.color import quantize_ab
from coursework.pretext.contrastive import enqueue, nt_xent
from coursework.pretext.masked import masked_patch_loss, random_masking
from coursework.pretext.permutations import all_permutations, greedy_permutations
from coursework.pretext.prediction import next_frame_pairs
from coursework.pretext.rotation import rotate_batch
from coursework.pretext.slowness import slow_steady_loss
from coursework.pretext.sorting import sorting_class
from coursework.pretext.tiles import shuffle_tiles
from coursework.pretext.tracking import copy_labels
from coursework.pretext.video import reverse_clips


def _rand(g, *shape, dtype=torch.float32, device=None) -> torch.Tensor:
    return torch.rand(*shape, generator=g, dtype=dtype).to(device)


# -------------------------------------------------------------- rotate_batch


def _rotate_cases(device: torch.device) -> list[Case]:
    g = _gen(0)
    return [
        Case("float32, B=3, 3x5x5", (_rand(g, 3, 3, 5, 5, device=device),)),
        Case(
            "float64, B=2, 1x4x4",
            (_rand(g, 2, 1, 4, 4, dtype=torch.float64, device=device),),
        ),
        Case("edge: B=1, 1x1x1", (_rand(g, 1, 1, 1, 1, device=device),)),
    ]


register(
    Exercise(
        id="pretext.rotate_batch",
        points=2,
        reference=rotate_batch,
        cases=_rotate_cases,
        hint=(
            "Each image appears four times, turned by 0, 90, 180 and 270 degrees, "
            "and its label is the number of quarter turns.",
            "torch.rot90(x, k, dims=(-2, -1)) turns a whole batch; concatenate the "
            "four turned batches along dim 0 (all of rotation 0 first) and make the "
            "labels 0..3, each repeated B times, on x's device.",
            "return `(torch.cat([torch.rot90(x, k, dims=(-2, -1)) for k in "
            "range(4)]), torch.arange(4, "
            "device=x.device).repeat_interleave(x.shape[0]))`.",
        ),
    )
)
register_hidden(
    "pretext.rotate_batch",
    lambda device: [
        Case("hidden: B=5, 2x6x6", (_rand(_gen(100), 5, 2, 6, 6, device=device),))
    ],
)

# ------------------------------------------------------------- shuffle_tiles


def _shuffle_cases(device: torch.device) -> list[Case]:
    g = _gen(1)
    perms = all_permutations(4)[torch.randperm(24, generator=g)[:5]].to(device)
    tiles = _rand(g, 3, 4, 2, 3, 3, device=device)
    index = torch.tensor([0, 4, 2], device=device)
    perms9 = torch.stack([torch.randperm(9, generator=g) for _ in range(6)]).to(device)
    tiles9 = _rand(g, 4, 9, 3, 2, 2, dtype=torch.float64, device=device)
    identity = torch.arange(9, device=device)[None]
    return [
        Case("float32, 4 tiles, 5 permutations", (tiles, perms, index)),
        Case(
            "float64, 9 tiles, 6 permutations",
            (tiles9, perms9, torch.tensor([5, 0, 5, 1], device=device)),
        ),
        Case(
            "edge: the identity permutation",
            (tiles9, identity, torch.zeros(4, dtype=torch.long, device=device)),
        ),
    ]


register(
    Exercise(
        id="pretext.shuffle_tiles",
        points=2,
        reference=shuffle_tiles,
        cases=_shuffle_cases,
        hint=(
            "Each image has its own permutation: look it up by index, then reorder "
            "that image's tiles with it, for all images at once.",
            "permutations[index] has shape (B, N); out[b, i] = tiles[b, order[b, i]] "
            "is advanced indexing with a batch index of shape (B, 1) beside the "
            "order (or a gather on dim 1).",
            "`order = permutations.to(tiles.device)[index]`; return "
            "`tiles[torch.arange(tiles.shape[0], device=tiles.device)[:, None], "
            "order]`.",
        ),
        grad=True,
    )
)
register_hidden(
    "pretext.shuffle_tiles",
    lambda device: [
        Case(
            "hidden: 9 tiles, B=2",
            (
                _rand(_gen(101), 2, 9, 1, 3, 3, device=device),
                all_permutations(9)[[7, 40000, 362879]].to(device),
                torch.tensor([2, 1], device=device),
            ),
        )
    ],
)

# ------------------------------------------------------- greedy_permutations


def _greedy_cases(device: torch.device) -> list[Case]:
    return [
        Case(
            "all 24 permutations of 4, choose 6", (all_permutations(4).to(device), 6, 0)
        ),
        Case(
            "all 120 permutations of 5, choose 10, start 17",
            (all_permutations(5).to(device), 10, 17),
        ),
        Case("edge: size 1 is just the start", (all_permutations(3).to(device), 1, 4)),
    ]


register(
    Exercise(
        id="pretext.greedy_permutations",
        points=3,
        reference=greedy_permutations,
        cases=_greedy_cases,
        hint=(
            "Grow the set one row at a time, each time taking the candidate farthest "
            "from everything chosen so far, where the distance to a set is the "
            "distance to its nearest member.",
            "Keep min_dist (M,), every candidate's smallest Hamming distance (the "
            "number of differing positions) to the rows chosen. After choosing a "
            "row, update it with an elementwise minimum against the distances to "
            "that row; the next row is its argmax (the first maximum on ties).",
            "`min_dist = (candidates != candidates[first]).sum(1)`; size - 1 times: "
            "`nxt = int(min_dist.argmax())`, append it, `min_dist = "
            "torch.minimum(min_dist, (candidates != candidates[nxt]).sum(1))`; "
            "return the indices as a long tensor.",
        ),
    )
)
register_hidden(
    "pretext.greedy_permutations",
    lambda device: [
        Case(
            "hidden: permutations of 6, choose 20, start 100",
            (all_permutations(6).to(device), 20, 100),
        )
    ],
)

# --------------------------------------------------------------- quantize_ab


def _centres(grid: float, lo: float, hi: float) -> torch.Tensor:
    v = torch.arange(lo + grid / 2, hi, grid)
    a, b = torch.meshgrid(v, v, indexing="ij")
    return torch.stack([a.flatten(), b.flatten()], 1)


def _quantize_cases(device: torch.device) -> list[Case]:
    g = _gen(3)
    c10 = _centres(10.0, -50, 50).to(device)
    ab = (torch.rand(2, 2, 3, 4, generator=g) * 100 - 50).to(device)
    c64 = (
        _centres(20.0, -60, 60)
        .double()[torch.randperm(36, generator=g)[:20]]
        .to(device)
    )
    ab64 = (torch.rand(3, 2, 5, 5, generator=g, dtype=torch.float64) * 120 - 60).to(
        device
    )
    exact = c10[[3, 50, 99]].T.reshape(1, 2, 1, 3).contiguous()
    return [
        Case("float32, 100 bins, B=2, 3x4", (ab, c10)),
        Case("float64, 20 bins in random order", (ab64, c64)),
        Case("edge: pixels exactly on bin centres 3, 50, 99", (exact, c10)),
    ]


register(
    Exercise(
        id="pretext.quantize_ab",
        points=2,
        reference=quantize_ab,
        cases=_quantize_cases,
        hint=(
            "Colourisation as classification: every pixel's (a, b) pair gets the "
            "label of the nearest bin centre in the ab plane.",
            "Move the two ab channels last and flatten the pixels to (B*H*W, 2); "
            "compute each pixel's distance to the Q centres (torch.cdist), take the "
            "argmin over Q and reshape to (B, H, W).",
            "return `torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2), "
            "centres.to(ab)).argmin(1).view(b, h, w)`.",
        ),
    )
)
register_hidden(
    "pretext.quantize_ab",
    lambda device: [
        Case(
            "hidden: 36 bins, B=1, 7x7",
            (
                (torch.rand(1, 2, 7, 7, generator=_gen(103)) * 120 - 60).to(device),
                _centres(20.0, -60, 60).to(device),
            ),
        )
    ],
)

# -------------------------------------------------------------------- nt_xent


def _ntxent_cases(device: torch.device) -> list[Case]:
    g = _gen(4)
    z = [torch.randn(8, 5, generator=g).to(device) for _ in range(2)]
    z64 = [
        torch.randn(4, 16, generator=g, dtype=torch.float64).to(device)
        for _ in range(2)
    ]
    one = [torch.randn(1, 3, generator=g).to(device) for _ in range(2)]
    return [
        Case("float32, N=8, D=5, tau=0.5", (z[0], z[1], 0.5)),
        Case("float64, N=4, D=16, tau=0.1", (z64[0], z64[1], 0.1)),
        Case(
            "edge: N=1, the positive is the only candidate, loss 0",
            (one[0], one[1], 0.5),
        ),
    ]


register(
    Exercise(
        id="pretext.nt_xent",
        points=3,
        reference=nt_xent,
        cases=_ntxent_cases,
        hint=(
            "NT-Xent is a cross-entropy over similarities: each of the 2N embeddings "
            "must pick out the other view of its own image among the 2N - 1 others.",
            "Stack z1 then z2 and L2-normalise (2N, D); the (2N, 2N) cosine "
            "similarities divided by the temperature are the logits, with each "
            "anchor's own entry (the diagonal) set to -inf. The positive of row i is "
            "i + N for i < N and i - N otherwise.",
            "`z = F.normalize(torch.cat([z1, z2]), dim=1)`; `sim = (z @ z.T / "
            "temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool), "
            "float('-inf'))`; return `F.cross_entropy(sim, "
            "torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))`.",
        ),
        grad=True,
    )
)
register_hidden(
    "pretext.nt_xent",
    lambda device: [
        Case(
            "hidden: N=16, D=8, tau=0.2",
            tuple(torch.randn(16, 8, generator=_gen(104)).to(device) for _ in range(2))
            + (0.2,),
        )
    ],
)

# -------------------------------------------------------------------- enqueue


def _enqueue_cases(device: torch.device) -> list[Case]:
    g = _gen(5)
    q = torch.randn(8, 3, generator=g).to(device)
    keys = torch.randn(3, 3, generator=g).to(device)
    q64 = torch.randn(6, 4, generator=g, dtype=torch.float64).to(device)
    k64 = torch.randn(6, 4, generator=g, dtype=torch.float64).to(device)
    return [
        Case("float32, K=8, 3 keys at ptr 2", (q, keys, 2)),
        Case("wrap round: K=8, 3 keys at ptr 6", (q, keys, 6)),
        Case("edge: a batch as big as the queue, ptr 4", (q64, k64, 4)),
    ]


register(
    Exercise(
        id="pretext.enqueue",
        points=2,
        reference=enqueue,
        cases=_enqueue_cases,
        hint=(
            "The queue is a ring buffer: new keys overwrite the oldest ones, "
            "starting at ptr and wrapping round at the end.",
            "The rows to write are ptr, ptr + 1, ..., ptr + N - 1, each modulo K; "
            "write the detached keys (in the queue's dtype) into a clone of the "
            "queue and move the pointer N rows on, modulo K.",
            "`rows = (ptr + torch.arange(N, device=queue.device)) % K`; `new = "
            "queue.clone()`; `new[rows] = keys.detach().to(queue.dtype)`; return "
            "`(new, (ptr + N) % K)`.",
        ),
    )
)
register_hidden(
    "pretext.enqueue",
    lambda device: [
        Case(
            "hidden: K=5, 4 keys at ptr 3",
            (
                torch.randn(5, 2, generator=_gen(105)).to(device),
                torch.randn(4, 2, generator=_gen(106)).to(device),
                3,
            ),
        )
    ],
)

# -------------------------------------------------------------- reverse_clips


def _reverse_cases(device: torch.device) -> list[Case]:
    g = _gen(6)
    clips = _rand(g, 4, 5, 3, 2, 2, device=device)
    clips8 = (torch.rand(3, 4, 1, 2, 2, generator=g) * 255).to(torch.uint8).to(device)
    return [
        Case(
            "float32, B=4, T=5",
            (clips, torch.tensor([True, False, True, False], device=device)),
        ),
        Case(
            "uint8 frames, B=3, T=4",
            (clips8, torch.tensor([False, True, True], device=device)),
        ),
        Case(
            "edge: nothing reversed",
            (clips, torch.zeros(4, dtype=torch.bool, device=device)),
        ),
    ]


register(
    Exercise(
        id="pretext.reverse_clips",
        points=1,
        reference=reverse_clips,
        cases=_reverse_cases,
        hint=(
            "A clip plays backwards when its frame order is reversed; only the clips "
            "marked in `reverse` change.",
            "clips.flip(1) reverses every clip in time; choose per clip between "
            "flipped and original with torch.where, after reshaping reverse to (B, "
            "1, 1, 1, 1) so that it broadcasts.",
            "return `torch.where(reverse.to(clips.device).view(-1, 1, 1, 1, 1), "
            "clips.flip(1), clips)`.",
        ),
    )
)
register_hidden(
    "pretext.reverse_clips",
    lambda device: [
        Case(
            "hidden: B=2, T=7, all reversed",
            (
                _rand(_gen(107), 2, 7, 3, 1, 1, device=device),
                torch.ones(2, dtype=torch.bool, device=device),
            ),
        )
    ],
)

# ------------------------------------------------------------- random_masking


def _masking_cases(device: torch.device) -> list[Case]:
    g = _gen(8)
    return [
        Case("float32, B=3, 16 patches, keep 4", (_rand(g, 3, 16, device=device), 4)),
        Case(
            "float64, B=2, 9 patches, keep 5",
            (_rand(g, 2, 9, dtype=torch.float64, device=device), 5),
        ),
        Case("edge: keep every patch", (_rand(g, 2, 4, device=device), 4)),
    ]


register(
    Exercise(
        id="pretext.random_masking",
        points=2,
        reference=random_masking,
        cases=_masking_cases,
        hint=(
            "Sorting each image's noise puts its patches in a random order: the "
            "first n_keep patches of that order stay visible, and the mask marks "
            "the others, in the original order of the patches.",
            "An argsort of the noise along dim 1 is the shuffle; an argsort of the "
            "shuffle is its inverse (restore). Build the mask in shuffled order "
            "(zeros for the first n_keep, ones after) and gather it with restore "
            "to bring it back to patch order.",
            "`shuffle = noise.argsort(dim=1)`; `restore = shuffle.argsort(dim=1)`; "
            "`mask = torch.ones_like(noise)`; `mask[:, :n_keep] = 0`; return "
            "`(shuffle[:, :n_keep], restore, mask.gather(1, restore))`.",
        ),
    )
)
register_hidden(
    "pretext.random_masking",
    lambda device: [
        Case(
            "hidden: B=4, 49 patches, keep 12",
            (_rand(_gen(108), 4, 49, device=device), 12),
        )
    ],
)

# ---------------------------------------------------------- masked_patch_loss


def _masked_loss_cases(device: torch.device) -> list[Case]:
    g = _gen(9)
    mask = (torch.rand(3, 8, generator=g) < 0.6).to(device)
    mask[:, 0] = True
    mask64 = torch.zeros(2, 5, dtype=torch.bool, device=device)
    mask64[:, 1:4] = True
    return [
        Case(
            "float32, B=3, 8 patches of 12 values",
            (
                _rand(g, 3, 8, 12, device=device),
                _rand(g, 3, 8, 12, device=device),
                mask,
            ),
        ),
        Case(
            "float64, B=2, 5 patches of 3 values",
            (
                _rand(g, 2, 5, 3, dtype=torch.float64, device=device),
                _rand(g, 2, 5, 3, dtype=torch.float64, device=device),
                mask64,
            ),
        ),
        Case(
            "edge: one hidden patch in the batch",
            (
                _rand(g, 2, 4, 6, device=device),
                _rand(g, 2, 4, 6, device=device),
                torch.tensor([[False] * 4, [False, False, True, False]], device=device),
            ),
        ),
    ]


register(
    Exercise(
        id="pretext.masked_patch_loss",
        points=2,
        reference=masked_patch_loss,
        cases=_masked_loss_cases,
        hint=(
            "Only the patches that the encoder did not see count: the error is "
            "averaged over the hidden patches, and the visible ones add nothing.",
            "Take the squared error and average it over each patch's values, "
            "giving (B, N); weight it by the mask (as a float) and divide the sum "
            "by the number of hidden patches.",
            "`per_patch = ((pred - target) ** 2).mean(-1)`; return "
            "`(per_patch * mask).sum() / mask.sum()`.",
        ),
        grad=True,
    )
)
register_hidden(
    "pretext.masked_patch_loss",
    lambda device: [
        Case(
            "hidden: B=2, 16 patches of 48 values",
            (
                _rand(_gen(109), 2, 16, 48, device=device),
                _rand(_gen(110), 2, 16, 48, device=device),
                (torch.rand(2, 16, generator=_gen(111)) < 0.75).to(device),
            ),
        )
    ],
)

# -------------------------------------------------------------- sorting_class


def _sorting_cases(device: torch.device) -> list[Case]:
    perms4 = all_permutations(4)
    g = _gen(10)
    return [
        Case("all 24 orders of 4 frames", (perms4.to(device),)),
        Case(
            "8 random orders of 4 frames, some repeated",
            (perms4[torch.randint(0, 24, (8,), generator=g)].to(device),),
        ),
        Case("edge: all 6 orders of 3 frames", (all_permutations(3).to(device),)),
    ]


register(
    Exercise(
        id="pretext.sorting_class",
        points=2,
        reference=sorting_class,
        cases=_sorting_cases,
        hint=(
            "A clip played backwards is as plausible as played forwards, so an "
            "order and its reverse share one class: pick one representative of "
            "each such pair, then number the representatives.",
            "Of an order and its reverse, exactly one has its first entry smaller "
            "than its last: take that one (torch.where on the comparison, and "
            "flip(1) for the reverse). The classes are the rows, in lexicographic "
            "order, of all_permutations(n) whose first entry is smaller than their "
            "last; find each representative's row by comparing it with all of them.",
            "`canonical = torch.where(order[:, :1] < order[:, -1:], order, "
            "order.flip(1))`; `table = all_permutations(order.shape[1])`; `table = "
            "table[table[:, 0] < table[:, -1]].to(order.device)`; return "
            "`(canonical[:, None] == table[None]).all(-1).long().argmax(1)`.",
        ),
    )
)
register_hidden(
    "pretext.sorting_class",
    lambda device: [
        Case(
            "hidden: 30 orders of 5 frames",
            (
                all_permutations(5)[torch.randperm(120, generator=_gen(112))[:30]].to(
                    device
                ),
            ),
        )
    ],
)

# ----------------------------------------------------------- slow_steady_loss


def _slow_cases(device: torch.device) -> list[Case]:
    g = _gen(11)

    def z(*shape, dtype=torch.float32):
        return (torch.randn(*shape, generator=g, dtype=dtype) * 0.4).to(device)

    return [
        Case(
            "float32, B=6, D=4, margin 1, steady 1", (z(6, 3, 4), z(6, 3, 4), 1.0, 1.0)
        ),
        Case(
            "float64, B=3, D=8, margin 0.5, steady 2",
            (
                z(3, 3, 8, dtype=torch.float64),
                z(3, 3, 8, dtype=torch.float64),
                0.5,
                2.0,
            ),
        ),
        Case(
            "edge: negatives beyond the margin, B=1",
            (
                z(1, 3, 2),
                torch.tensor([[[0.0, 0.0], [5.0, 0.0], [0.0, 0.0]]], device=device),
                1.0,
                1.0,
            ),
        ),
    ]


register(
    Exercise(
        id="pretext.slow_steady_loss",
        points=3,
        reference=slow_steady_loss,
        cases=_slow_cases,
        hint=(
            "Features of neighbouring frames should be close (slow), and along "
            "three frames in order they should move by equal steps (steady); three "
            "unrelated frames must stay a margin apart on both counts, or all the "
            "features could collapse to one point.",
            "For the sequence: the squared distance between the first two "
            "embeddings, and the squared norm of the second difference (third minus "
            "twice the second plus the first). For the random frames, the same two "
            "distances, not squared, go through the hinge max(0, margin - d), which "
            "is then squared. Per item slow + steady * steadiness; average over B.",
            "`h = lambda d: F.relu(margin - d) ** 2`; `d2 = lambda u: u[:, 2] - 2 * "
            "u[:, 1] + u[:, 0]`; `slow = (z[:, 1] - z[:, 0]).pow(2).sum(-1) + "
            "h((z_neg[:, 1] - z_neg[:, 0]).norm(dim=-1))`; `still = "
            "d2(z).pow(2).sum(-1) + h(d2(z_neg).norm(dim=-1))`; return `(slow + "
            "steady * still).mean()`.",
        ),
        grad=True,
    )
)
register_hidden(
    "pretext.slow_steady_loss",
    lambda device: [
        Case(
            "hidden: B=10, D=16, margin 1.5, steady 0.5",
            (
                (torch.randn(10, 3, 16, generator=_gen(113)) * 0.3).to(device),
                (torch.randn(10, 3, 16, generator=_gen(114)) * 0.3).to(device),
                1.5,
                0.5,
            ),
        )
    ],
)

# ---------------------------------------------------------- next_frame_pairs


def _pairs_cases(device: torch.device) -> list[Case]:
    g = _gen(12)
    clips8 = (torch.rand(2, 5, 1, 2, 3, generator=g) * 255).to(torch.uint8)
    return [
        Case("float32, B=3, T=4, past 2", (_rand(g, 3, 4, 3, 2, 2, device=device), 2)),
        Case("uint8 frames, B=2, T=5, past 3", (clips8.to(device), 3)),
        Case(
            "float64, B=2, T=6, past 1",
            (_rand(g, 2, 6, 2, 3, 2, dtype=torch.float64, device=device), 1),
        ),
        Case(
            "edge: one window per clip, T=3, past 2",
            (_rand(g, 4, 3, 1, 2, 2, device=device), 2),
        ),
    ]


register(
    Exercise(
        id="pretext.next_frame_pairs",
        points=2,
        reference=next_frame_pairs,
        cases=_pairs_cases,
        hint=(
            "A clip of T frames holds T - past windows: the predictor sees `past` "
            "frames in a row and must draw the one right after them. List the "
            "windows of clip 0 first, each in time order.",
            "Tensor.unfold(1, past + 1, 1) slides a window of past + 1 frames along "
            "time; it puts the window's frames on a new last dimension, so move that "
            "dimension back next to the window index (permute), merge the batch and "
            "window dimensions (flatten(0, 1)) and split each window into its first "
            "`past` frames and its last one.",
            "`w = clips.unfold(1, past + 1, 1).permute(0, 1, 5, 2, 3, "
            "4).flatten(0, 1)`; return `w[:, :past], w[:, past]`.",
        ),
    )
)
register_hidden(
    "pretext.next_frame_pairs",
    lambda device: [
        Case(
            "hidden: B=3, T=7, past 4",
            (_rand(_gen(115), 3, 7, 2, 2, 1, device=device), 4),
        )
    ],
)

# ---------------------------------------------------------------- copy_labels


def _copy_cases(device: torch.device) -> list[Case]:
    g = _gen(12)

    def r(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=dtype).to(device)

    onehot = torch.nn.functional.one_hot(torch.randint(3, (2, 7), generator=g), 3)
    return [
        Case(
            "float32, B=2, 5 targets, 7 references, D=4, one-hot labels, T=1",
            (r(2, 5, 4), r(2, 7, 4), onehot.float().to(device), 1.0),
        ),
        Case(
            "float64, B=1, 6 targets, 4 references, D=3, soft labels, T=0.3",
            (
                r(1, 6, 3, dtype=torch.float64),
                r(1, 4, 3, dtype=torch.float64),
                torch.rand(1, 4, 2, generator=g, dtype=torch.float64).to(device),
                0.3,
            ),
        ),
        Case(
            "edge: large similarities (a stable softmax), T=0.05",
            (10 * r(1, 3, 2), 10 * r(1, 3, 2), onehot[:1, :3].float().to(device), 0.05),
        ),
    ]


register(
    Exercise(
        id="pretext.copy_labels",
        points=2,
        reference=copy_labels,
        cases=_copy_cases,
        hint=(
            "Each target position points at the reference positions that look "
            "like it: compare it with every reference position, turn the "
            "comparisons into weights that sum to one, and copy the labels with "
            "those weights.",
            "The comparisons are dot products of embeddings, one batched matrix "
            "product (B, N, D) x (B, D, M), divided by the temperature; a softmax "
            "over the reference axis (the last) gives the weights, and another "
            "batched matrix product with the labels (B, M, C) the copies.",
            "return `(target @ reference.transpose(1, 2) / temperature)"
            ".softmax(-1) @ labels`.",
        ),
        grad=True,
    )
)
register_hidden(
    "pretext.copy_labels",
    lambda device: [
        Case(
            "hidden: B=3, 8 targets, 9 references, D=5, T=0.5",
            (
                torch.randn(3, 8, 5, generator=_gen(115)).to(device),
                torch.randn(3, 9, 5, generator=_gen(116)).to(device),
                torch.rand(3, 9, 4, generator=_gen(117)).to(device),
                0.5,
            ),
        )
    ],
)
