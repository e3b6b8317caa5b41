"""The project is declared in pyproject.toml; this shim is for scrapyd-deploy.

scrapyd-deploy builds the egg with ``python setup.py bdist_egg``. Without a setup.py it writes its own into the
project, one that packages every package found (the sandbox, the tests and the benchmarks too).
"""

from setuptools import setup

setup()
