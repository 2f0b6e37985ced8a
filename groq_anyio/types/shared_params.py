"""The official SDK's ``groq.types.shared_params``: the TypedDict of a function definition."""

from __future__ import annotations

from .chat_param_dicts import FunctionDefinition, FunctionParameters

__all__ = ["FunctionDefinition", "FunctionParameters"]
