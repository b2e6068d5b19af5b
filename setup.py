"""The one build step pyproject.toml cannot state: every checkpoint in models/ goes into the wheel as
app/checkpoints/, so that an installed `memnn serve` answers with the shipped model from any directory
(``app.settings.CHECKPOINTS``). An editable install reads models/ where it is."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CHECKPOINTS = Path("models")


class BuildWithCheckpoints(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        shipped = sorted(CHECKPOINTS.glob("*.pt"))
        if not shipped:
            raise FileNotFoundError(f"no checkpoint (*.pt) in {CHECKPOINTS.resolve()}: the package would serve nothing")
        target = Path(self.build_lib, "app", "checkpoints")
        self.mkpath(str(target))
        for checkpoint in shipped:
            self.copy_file(str(checkpoint), str(target / checkpoint.name))


setup(cmdclass={"build_py": BuildWithCheckpoints})
