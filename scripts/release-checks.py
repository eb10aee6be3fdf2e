#!/usr/bin/env python3
"""Release-readiness checks run by .ci/run (see VERSIONING.md, "Release checklist").

  release-checks.py package   cargo package every publishable crate, list each package's files
                              with their sizes, fail if any packaged file exceeds 1 MiB
  release-checks.py features  cargo check each library with --no-default-features and with its
                              default features alone (check, not build: cheap)
  release-checks.py msrv      fail if any package in Cargo.lock declares a rust-version newer
                              than the workspace's

Publishable crates are the workspace members without `publish = false`. Only the standard
library is used; cargo does the work.
"""

import json
import os
import subprocess
import sys
import tarfile

MAX_FILE_BYTES = 1024 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args):
    print("+ " + " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True)


def metadata(*extra):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", *extra],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(out)


def publishable(meta):
    members = set(meta["workspace_members"])
    # `publish = false` is an empty list in cargo metadata; null means any registry.
    return [p for p in meta["packages"] if p["id"] in members and p.get("publish") != []]


def target_dir(meta):
    return meta["target_directory"]


def check_package():
    meta = metadata("--no-deps")
    crates = publishable(meta)
    if not crates:
        sys.exit("no publishable crate found in the workspace")
    args = ["cargo", "package", "--no-verify", "--locked", "--allow-dirty"]
    for p in crates:
        args += ["-p", p["name"]]
    run(args)
    failures = []
    for p in crates:
        crate = os.path.join(target_dir(meta), "package", f"{p['name']}-{p['version']}.crate")
        with tarfile.open(crate, "r:gz") as tar:
            files = [m for m in tar.getmembers() if m.isfile()]
        total = sum(m.size for m in files)
        print(f"\n{p['name']} {p['version']}: {len(files)} files, {total / 1024:.1f} KiB "
              f"unpacked, {os.path.getsize(crate) / 1024:.1f} KiB packed")
        for m in sorted(files, key=lambda m: m.name):
            name = m.name.split("/", 1)[1]
            flag = "  <-- over 1 MiB" if m.size > MAX_FILE_BYTES else ""
            print(f"  {m.size:>9}  {name}{flag}")
            if m.size > MAX_FILE_BYTES:
                failures.append(f"{p['name']}: {name} is {m.size} bytes")
        for required in ("README.md", "LICENSE"):
            if not any(m.name.endswith("/" + required) for m in files):
                failures.append(f"{p['name']}: the package has no {required}")
    if failures:
        print("\nPackaged files over 1 MiB or missing (narrow `include` in the crate's "
              "Cargo.toml, or keep the file out of src/):", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        sys.exit(1)
    print(f"\n{len(crates)} packages, no file over 1 MiB")


def check_features():
    meta = metadata("--no-deps")
    for p in publishable(meta):
        if not any("lib" in t["kind"] for t in p["targets"]):
            continue
        run(["cargo", "check", "--locked", "-p", p["name"], "--lib", "--no-default-features"])
        if p["features"].get("default"):
            run(["cargo", "check", "--locked", "-p", p["name"], "--lib"])
        else:
            print(f"  {p['name']} has no default features: --no-default-features covered it")


def version_tuple(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def check_msrv():
    meta = metadata("--all-features")
    members = set(meta["workspace_members"])
    declared = {p["rust_version"] for p in meta["packages"] if p["id"] in members}
    declared.discard(None)
    if len(declared) != 1:
        sys.exit(f"workspace members declare rust-version {sorted(declared)}; expected one value "
                 "(rust-version.workspace = true in every member)")
    msrv = declared.pop()
    too_new = [
        (p["name"], p["version"], p["rust_version"])
        for p in meta["packages"]
        if p["id"] not in members
        and p.get("rust_version")
        and version_tuple(p["rust_version"]) > version_tuple(msrv)
    ]
    with_msrv = sum(1 for p in meta["packages"] if p["id"] not in members and p.get("rust_version"))
    deps = sum(1 for p in meta["packages"] if p["id"] not in members)
    if too_new:
        print(f"dependencies that need a newer Rust than the workspace's rust-version {msrv}:",
              file=sys.stderr)
        for name, version, rv in sorted(too_new):
            print(f"  {name} {version}: rust-version {rv}", file=sys.stderr)
        print("Pin an older version (cargo update -p NAME --precise VERSION) or raise "
              "rust-version in the root Cargo.toml (and say so in CHANGELOG.md).", file=sys.stderr)
        sys.exit(1)
    print(f"rust-version {msrv}: {with_msrv} of {deps} dependencies declare a rust-version; "
          "none is newer")


if __name__ == "__main__":
    commands = {"package": check_package, "features": check_features, "msrv": check_msrv}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
