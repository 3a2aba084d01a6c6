#!/usr/bin/env bash
# Generates the Swift code of the OTLP messages hybrid-run reads and writes into Sources/OTLPProto/Generated/
# (module OTLPProto): traces and their collector service (the report's relay decodes the children's spans),
# profiles (opentelemetry.proto.profiles.v1development) with their collector service and its gRPC client, and
# the common and resource messages both use, from the same opentelemetry-proto release the stand-ins decode
# with (the pin in scripts/standins/requirements.txt).
#
#   scripts/generate-otlp.sh        (needs Debian's protobuf-compiler: apt-get install protobuf-compiler)
#
# The .proto sources are not reachable from here, but the PyPI package carries every file's descriptor: each
# *_pb2 module holds its serialized FileDescriptorProto. They are written out as one FileDescriptorSet and fed to
# protoc with --descriptor_set_in, and the plugins are built from the packages Package.swift already uses
# (protoc-gen-swift from swift-protobuf, protoc-gen-grpc-swift-2 from grpc-swift-protobuf), so the generated code
# matches the runtime it is compiled against. The descriptors hold no comments, so neither does the output.
# OTEP 4719's ProcessContext (the payload the workloads publish for outside readers) is not in that release: its
# descriptor is written out field for field by scripts/standins/process_context.py, next to the packaged ones it
# imports, and generated the same way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/Sources/OTLPProto/Generated"
PROTOS=(
  opentelemetry/proto/common/v1/common.proto
  opentelemetry/proto/resource/v1/resource.proto
  opentelemetry/proto/trace/v1/trace.proto
  opentelemetry/proto/collector/trace/v1/trace_service.proto
  opentelemetry/proto/profiles/v1development/profiles.proto
  opentelemetry/proto/collector/profiles/v1development/profiles_service.proto
)
PROCESS_CONTEXT=opentelemetry/proto/processcontext/v1development/process_context.proto

fail() { echo "generate-otlp.sh: $1" >&2; exit 1; }
command -v protoc >/dev/null || fail "protoc is missing: apt-get install protobuf-compiler"
"$ROOT/scripts/setup.sh"
PIN="$(grep -E '^opentelemetry-proto==' scripts/standins/requirements.txt | cut -d= -f3)"
[[ -n "$PIN" ]] || fail "no opentelemetry-proto pin in scripts/standins/requirements.txt"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/otlp-gen.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PYTHONPATH="$ROOT/scripts/standins" "$ROOT/.venv/bin/python" - "$PIN" "$WORK/otlp.pb" "${PROTOS[@]}" <<'PY'
import importlib, importlib.metadata, sys
from google.protobuf import descriptor_pb2
import process_context

pin, output, names = sys.argv[1], sys.argv[2], sys.argv[3:]
installed = importlib.metadata.version("opentelemetry-proto")
if installed != pin:
    sys.exit(f"generate-otlp.sh: the venv has opentelemetry-proto {installed}, the pin is {pin}")
descriptors = descriptor_pb2.FileDescriptorSet()
for name in names:
    module = importlib.import_module(name[:-len(".proto")].replace("/", ".") + "_pb2")
    file = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
    if file.name != name:
        sys.exit(f"generate-otlp.sh: {module.__name__} describes {file.name}, not {name}")
    descriptors.file.append(file)
descriptors.file.append(process_context.file_descriptor())
with open(output, "wb") as out:
    out.write(descriptors.SerializeToString())
PY

swift build --product protoc-gen-swift >"$WORK/build.log" 2>&1 || { tail -n 20 "$WORK/build.log" >&2; fail "swift build --product protoc-gen-swift failed"; }
swift build --product protoc-gen-grpc-swift-2 >"$WORK/build.log" 2>&1 || { tail -n 20 "$WORK/build.log" >&2; fail "swift build --product protoc-gen-grpc-swift-2 failed"; }
BIN="$(swift build --show-bin-path)"

rm -rf "$OUT"
mkdir -p "$OUT"
protoc --descriptor_set_in="$WORK/otlp.pb" \
  --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --swift_out="$OUT" --swift_opt=Visibility=Public,FileNaming=DropPath \
  "${PROTOS[@]}" "$PROCESS_CONTEXT"
protoc --descriptor_set_in="$WORK/otlp.pb" \
  --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" --grpc-swift-2_out="$OUT" \
  --grpc-swift-2_opt=Visibility=Public,Server=false,FileNaming=DropPath \
  "${PROTOS[5]}"
echo "generate-otlp.sh: generated $(ls "$OUT" | tr '\n' ' ')from opentelemetry-proto $PIN"
