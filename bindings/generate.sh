#!/usr/bin/env bash
# Builds the SDK library and generates its Kotlin and Swift bindings into bindings/build/
# (generated code is not committed). Generates from the unstripped debug library: uniffi reads
# its metadata from the symbols that full stripping would remove.
#   bindings/generate.sh            → bindings/build/{kotlin,swift,swift-package}
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

cargo build --locked -p zhelikit-sdk -p uniffi-bindgen
LIB="$ROOT/target/debug/libzhelikit_sdk.so"
BINDGEN="$ROOT/target/debug/uniffi-bindgen"
OUT="$ROOT/bindings/build"

rm -rf "$OUT/kotlin" "$OUT/swift" "$OUT/swift-package"
"$BINDGEN" generate --no-format --library "$LIB" --language kotlin --out-dir "$OUT/kotlin"
"$BINDGEN" generate --no-format --library "$LIB" --language swift --out-dir "$OUT/swift"

# The Swift package an iOS developer adds: the generated Swift, and the C header + module map
# of the FFI next to where the XCFramework (built on macOS by bindings/swift/build-xcframework.sh) goes.
PKG="$OUT/swift-package"
mkdir -p "$PKG/Sources/ZheliKit" "$PKG/Sources/zhelikit_sdkFFI/include"
cp "$ROOT/bindings/swift/Package.swift" "$PKG/Package.swift"
cp "$OUT/swift/zhelikit_sdk.swift" "$PKG/Sources/ZheliKit/"
cp "$OUT/swift/zhelikit_sdkFFI.h" "$PKG/Sources/zhelikit_sdkFFI/include/"
cp "$OUT/swift/zhelikit_sdkFFI.modulemap" "$PKG/Sources/zhelikit_sdkFFI/include/module.modulemap"
echo "bindings: Kotlin in $OUT/kotlin, Swift package in $PKG"
