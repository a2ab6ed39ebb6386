#!/usr/bin/env bash
# On macOS with Xcode: builds the SDK for iOS devices and simulators and packs the static
# libraries into ZheliKitCore.xcframework inside the assembled Swift package.
# Not run in CI (no Apple toolchain on Linux); bindings/check-swift.py checks the package's form.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bindings/generate.sh
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  rustup target add "$target"
  cargo build --locked --release -p zhelikit-sdk --target "$target"
done
mkdir -p target/universal-ios-sim
lipo -create target/aarch64-apple-ios-sim/release/libzhelikit_sdk.a target/x86_64-apple-ios/release/libzhelikit_sdk.a \
  -output target/universal-ios-sim/libzhelikit_sdk.a
PKG=bindings/build/swift-package
rm -rf "$PKG/ZheliKitCore.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libzhelikit_sdk.a -headers "$PKG/Sources/zhelikit_sdkFFI/include" \
  -library target/universal-ios-sim/libzhelikit_sdk.a -headers "$PKG/Sources/zhelikit_sdkFFI/include" \
  -output "$PKG/ZheliKitCore.xcframework"
echo "Add $PKG to your Xcode project as a local Swift package."
