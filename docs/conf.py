"""Sphinx configuration: furo theme, MyST Markdown pages, no network access needed."""

project = "groq_anyio"
author = "groq_anyio developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
html_theme = "furo"
exclude_patterns = ["_build"]
napoleon_google_docstring = True
autodoc_member_order = "bysource"
