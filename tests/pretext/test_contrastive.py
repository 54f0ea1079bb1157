"""NT-Xent against SimCLR's pseudocode as loops; MoCo's queue and key encoder."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from coursework.pretext.contrastive import (
    MoCo,
    enqueue,
    grouped_forward,
    moco_logits,
    nt_xent,
    nt_xent_logits,
)


def _nt_xent_loop(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    """Algorithm 1 of Chen et al. (2020), written with loops."""
    n = z1.shape[0]
    z = [
        v / v.norm() for v in list(z1) + list(z2)
    ]  # z_{2k-1}, z_{2k} interleaved below

    def sim(u, v):
        return (u * v).sum()

    def ell(i, j):
        num = torch.exp(sim(z[i], z[j]) / tau)
        den = sum(torch.exp(sim(z[i], z[k]) / tau) for k in range(2 * n) if k != i)
        return -torch.log(num / den)

    total = sum(ell(k, k + n) + ell(k + n, k) for k in range(n))
    return total / (2 * n)


@pytest.mark.parametrize("n,d,tau", [(1, 3, 0.5), (3, 4, 0.5), (6, 5, 0.1)])
def test_nt_xent_matches_the_loop_in_value_and_gradient(n, d, tau) -> None:
    g = torch.Generator().manual_seed(n)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    fast, slow = nt_xent(z1, z2, tau), _nt_xent_loop(z1, z2, tau)
    assert torch.allclose(fast, slow)
    g_fast = torch.autograd.grad(fast, (z1, z2))
    g_slow = torch.autograd.grad(slow, (z1, z2))
    for a, b in zip(g_fast, g_slow):
        assert torch.allclose(a, b)


def test_nt_xent_known_value() -> None:
    # two images, views identical, images orthogonal: each anchor sees its
    # positive at similarity 1 and two negatives at similarity 0
    z = torch.eye(2, dtype=torch.float64)
    tau = 0.5
    expected = -math.log(math.exp(1 / tau) / (math.exp(1 / tau) + 2))
    assert math.isclose(float(nt_xent(z, z.clone(), tau)), expected, rel_tol=1e-12)
    assert float(nt_xent(torch.randn(1, 4), torch.randn(1, 4))) == pytest.approx(0.0)
    logits, positive = nt_xent_logits(z, z.clone(), tau)
    assert (logits.argmax(1) == positive).all()


def test_moco_logits_match_a_loop() -> None:
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    queue = torch.randn(5, 4, generator=g)
    out = moco_logits(q, k, queue, 0.2)
    for i in range(3):
        assert math.isclose(out[i, 0], float(q[i] @ k[i]) / 0.2, rel_tol=1e-5)
        for j in range(5):
            assert math.isclose(
                out[i, 1 + j], float(q[i] @ queue[j]) / 0.2, rel_tol=1e-5
            )


def test_queue_is_first_in_first_out() -> None:
    queue, ptr = torch.zeros(5, 1), 0
    ref, ref_ptr, history = [0.0] * 5, 0, []
    for step in range(7):
        keys = torch.tensor([[2.0 * step + 1], [2.0 * step + 2]])
        before = queue.clone()
        queue, ptr = enqueue(queue, keys, ptr)
        for v in keys.flatten().tolist():  # a slot-by-slot reference
            ref[ref_ptr] = v
            ref_ptr = (ref_ptr + 1) % 5
            history.append(v)
        assert queue.flatten().tolist() == ref and ptr == ref_ptr
        assert sorted(queue.flatten().tolist()) == sorted(
            (history[-5:] + [0.0] * 5)[:5]
        )  # the 5 newest keys (zeros until full)
        assert not torch.equal(before, queue)
    with pytest.raises(ValueError, match="fit"):
        enqueue(torch.zeros(2, 1), torch.zeros(3, 1), 0)


def test_key_encoder_gets_no_gradient_and_follows_by_momentum() -> None:
    torch.manual_seed(0)
    moco = MoCo(nn.Sequential(nn.Linear(4, 3)), dim=3, queue_size=8, momentum=0.9)
    opt = torch.optim.SGD(moco.encoder_q.parameters(), lr=0.5)
    x = torch.randn(6, 4)
    q, k = moco(x), moco.keys(x + 0.1)
    loss = nn.functional.cross_entropy(
        moco_logits(q, k, moco.queue, 0.2), torch.zeros(6, dtype=torch.long)
    )
    loss.backward()
    assert all(p.grad is None for p in moco.encoder_k.parameters())
    assert all(not p.requires_grad for p in moco.encoder_k.parameters())
    assert all(p.grad is not None for p in moco.encoder_q.parameters())
    before = [p.clone() for p in moco.encoder_k.parameters()]
    opt.step()
    moco.momentum_update()
    for pk, pq, b in zip(
        moco.encoder_k.parameters(), moco.encoder_q.parameters(), before
    ):
        assert torch.allclose(pk, 0.9 * b + 0.1 * pq)


def _bn_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).train()


def test_grouped_forward_equals_each_group_computed_alone_and_unpermuted() -> None:
    net, x = _bn_net(), torch.randn(12, 3)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    out = grouped_forward(net, x, 3, perm)
    # by hand: group g holds the images perm[4g : 4g + 4], each group through the
    # network alone (its own BatchNorm statistics); row i is image i's output
    expected = torch.empty(12, 2)
    for g in range(3):
        who = perm[4 * g : 4 * g + 4]
        expected[who] = net(x[who])
    torch.testing.assert_close(out, expected)
    # BatchNorm makes the grouping matter: not the whole batch at once
    assert not torch.allclose(out, net(x), atol=1e-3)
    # one group, no order: the module on the batch
    torch.testing.assert_close(grouped_forward(net, x), net(x))
    # without BatchNorm (eval mode: running statistics) the grouping is invisible
    net.eval()
    torch.testing.assert_close(grouped_forward(net, x, 3, perm), net(x))


def test_grouped_forward_rejects_more_groups_than_images() -> None:
    with pytest.raises(ValueError):
        grouped_forward(_bn_net(), torch.randn(4, 3), 5)


def test_moco_shuffled_keys_come_from_other_images_statistics() -> None:
    """With bn_groups > 1 the keys are grouped_forward on a random order."""
    moco = MoCo(_bn_net(), 2, queue_size=8, bn_groups=2)
    x = torch.randn(8, 3)
    torch.manual_seed(5)
    keys = moco.keys(x)
    torch.manual_seed(5)
    perm = torch.randperm(8)
    expected = nn.functional.normalize(
        grouped_forward(moco.encoder_k, x, 2, perm), dim=1
    )
    torch.testing.assert_close(keys, expected)
    # queries: consecutive halves, each half's own statistics
    q = moco(x)
    halves = torch.cat([moco.encoder_q(x[:4]), moco.encoder_q(x[4:])])
    torch.testing.assert_close(q, nn.functional.normalize(halves, dim=1))
    assert not torch.allclose(q, nn.functional.normalize(moco.encoder_q(x), dim=1))
