import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from coursework.plot import (  # noqa: E402
    compare_rows,
    confusion_matrix,
    image_grid,
    plot_history,
    show_images,
)
from coursework.train import History  # noqa: E402


def teardown_function():
    plt.close("all")


def test_image_grid_tiles_with_padding():
    grid = image_grid(torch.ones(6, 1, 4, 4), nrow=3, padding=1)
    # make_grid pads around every tile: 3 tiles * (4 + 1) + 1 wide, 2 rows high
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)


def test_show_images_grey_and_colour():
    ax = show_images(torch.rand(5, 1, 8, 8), nrow=5, title="grey")
    assert ax.get_title() == "grey" and ax.images[0].get_cmap().name == "gray"
    ax = show_images(torch.rand(4, 3, 8, 8))
    assert ax.images[0].get_array().shape[-1] == 3


def test_compare_rows_labels_each_row():
    fig = compare_rows(
        {"input": torch.rand(4, 1, 8, 8), "output": torch.rand(4, 1, 8, 8)}
    )
    assert [ax.get_ylabel() for ax in fig.axes] == ["input", "output"]


def test_plot_history_draws_train_and_val():
    h = History(train={"loss": [3.0, 2.0, 1.0]}, val={"loss": [3.5, 2.5, 1.5]})
    ax = plot_history({"run": h})
    assert len(ax.lines) == 2
    assert list(ax.lines[1].get_ydata()) == [3.5, 2.5, 1.5]


def test_confusion_matrix_rows_sum_to_one():
    y = torch.tensor([0, 0, 1, 1, 2])
    p = torch.tensor([0, 1, 1, 1, 0])
    ax = confusion_matrix(y, p, ["a", "b", "c"])
    rates = torch.tensor(ax.images[0].get_array())
    assert torch.allclose(rates.sum(1), torch.ones(3))
    assert rates[0, 0] == 0.5 and rates[2, 0] == 1.0


def test_frames_rgb_scales_uint8_and_repeats_grey() -> None:
    from coursework.plot import frames_rgb

    clip = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)  # (T, 1, 1, 1)
    out = frames_rgb(clip)
    assert out.shape == (2, 1, 1, 3)
    assert out[0].max() == 0.0 and (out[1] == 1.0).all()
    assert frames_rgb(torch.full((1, 3, 2, 2), 2.0)).max() == 1.0  # clamped
