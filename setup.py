"""Maps the top-level source folders onto the ``flexcoop.*`` namespace (ARCHITECTURE.md §2).

Kept in setup.py because setuptools cannot discover sub-packages of remapped folders from
pyproject.toml alone; everything else lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {
    "flexcoop": "flexcoop",
    "flexcoop.openadr": "openadr",
    "flexcoop.drivers": "drivers",
    "flexcoop.edge": "edge",
    "flexcoop.cloud": "cloud",
    "flexcoop.hardware": "hardware",
}

# Every folder is a package, __init__.py or not: a folder of Alembic revisions or of device
# templates must ship as surely as code (tests/flexcoop/test_packaging.py builds the wheel).
packages = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages.extend(
        f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])
    )

setup(
    package_dir=ROOTS,
    packages=packages,
    package_data={"": ["*.toml", "*.html", "*.css", "*.js", "*.json", "*.ini", "*.mako", "*.sql"]},
    include_package_data=True,
)
