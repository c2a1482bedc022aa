"""setuptools' build_py plus one file at the top of site-packages: vagent-gymnasium.pth.

It makes ``gymnasium.make("vagent/...")`` work with no import first (gymnasium 1.x loads no
plugins itself); ``envs/plugin.py`` says how. Everything else is in pyproject.toml.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "vagent-gymnasium.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        # An editable install packs what lands in the install's lib folder (the unpacked
        # wheel), not build_lib; a regular wheel packs build_lib.
        target = (self.get_finalized_command("install").install_lib if self.editable_mode
                  else self.build_lib)
        self.mkpath(target)
        self.copy_file(PTH, os.path.join(target, PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
