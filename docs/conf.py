"""Sphinx configuration of the course site: ``make site`` (README, "The course site").

The lecture pages are the solution notebooks, executed by myst-nb in the profile
``$COURSEWORK_PROFILE`` (default ``cpu``) and cached by jupyter-cache next to
the HTML output, so a rebuild re-executes only what changed. Everything a page
loads is served by the site itself: no CDN.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "Video, Generative Models and Self-Supervised Learning"
author = "the course's authors"
copyright = "the course's authors, MIT licence"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "coursesite",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
coursework_profile = os.environ.get("COURSEWORK_PROFILE") or "cpu"

# --- notebooks (myst-nb) -----------------------------------------------------
nb_execution_mode = "cache"
nb_execution_timeout = 3600  # a cpu-profile notebook takes about ten minutes
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_in_temp = True
# Streams are merged by docs/_ext/coursesite.py, which keeps a text progress
# bar's last state (myst-nb's merge turns each redraw into a line of its own).
nb_merge_streams = False
nb_ipywidgets_js = {}  # the widget manager would come from a CDN
# A figure's output carries its PNG twice: as image/png and as an <img alt> in
# text/html for JupyterLab (coursework.plot.alttext). The site draws the PNG,
# which docs/_ext/coursesite.py gives the same alt text, as a real image node.
nb_mime_priority_overrides = [("*", "image/png", 25)]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_update_mathjax = False
myst_heading_anchors = 3

# --- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # A package re-exports its modules' names; document each where it is defined.
    "ignore-module-all": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # dataclass fields as fields, not duplicate objects

# --- HTML: sphinx-book-theme, everything served locally ----------------------
html_theme = "sphinx_book_theme"
html_title = "VGSSL course"
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico
html_theme_options = {
    "use_download_button": False,  # it would offer the solution notebook
    "use_fullscreen_button": True,
    "launch_buttons": {},
    "show_toc_level": 2,
}
# Unset, the theme logs a console error on a reader's first visit.
html_context = {"default_mode": "auto"}
html_show_sourcelink = False
html_copy_source = False
# MathJax 2 from the jupyter-server-mathjax wheel, copied to _static/mathjax.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
    },
    "messageStyle": "none",
    # The wheel ships the STIX-Web web fonts (as Jupyter's own MathJax set-up).
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None},
    # The hidden MathML copy for screen readers would ask for MathJax's TeX
    # fonts (which the wheel lacks: 404s in the browser test) for AMS and
    # script letters; nobody sees it, so a local font does.
    "AssistiveMML": {
        "styles": {
            ".MJX_Assistive_MathML": {"font-family": "serif"},
            ".MJX_Assistive_MathML *": {"font-family": "serif !important"},
        }
    },
}
