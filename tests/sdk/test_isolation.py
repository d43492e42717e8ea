"""The SDK ships without the server: it imports in a process where `openoffers` cannot be imported."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import openoffers_client

# A finder first on sys.meta_path that refuses `openoffers` and everything under it, then every module
# of the SDK imported, then proof that the server was neither imported nor importable.
PROBE = """
import importlib, importlib.abc, sys

class HideServer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "openoffers" or name.startswith("openoffers."):
            raise ModuleNotFoundError(f"hidden: {name}")
        return None

sys.meta_path.insert(0, HideServer())
for name in sys.argv[1:]:
    importlib.import_module(name)
try:
    import openoffers
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("the server package was importable")
assert not [m for m in sys.modules if m == "openoffers" or m.startswith("openoffers.")]
print("ok", len(sys.argv) - 1)
"""


def test_the_sdk_imports_with_the_server_hidden() -> None:
    root = Path(openoffers_client.__file__).parent
    modules = ["openoffers_client"] + [f"openoffers_client.{info.name}" for info in pkgutil.iter_modules([str(root)])]
    assert {"openoffers_client.client", "openoffers_client.api", "openoffers_client.webhooks"} <= set(modules)
    done = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, *modules], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"ok {len(modules)}"), done.stderr
