"""coursework: the tested package behind the course notebooks.

Video understanding, autoregressive models, VAEs, GANs, self-supervised and
multi-modal learning, one sub-package per lecture topic. Notebooks start with
``profile, device = coursework.runtime.setup()``.
"""

__version__ = "0.1.0"
