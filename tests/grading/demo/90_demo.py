# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # A tiny notebook for testing the grader
#
# Three small exercises; their checks live in `checks/demo.py`, which the
# grader loads with `--checks`.

# %%
import torch


# %% exercise="demo.softplus"
def softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(x)), stable for large |x|. Shape: any; same dtype."""
    ### BEGIN SOLUTION
    return torch.logaddexp(x, torch.zeros_like(x))
    ### END SOLUTION


# %%
print(softplus(torch.zeros(3)))


# %% exercise="demo.pairwise_sq_dists"
def pairwise_sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances. Shapes: a (N, D), b (M, D). Returns (N, M)."""
    ### BEGIN SOLUTION
    return (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
    ### END SOLUTION


# %%
print(pairwise_sq_dists(torch.zeros(2, 3), torch.ones(4, 3)).shape)


# %% exercise="demo.normalize"
def normalize(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Rows scaled to unit length. Shape: (B, D) -> (B, D)."""
    ### BEGIN SOLUTION
    return x / (x.norm(dim=-1, keepdim=True) + eps)
    ### END SOLUTION


# %%
print(normalize(torch.ones(2, 4)))
