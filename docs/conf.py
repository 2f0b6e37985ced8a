"""Sphinx configuration: furo theme, MyST Markdown pages, no network access needed.

Build: ``sphinx-build -W -b html docs OUT`` (warnings are errors). The API reference
(``docs/api``) is generated from the docstrings by autodoc/autosummary; ``docs/_ext/groq_apiref.py``
knows which names are public, and ``.ci/check_docs.py`` checks the built inventory holds them all.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "groq_anyio"
author = "groq_anyio developers"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "groq_apiref",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
html_theme = "furo"
exclude_patterns = ["_build", "_ext"]

# Google-style docstrings; an "Attributes:" section documents a Struct's fields
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autosummary_generate = False  # the pages list their objects themselves: nothing is generated
