#!/usr/bin/env bash
# Makes the Swift package's release asset and pins it in the root Package.swift:
#  1. builds swift/TokenExchangeFFI.xcframework (./build-xcframework.sh: macOS with Xcode);
#  2. zips it with the .xcframework folder at the top of the archive, as SwiftPM expects:
#     <target>/TokenExchangeFFI.xcframework.zip;
#  3. computes its checksum with `swift package compute-checksum` (the SHA-256 of the file, the
#     same as `shasum -a 256`);
#  4. writes `releaseURL` (the GitHub release of the workspace version) and `releaseChecksum`
#     into ../Package.swift.
# Then commit Package.swift, tag the commit with the version (SwiftPM resolves versions from
# tags; `cargo xtask version` checks the tag), and attach the zip to that GitHub release.
# Runs on macOS only, like build-xcframework.sh; it has not run on the Linux CI machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
REPO="$(cd .. && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
VERSION="$(awk '/^\[workspace.package\]/{t=1;next} /^\[/{t=0} t && $1=="version"{gsub(/"/,"",$3);print $3;exit}' "$REPO/Cargo.toml")"
ZIP="$TARGET_DIR/TokenExchangeFFI.xcframework.zip"
URL="https://github.com/token-exchange/token-exchange/releases/download/$VERSION/TokenExchangeFFI.xcframework.zip"

./build-xcframework.sh
rm -f "$ZIP"
ditto -c -k --sequesterRsrc --keepParent TokenExchangeFFI.xcframework "$ZIP"
CHECKSUM="$(swift package --package-path "$REPO" compute-checksum "$ZIP")"

sed -i '' -E \
    -e "s|^let releaseURL = \".*\"|let releaseURL = \"$URL\"|" \
    -e "s|^let releaseChecksum = \".*\"|let releaseChecksum = \"$CHECKSUM\"|" \
    "$REPO/Package.swift"
echo "wrote $ZIP (sha256 $CHECKSUM); Package.swift now points to $URL"
echo "next: commit, git tag $VERSION, upload the zip to the release $VERSION"
