#!/usr/bin/env python3
"""OTEP 4719's ProcessContext message, which the pinned opentelemetry-proto package does not carry yet.

  process_context.py decode < PAYLOAD     prints the payload (protobuf bytes) as JSON, protobuf's own mapping

The message is opentelemetry/proto/processcontext/v1development/process_context.proto of open-telemetry/
opentelemetry-proto (commit ac2c4b5d1f3a6079de62f9afec860158ecc8af09, the same text as in OTEP 4719,
https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4719-process-ctx.md):
its two fields reuse the packaged Resource and KeyValue, so only this small descriptor is written out here, field
for field, and everything else (the decoder above all) is the protobuf runtime's and the package's.
scripts/generate-otlp.sh generates the Swift type from the same descriptor.
"""

import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2

NAME = "opentelemetry/proto/processcontext/v1development/process_context.proto"
PACKAGE = "opentelemetry.proto.processcontext.v1development"


def file_descriptor():
    """The FileDescriptorProto protoc would produce from process_context.proto (comments aside)."""
    file = descriptor_pb2.FileDescriptorProto(name=NAME, package=PACKAGE, syntax="proto3")
    file.dependency.extend([common_pb2.DESCRIPTOR.name, resource_pb2.DESCRIPTOR.name])
    file.options.csharp_namespace = "OpenTelemetry.Proto.ProcessContext.V1Development"
    file.options.java_multiple_files = True
    file.options.java_package = "io.opentelemetry.proto.processcontext.v1development"
    file.options.java_outer_classname = "ProcessContextProto"
    file.options.go_package = "go.opentelemetry.io/proto/otlp/processcontext/v1development"
    message = file.message_type.add(name="ProcessContext")
    field = descriptor_pb2.FieldDescriptorProto
    # opentelemetry.proto.resource.v1.Resource resource = 1;
    message.field.add(name="resource", number=1, label=field.LABEL_OPTIONAL, type=field.TYPE_MESSAGE,
                      type_name=".opentelemetry.proto.resource.v1.Resource", json_name="resource")
    # repeated opentelemetry.proto.common.v1.KeyValue attributes = 2;
    message.field.add(name="attributes", number=2, label=field.LABEL_REPEATED, type=field.TYPE_MESSAGE,
                      type_name=".opentelemetry.proto.common.v1.KeyValue", json_name="attributes")
    return file


def process_context_class():
    pool = descriptor_pool.Default()
    pool.Add(file_descriptor())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(PACKAGE + ".ProcessContext"))


def main():
    if sys.argv[1:] != ["decode"]:
        sys.exit("usage: process_context.py decode < PAYLOAD")
    message = process_context_class().FromString(sys.stdin.buffer.read())
    print(json.dumps(json_format.MessageToDict(message), sort_keys=True))


if __name__ == "__main__":
    main()
