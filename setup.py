"""Package list for setuptools; all other metadata lives in pyproject.toml.

`allo_rtl*` is found under allo_rtl/. The folders sim/ and boards/ (and their subpackages) are
installed as `allo_rtl.sim*` and `allo_rtl.boards*`; pyproject.toml maps them with package-dir.
"""
from setuptools import find_packages, setup

packages = find_packages(include=["allo_rtl", "allo_rtl.*"])
for folder in ("sim", "boards"):
    packages += [f"allo_rtl.{name}" for name in find_packages(include=[folder, f"{folder}.*"])]

setup(packages=packages)
