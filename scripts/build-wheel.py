#!/usr/bin/env python3
"""Builds the reload-broker wheel around the native binary, with the standard library only.

    scripts/build-wheel.py --binary BIN --version V --platform manylinux_2_34_x86_64 \
        --man reload-broker.1 --readme README.md [--license LICENSE] --out dist/

Why by hand: the wheel holds no Python to build, only a prebuilt executable, and a wheel is a
zip file with three metadata files (PEP 427, PEP 491). Writing them here keeps packaging
offline and reproducible (fixed timestamps, sorted entries) with no build backend to install.

The layout is the one ruff and uv ship:
  reload_broker-V.data/scripts/reload-broker   the native binary; pip puts it in the venv's bin/
  reload_broker-V.data/data/share/man/man1/    the man page (venv/share/man/man1/)
  reload_broker/__init__.py, __main__.py       `python -m reload_broker` execs the binary
  reload_broker-V.dist-info/                   METADATA, WHEEL, RECORD (sha256 of every file)
"""

import argparse
import base64
import hashlib
import os
import re
import sys
import time
import zipfile

DISTRIBUTION = "reload_broker"
PROJECT = "reload-broker"
SUMMARY = (
    "Reload every open browser tab of your app when its code changes: "
    "a native live-reload server and proxy for any web framework."
)

INIT_PY = '''"""reload-broker: the native live-reload broker, installed by this wheel into the environment's bin/.

Run it as `reload-broker ...` or `python -m reload_broker ...`; `find_binary()` gives its path.
"""

import os
import shutil
import sys
import sysconfig

__version__ = "{version}"
__all__ = ["find_binary", "__version__"]

_NAME = "reload-broker" + (".exe" if sys.platform == "win32" else "")


def find_binary() -> str:
    """The path of the reload-broker executable this package installed."""
    candidates = [sysconfig.get_path("scripts")]
    user_scheme = sysconfig.get_preferred_scheme("user") if hasattr(sysconfig, "get_preferred_scheme") else None
    if user_scheme:
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    # pip install --target DIR puts the scripts in DIR/bin.
    candidates.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin"))
    for directory in candidates:
        path = os.path.join(directory, _NAME)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(_NAME)
    if found:
        return found
    raise FileNotFoundError("reload-broker: the native binary is not installed (looked in %s)" % ", ".join(candidates))
'''

MAIN_PY = '''"""`python -m reload_broker ARGS`: replaces this process with the native reload-broker."""

import os
import sys

from reload_broker import find_binary


def main() -> None:
    binary = find_binary()
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
'''


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def metadata(version: str, readme: str, license_name: str | None) -> str:
    lines = [
        "Metadata-Version: 2.4" if license_name else "Metadata-Version: 2.1",
        f"Name: {PROJECT}",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        "Requires-Python: >=3.8",
        "Keywords: livereload,live-reload,dev-server,fastapi,flask,django",
        "Classifier: Development Status :: 4 - Beta",
        "Classifier: Environment :: Console",
        "Classifier: Environment :: Web Environment",
        "Classifier: Intended Audience :: Developers",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Topic :: Software Development",
    ]
    if license_name:
        lines.append(f"License-File: {license_name}")
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--platform", required=True, help="platform tag, e.g. manylinux_2_34_x86_64")
    parser.add_argument("--man", required=True)
    parser.add_argument("--readme", required=True)
    parser.add_argument("--license")
    parser.add_argument("--out", required=True)
    parser.add_argument("--timestamp", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")))
    args = parser.parse_args()

    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", args.version):
        parser.error(f"--version must look like 1.2.3, not {args.version!r}")
    if not re.fullmatch(r"manylinux_[0-9]+_[0-9]+_[a-z0-9_]+", args.platform):
        parser.error(f"--platform must look like manylinux_2_34_x86_64, not {args.platform!r}")

    version = args.version
    tag = f"py3-none-{args.platform}"
    data_dir = f"{DISTRIBUTION}-{version}.data"
    info_dir = f"{DISTRIBUTION}-{version}.dist-info"
    with open(args.binary, "rb") as f:
        binary = f.read()
    with open(args.man, "rb") as f:
        man = f.read()
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    license_name = os.path.basename(args.license) if args.license else None

    # (archive path, bytes, executable)
    files = [
        (f"{DISTRIBUTION}/__init__.py", INIT_PY.format(version=version).encode(), False),
        (f"{DISTRIBUTION}/__main__.py", MAIN_PY.encode(), False),
        (f"{data_dir}/scripts/{PROJECT}", binary, True),
        (f"{data_dir}/data/share/man/man1/{PROJECT}.1", man, False),
    ]
    if args.license:
        with open(args.license, "rb") as f:
            files.append((f"{info_dir}/licenses/{license_name}", f.read(), False))
    files.append((f"{info_dir}/METADATA", metadata(version, readme, license_name).encode(), False))
    wheel = f"Wheel-Version: 1.0\nGenerator: reload-broker scripts/build-wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{info_dir}/WHEEL", wheel.encode(), False))
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data, _ in files)
    record += f"{info_dir}/RECORD,,\n"
    files.append((f"{info_dir}/RECORD", record.encode(), False))

    os.makedirs(args.out, exist_ok=True)
    out = os.path.join(args.out, f"{DISTRIBUTION}-{version}-{tag}.whl")
    stamp = time.gmtime(max(args.timestamp, 315532800))[:6]
    with zipfile.ZipFile(out + ".part", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path, data, executable in files:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(out + ".part", out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
