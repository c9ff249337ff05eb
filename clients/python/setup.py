"""Build hook: generates the gRPC modules of ummunotify.v1 from proto/.

The wire contract lives once, in <repo>/proto; the Python modules are made
from it by grpcio-tools whenever the package is built, straight into the
build directory, so nothing generated is ever kept in (or edited in) the
source tree. With proto root <repo>/proto, the file
ummunotify/v1/ummunotify.proto becomes the module ummunotify.v1.ummunotify_pb2,
and the generated `from ummunotify.v1 import ummunotify_pb2` resolves to
this very package.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent.parent / "proto"
PROTO_FILES = ("ummunotify/v1/ummunotify.proto",)


def runtime_requirements() -> list[str]:
    """grpcio and protobuf as the generator requires them.

    Generated code refuses to load under an older grpcio or protobuf than the
    grpcio-tools that made it, so the wheel asks for what that grpcio-tools
    itself depends on.
    """
    found: dict[str, str] = {}
    for requirement in importlib.metadata.requires("grpcio-tools") or []:
        name = re.match(r"[A-Za-z0-9._-]*", requirement).group(0).lower()  # type: ignore[union-attr]
        if name in ("grpcio", "protobuf") and ";" not in requirement:
            found[name] = requirement
    return [found.get(name, name) for name in ("grpcio", "protobuf")]


def mypy_grpc_plugin() -> str:
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    plugin = shutil.which("protoc-gen-mypy_grpc", path=search)
    if plugin is None:
        raise RuntimeError("protoc-gen-mypy_grpc not found: install mypy-protobuf (a build requirement)")
    return plugin


class BuildPyWithProtos(build_py):
    def run(self) -> None:
        super().run()
        self.generate(Path(self.build_lib))

    def generate(self, out: Path) -> None:
        from grpc_tools import protoc  # a build requirement, absent at import time of sdists

        missing = [p for p in PROTO_FILES if not (PROTO_ROOT / p).is_file()]
        if missing:
            raise RuntimeError(f"cannot find {missing} under {PROTO_ROOT}: build from the repository checkout")
        well_known = Path(protoc.__file__).parent / "_proto"
        args = [
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={well_known}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            # Typed stubs for the service, so the client checks under mypy --strict.
            f"--plugin=protoc-gen-mypy_grpc={mypy_grpc_plugin()}",
            f"--mypy_grpc_out={out}",
            *PROTO_FILES,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"grpc_tools.protoc failed on {PROTO_FILES}")


setup(cmdclass={"build_py": BuildPyWithProtos}, install_requires=runtime_requirements())
