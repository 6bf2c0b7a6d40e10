#!/bin/sh
# Regenerates convert/internal/tflite (schema.fbs) and convert/internal/tflmeta
# (metadata_schema.fbs) with flatc (Debian: apt-get install flatbuffers-compiler).
# Usage: convert/internal/tflite/generate.sh SCHEMA.fbs METADATA_SCHEMA.fbs
#   SCHEMA.fbs:          tensorflow/compiler/mlir/lite/schema/schema.fbs
#                        (tensorflow/tflite-micro 90b983c2b3f1480642e040bbd2ddb37b998f3424)
#   METADATA_SCHEMA.fbs: tensorflow_lite_support/metadata/metadata_schema.fbs
#                        (tensorflow/tflite-support dd3362ea685bb7ab1f7268c81ec567d3b720ae57)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# flatc 2.0.8 rejects "(deprecated)" on enum values, union members and tables.
sed -e 's/^\(  REDUCE_WINDOW = 205\) (deprecated),/\1,/' \
    -e 's/^\(  ReduceWindowOptions\) (deprecated),/\1,/' \
    -e 's/^\(table ReduceWindowOptions\) (deprecated) {/\1 {/' "$1" > "$tmp/schema.fbs"
flatc --go -o "$tmp/out" "$tmp/schema.fbs"
flatc --go --go-namespace tflmeta -o "$tmp/out" "$2"
find "$here" -name '*.go' ! -name doc.go -delete
find "$here/../tflmeta" -name '*.go' ! -name doc.go -delete
cp "$tmp"/out/tflite/*.go "$here/"
cp "$tmp"/out/tflmeta/*.go "$here/../tflmeta/"
