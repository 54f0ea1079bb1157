"""coursework: the tested package behind the course notebooks.

Video understanding, autoregressive models, VAEs, GANs, self-supervised and
multi-modal learning, one sub-package per lecture topic. Notebooks start with
``profile, device = coursework.runtime.setup()``.

Layers: a topic package (``video``, ``autoregressive``, ``vae``, ``gan``,
``pretext``, ``multimodal``, ...) imports only the shared layers (``runtime``,
``data``, ``train``, ``metrics``, ``classifier``), never another topic, and a
notebook imports only its own topic. The shared layers ``plot``, ``widgets``
and ``exercises`` hold one module per topic, which may import that topic.
``tests/test_imports.py`` enforces this.

``coursework.progress()`` shows which exercises pass, fail or are not done.
"""

__version__ = "0.1.0"


def progress(notebook: str | None = None, figure: bool = True) -> None:
    """Which exercises pass, fail or are not done yet: a table and a figure.

    ``coursework.progress()`` reads the verdicts of the checks you ran; see
    :func:`coursework.exercises.tracking.progress` for the arguments. (Imported
    on first call, so ``import coursework`` stays light.)
    """
    from coursework.exercises.tracking import progress as _progress

    _progress(notebook, figure)
