"""ipywidgets explorers, one module per topic (e.g. ``coursework.widgets.vae``).

Each explorer also has a plain-matplotlib fallback so that a notebook runs
headless (tests, nbval) and in viewers without a live kernel.
"""
