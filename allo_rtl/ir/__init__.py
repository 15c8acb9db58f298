"""The typed kernel IR (nodes) and its printer."""
from .nodes import *  # noqa: F401,F403
