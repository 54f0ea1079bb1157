import base64
from functools import partial

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursework.plot import (  # noqa: E402
    compare_rows,
    confusion_matrix,
    image_grid,
    plot_history,
    set_alt,
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


# --- alt text and the colour-blind safe style ---------------------------------

PLOT_MODULES = [
    "core",
    "video",
    "autoregressive",
    "vae",
    "pretext",
    "gan",
    "multimodal",
]


def test_set_alt_is_read_back_and_a_bare_figure_is_described():
    from coursework.plot import describe_figure, figure_alt, set_alt

    fig, axes = plt.subplots(1, 2)
    axes[0].plot([0, 1, 2], [3, 1, 0], label="train")
    axes[0].set(title="loss", xlabel="epoch", ylabel="nats")
    axes[0].legend()
    axes[1].imshow(torch.rand(4, 4).numpy())
    axes[1].set_title("samples")
    described = describe_figure(fig)
    assert described == (
        "2 panels: line chart 'loss', nats against epoch, showing train; "
        "image 'samples'"
    )
    assert "<Figure" not in described
    assert figure_alt(fig) == described
    set_alt(axes[0], "  The loss falls;\n samples look like digits ")
    assert figure_alt(fig) == "The loss falls; samples look like digits"
    set_alt(fig, "line charts of D and G")
    assert figure_alt(fig) == "Line charts of D and G"
    with pytest.raises(ValueError, match="what the figure shows"):
        set_alt(fig, " ")


def test_figures_made_by_the_plot_package_set_their_own_alt_text():
    """Every function that makes a figure says what it shows (not the fallback),
    the interactive explorers' figures included."""
    import importlib
    import inspect

    missing = []
    widgets = ["autoregressive", "gan", "multimodal", "pretext", "vae", "video"]
    modules = [f"coursework.plot.{n}" for n in PLOT_MODULES]
    modules += [f"coursework.widgets.{n}" for n in widgets]
    for name in modules:
        module = importlib.import_module(name)
        functions = inspect.getmembers(module, inspect.isfunction)
        for cname, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:  # an explorer's redraw, say
                functions += [
                    (f"{cname}.{n}", f)
                    for n, f in inspect.getmembers(cls)
                    if inspect.isfunction(f) and f.__module__ == module.__name__
                ]
        for fname, fn in functions:
            if fn.__module__ != module.__name__:
                continue
            source = inspect.getsource(fn)
            makes = "plt.subplots(" in source or "plt.figure(" in source
            if makes and "set_alt(" not in source and "alt=" not in source:
                missing.append(f"{name}.{fname}")
    assert missing == []


def test_alt_text_says_what_a_chart_shows():
    from coursework.plot import figure_alt
    from coursework.plot.autoregressive import plot_bars

    ax = plot_bars({"PixelCNN": 0.912, "gated": 0.801}, ylabel="bits per dim")
    text = figure_alt(ax.figure)
    assert text == "Bar chart of bits per dim: PixelCNN 0.912; gated 0.801"
    cm = confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), ["a", "b"])
    assert "67% of the examples lie on the diagonal" in figure_alt(cm.figure)


def test_display_puts_the_alt_text_in_the_image_metadata():
    """IPython's display of a figure carries {"image/png": {"alt": ...}}, and the
    same PNG as an <img alt> in text/html, drawn once."""
    import html as html_lib

    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    from coursework.plot.alttext import _png_once, alt_bundle

    drawn = []

    def png_printer(fig):
        drawn.append(fig)
        return print_figure(fig, "png")

    formatter = DisplayFormatter()
    png = formatter.formatters["image/png"]
    png.for_type(Figure, _png_once(png_printer))
    formatter.mimebundle_formatter.for_type(Figure, partial(alt_bundle, png=png))
    ax = plot_history(History(train={"loss": [3.0, 2.0]}, val={"loss": [3.5, 2.5]}))
    data, metadata = formatter.format(ax.figure)
    text = (
        "Line chart of loss per epoch for one run: training as a solid "
        "line, validation dashed"
    )
    assert metadata["image/png"] == {"alt": text}
    assert len(drawn) == 1  # one drawing serves both outputs
    encoded = data["image/png"]
    if isinstance(encoded, bytes):
        encoded = base64.b64encode(encoded).decode("ascii")
    assert data["text/html"].startswith(f'<img src="data:image/png;base64,{encoded}"')
    assert f'alt="{html_lib.escape(text, quote=True)}"' in data["text/html"]
    # displayed again after a change: drawn afresh, not the earlier PNG
    ax.set_title("changed")
    data2, _ = formatter.format(ax.figure)
    assert len(drawn) == 2 and data2["image/png"] != data["image/png"]


def test_retina_metadata_keeps_the_alt_text_and_svg_figures_keep_metadata_only():
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import retina_figure
    from matplotlib.figure import Figure

    from coursework.plot.alttext import _png_once, alt_bundle

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2])
    set_alt(fig, "A rising line")
    formatter = DisplayFormatter()
    png = formatter.formatters["image/png"]
    png.for_type(Figure, _png_once(retina_figure))
    formatter.mimebundle_formatter.for_type(Figure, partial(alt_bundle, png=png))
    data, metadata = formatter.format(fig)
    assert metadata["image/png"]["alt"] == "A rising line"
    width = metadata["image/png"]["width"]
    assert f'width="{width}"' in data["text/html"]
    # no PNG printer for figures (the SVG format): metadata only, as before
    plain = DisplayFormatter()
    plain.mimebundle_formatter.for_type(
        Figure, partial(alt_bundle, png=plain.formatters["image/png"])
    )
    data, metadata = plain.format(fig)
    assert "text/html" not in data and metadata["image/png"] == {"alt": "A rising line"}
    plt.close(fig)


def test_a_notebook_output_carries_the_alt_text():
    """In a real kernel: plt.show(), the end-of-cell flush and display(fig)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            "import matplotlib.pyplot as plt\nfrom coursework.plot import alt",
            "plt.plot([1, 2, 3])\nalt('A line rising from 1 to 3')\nplt.show()",
            "fig, ax = plt.subplots()\nax.bar([0, 1], [2, 1])\nax.set_title('counts')",
            "from IPython.display import display\nfig, ax = plt.subplots()\n"
            "ax.imshow([[0, 1]])\ndisplay(fig)\nplt.close(fig)",
        )
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    images = [
        output
        for cell in nb.cells
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    alts = [output.metadata["image/png"]["alt"] for output in images]
    assert alts == ["A line rising from 1 to 3", "Bar chart 'counts'", "Image"]
    # what JupyterLab shows a live (trusted) notebook: the <img alt> in text/html
    for output, text in zip(images, alts, strict=True):
        page = output.data["text/html"]
        assert f'alt="{text}"' in page.replace("&#x27;", "'")
        assert output.data["image/png"][:64] in page


def test_the_palette_is_colour_blind_safe_and_lines_differ_by_style():
    from cycler import cycler

    from coursework.plot.style import MARKERS, OKABE_ITO, PALETTE

    assert set(PALETTE) == set(OKABE_ITO.values()) and len(PALETTE) == 8
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(PALETTE)
    fig, ax = plt.subplots()
    lines = [ax.plot(range(20))[0] for _ in range(len(PALETTE))]
    styles = [(ln.get_linestyle(), ln.get_marker()) for ln in lines]
    assert len(set(styles)) == len(lines)  # no two lines differ by colour alone
    assert [ln.get_marker() for ln in lines] == list(MARKERS)
    assert isinstance(matplotlib.rcParams["axes.prop_cycle"], type(cycler(a=[1])))


def test_the_plot_package_names_no_colour_outside_the_palette():
    """Colours come from coursework.plot.style, not from tab10 or "red"."""
    import importlib
    import inspect
    import re

    named = re.compile(
        r"""(color|colour|ec|c)\s*=\s*["'](tab:\w+|red|green|blue|orange|cyan|"""
        r"""grey|gray|#[0-9a-fA-F]{6})["']|get_cmap\("tab10"\)|cmap="jet\""""
    )
    found = []
    for name in PLOT_MODULES:
        source = inspect.getsource(importlib.import_module(f"coursework.plot.{name}"))
        found += [f"{name}: {m.group(0)}" for m in named.finditer(source)]
    assert found == []
