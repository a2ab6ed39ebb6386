#!/usr/bin/env python3
"""Checks the generated Swift bindings in form (there is no Swift compiler here):

1. the assembled Swift package has every file Package.swift names, and the module map names the
   header that is there;
2. every public function and method of the generated Kotlin API has a Swift counterpart with the
   same name, in the same type (the two bindings describe one API).

Prints what it compared and exits non-zero on any mismatch.
"""
import re
import sys
from pathlib import Path

build = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "build")
kotlin = (build / "kotlin/uniffi/zhelikit_sdk/zhelikit_sdk.kt").read_text()
swift = (build / "swift/zhelikit_sdk.swift").read_text()
pkg = build / "swift-package"
problems = []

# 1. Package form.
manifest = (pkg / "Package.swift").read_text()
for path in re.findall(r'path:\s*"([^"]+)"', manifest):
    if path.endswith(".xcframework"):
        continue  # built on macOS only
    if not (pkg / path).exists():
        problems.append(f"Package.swift names {path}, which the package lacks")
modulemap = (pkg / "Sources/zhelikit_sdkFFI/include/module.modulemap").read_text()
for header in re.findall(r'header\s+"([^"]+)"', modulemap):
    if not (pkg / "Sources/zhelikit_sdkFFI/include" / header).exists():
        problems.append(f"module map names header {header}, which is missing")
if "module zhelikit_sdkFFI" not in modulemap:
    problems.append("module map does not declare module zhelikit_sdkFFI")
if "canImport(zhelikit_sdkFFI)" not in swift:
    problems.append("generated Swift does not import the zhelikit_sdkFFI module")


# 2. API parity: public interfaces/protocols and top-level functions.
def kotlin_api(text):
    api = {}
    for name, body in re.findall(r"public interface (\w+?)(?:Interface)? \{(.*?)\n\s*companion object", text, re.S):
        api[name] = set(re.findall(r"fun `(\w+)`\(", body))
    # Named constructors live in companion objects: `ZheliKitClient.open(...)`.
    api["<constructors>"] = set(re.findall(r"companion object \{(?:(?!\n    \}).)*?fun `(\w+)`\(", text, re.S))
    return api


def kotlin_top_level(text):
    # Top-level exported functions are the `fun` declarations outside any class: uniffi puts
    # them at the end of the file, after the last type.
    tail = text[text.rfind("\nenum class") :]
    return set(re.findall(r"\bfun `(\w+)`\(", tail))


def swift_api(text):
    api = {}
    for name, body in re.findall(r"public protocol (\w+?)(?:Protocol)?\s*:[^{]*\{(.*?)\n\}", text, re.S):
        api[name] = set(re.findall(r"func `?(\w+)`?\(", body))
    api["<top level>"] = set(re.findall(r"^public func `?(\w+)`?\(", text, re.M))
    api["<constructors>"] = set(re.findall(r"public static func `?(\w+)`?\(", text))
    return api


k = kotlin_api(kotlin)
k["<top level>"] = kotlin_top_level(kotlin)
s = swift_api(swift)
compared = 0
for owner, funcs in sorted(k.items()):
    if owner not in s:
        problems.append(f"Kotlin {owner} has no Swift counterpart")
        continue
    for f in sorted(funcs):
        compared += 1
        if f not in s[owner]:
            problems.append(f"Kotlin {owner}.{f} has no Swift counterpart")
print(f"swift check: {len(k)} Kotlin API types, {compared} functions compared")
for owner, funcs in sorted(k.items()):
    print(f"  {owner}: {', '.join(sorted(funcs)) or '-'}")
if problems:
    print("swift check FAILED:")
    for p in problems:
        print("  - " + p)
    sys.exit(1)
print("swift check: every Kotlin function has its Swift counterpart; package form OK")
