#!/bin/sh
# Regenerates the golden Avro fragments with Apache's own Java implementation (avro-tools from
# Maven Central), an encoder independent of the avsc library the codec uses. Needs java and mvn.
set -eu
cd "$(dirname "$0")"
VERSION=1.12.1
DIR="${TMPDIR:-/tmp}/avro-tools-$VERSION"
[ -f "$DIR/avro-tools-$VERSION.jar" ] || mvn -q dependency:copy -Dartifact=org.apache.avro:avro-tools:$VERSION -DoutputDirectory="$DIR"
for n in 1 2 3; do
  java -jar "$DIR/avro-tools-$VERSION.jar" jsontofrag --schema-file order-v1.avsc order-$n.json > order-$n.v1.bin
done
