"""Build step of the wheel: the typed layer generated from the WIT (gen_wit.py) and the shipped
component, both written into the build tree (never into the sources).

SFBULK_WASM (default ../../target/guest/sfbulk.wasm, made by `cargo build --workspace`) and
SFBULK_WIT (default ../../wit/world.wit) name the component and its interface.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithComponent(build_py):
    def run(self) -> None:
        super().run()
        wasm = Path(os.environ.get("SFBULK_WASM", HERE / "../../target/guest/sfbulk.wasm"))
        wit = Path(os.environ.get("SFBULK_WIT", HERE / "../../wit/world.wit"))
        for what, path in (("component", wasm), ("wit", wit)):
            if not path.is_file():
                raise SystemExit(f"build: expected the {what} at {path}, found nothing (set SFBULK_WASM / SFBULK_WIT)")
        out = Path(self.build_lib) / "sfbulk"
        subprocess.run([sys.executable, str(HERE / "gen_wit.py"), str(wit), str(out)], check=True)
        shutil.copyfile(wasm, out / "sfbulk.wasm")


setup(cmdclass={"build_py": BuildWithComponent})
