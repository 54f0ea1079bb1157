"""Wrong answers to the notebook 05 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
Every exercise of this topic also has hidden cases (``HIDDEN``).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

HIDDEN = True


def wrong_rotate(x):
    x_rot = torch.cat(
        [torch.rot90(x, -k, dims=(-2, -1)) for k in range(4)]
    )  # clockwise
    return x_rot, torch.arange(4).repeat_interleave(x.shape[0])


def wrong_shuffle(tiles, permutations, index):
    order = permutations[index].argsort(1)  # the inverse permutation
    return tiles[torch.arange(tiles.shape[0])[:, None], order]


def wrong_greedy(candidates, size, first=0):
    return torch.arange(first, first + size)  # the next rows, not the farthest


def wrong_quantize(ab, centres):
    b, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    return (flat[:, None] - centres).abs().sum(-1).argmin(1).view(b, h, w)  # L1


def wrong_nt_xent(z1, z2, temperature=0.5):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature  # the anchor is not excluded
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, positive)


def wrong_enqueue(queue, keys, ptr):
    new = queue.clone()
    new[ptr : ptr + keys.shape[0]] = keys  # no wrap-round
    return new, ptr + keys.shape[0]


def wrong_reverse(clips, reverse):
    return torch.where(reverse.view(-1, 1, 1, 1, 1), clips.flip(2), clips)  # channels


def wrong_random_masking(noise, n_keep):
    shuffle = noise.argsort(dim=1)
    mask = torch.ones_like(noise)
    mask[:, :n_keep] = 0
    return shuffle[:, :n_keep], shuffle, mask  # the shuffle, not its inverse


def wrong_masked_patch_loss(pred, target, mask):
    return ((pred - target) ** 2).mean()  # every patch, the visible ones too


def wrong_sorting_class(order):
    table = torch.tensor(
        sorted(itertools.permutations(range(order.shape[1]))), device=order.device
    )
    index = (order[:, None] == table[None]).all(-1).long().argmax(1)
    return index // 2  # neighbours in lexicographic order are not reverses


def wrong_slow_steady_loss(z, z_neg, margin=1.0, steady=1.0):
    slow = (z[:, 1] - z[:, 0]).pow(2).sum(-1)
    slow = slow + F.relu(margin - (z_neg[:, 1] - z_neg[:, 0]).norm(dim=-1)) ** 2
    first = (z[:, 2] - z[:, 1]).pow(2).sum(-1)  # first order again, not steadiness
    first = first + F.relu(margin - (z_neg[:, 2] - z_neg[:, 1]).norm(dim=-1)) ** 2
    return (slow + steady * first).mean()


def wrong_next_frame_pairs(clips, past):
    # the window's first frames, but the target is the last past frame, not the next
    w = clips.unfold(1, past + 1, 1).permute(0, 1, 5, 2, 3, 4).flatten(0, 1)
    return w[:, :past], w[:, past - 1]


def wrong_copy_labels(target, reference, labels, temperature):
    # softmax over the target axis instead of the reference positions
    return (target @ reference.transpose(1, 2) / temperature).softmax(1) @ labels


WRONG = {
    "pretext.rotate_batch": (wrong_rotate, "differ"),
    "pretext.shuffle_tiles": (wrong_shuffle, "differ"),
    "pretext.greedy_permutations": (wrong_greedy, "differ"),
    "pretext.quantize_ab": (wrong_quantize, "differ"),
    "pretext.nt_xent": (wrong_nt_xent, "differ"),
    "pretext.enqueue": (wrong_enqueue, ""),
    "pretext.reverse_clips": (wrong_reverse, "differ"),
    "pretext.random_masking": (wrong_random_masking, "differ"),
    "pretext.masked_patch_loss": (wrong_masked_patch_loss, "differ"),
    "pretext.sorting_class": (wrong_sorting_class, "differ"),
    "pretext.slow_steady_loss": (wrong_slow_steady_loss, "differ"),
    "pretext.next_frame_pairs": (wrong_next_frame_pairs, "differ"),
    "pretext.copy_labels": (wrong_copy_labels, "differ"),
}
