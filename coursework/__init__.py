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
"""

__version__ = "0.1.0"
