"""The README's examples run as written (its own asserts check their results)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks_of(section: str) -> list:
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end if end > 0 else None], re.S)


def test_the_dataflow_example_runs(tmp_path):
    (code,) = blocks_of("Dataflow")
    path = tmp_path / "readme_dataflow.py"       # kernels need a source file to be read from
    path.write_text(code)
    exec(compile(code, str(path), "exec"), {"__name__": "readme_dataflow"})
