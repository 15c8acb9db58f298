"""The README's examples run as written (its own asserts check their results)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks_of(section: str) -> list:
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end if end > 0 else None], re.S)


def test_the_dataflow_and_systolic_examples_run(tmp_path):
    blocks = blocks_of("Dataflow")
    assert len(blocks) == 3
    for k, code in enumerate(blocks):
        path = tmp_path / f"readme_dataflow{k}.py"   # kernels need a source file to be read from
        path.write_text(code)
        exec(compile(code, str(path), "exec"), {"__name__": f"readme_dataflow{k}"})
