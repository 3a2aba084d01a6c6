# shellcheck shell=bash
# Release builds for the benchmark scripts. Source this file, then:
#
#   hybrid_release_build PRODUCT...    # builds each product with `swift build -c release` (its errors on stderr on
#                                      # failure, then exit 1) and sets HYBRID_RELEASE_BIN to the products' directory
#   hybrid_run_or_release_build ROOT   # keeps HYBRID_RUN if set (a benchmark of a given binary), else builds
#                                      # hybrid-run in release in ROOT and sets HYBRID_RUN to it

hybrid_release_build() {
  local product
  for product in "$@"; do
    swift build -c release --product "$product" >/dev/null 2>&1 \
      || { echo "$(basename "$0"): release build of $product failed:" >&2; swift build -c release --product "$product" >&2; exit 1; }
  done
  HYBRID_RELEASE_BIN="$(swift build -c release --show-bin-path)"
}

hybrid_run_or_release_build() {
  [[ -n "${HYBRID_RUN:-}" ]] && return
  pushd "$1" >/dev/null
  hybrid_release_build hybrid-run
  popd >/dev/null
  HYBRID_RUN="$HYBRID_RELEASE_BIN/hybrid-run"
}
