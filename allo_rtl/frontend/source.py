"""Reading a kernel's source: its AST, and the file positions of its nodes."""
from __future__ import annotations

import ast
import inspect
import linecache

from ..errors import AlloSyntaxError, SourceLoc, caller_loc


class KernelSource:
    """The ``FunctionDef`` of a kernel and the mapping of its nodes back to the user's file."""

    def __init__(self, tree: ast.FunctionDef, file: str, line_offset: int, col_offset: int):
        self.tree = tree
        self.file = file
        self.line_offset = line_offset
        self.col_offset = col_offset

    @classmethod
    def of_function(cls, fn) -> "KernelSource":
        try:
            lines, first_line = inspect.getsourcelines(fn)
            file = inspect.getsourcefile(fn) or inspect.getfile(fn)
        except (OSError, TypeError) as e:
            raise AlloSyntaxError(
                f"cannot read the source of kernel {getattr(fn, '__name__', fn)!r}", caller_loc(),
                "define kernels in a .py file (not in an interactive prompt or with exec)") from e
        # Remove the def's own indentation from the lines that have it; others (a comment or
        # string content at column 0) stay as they are, which the parser accepts.
        prefix = lines[0][:len(lines[0]) - len(lines[0].lstrip())]
        indent = len(prefix)
        text = "".join(line[indent:] if line.startswith(prefix) else line for line in lines)
        try:
            module = ast.parse(text)
        except SyntaxError:
            module = ast.Module(body=[], type_ignores=[])
        tree = next((n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if tree is None:
            line = fn.__code__.co_firstlineno
            col = linecache.getline(file, line).find("lambda") + 1 or 1
            raise AlloSyntaxError(f"{getattr(fn, '__name__', fn)!r} is not defined with 'def'",
                                  SourceLoc(file, line, col), "write the kernel as a def statement")
        return cls(tree, file, first_line - 1, indent)

    def nested(self, tree: ast.FunctionDef) -> "KernelSource":
        """A kernel defined inside this one's body: same file, same offsets."""
        return KernelSource(tree, self.file, self.line_offset, self.col_offset)

    def loc(self, node: ast.AST) -> SourceLoc:
        line = getattr(node, "lineno", None) or self.tree.lineno
        col = getattr(node, "col_offset", 0) or 0
        return SourceLoc(self.file, line + self.line_offset, col + 1 + self.col_offset)
