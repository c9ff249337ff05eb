#!/bin/sh
# Generate the TypeScript types of proto/ for the daemon and clients/node.
# Output: proto/gen/ts (not committed; `npm run build` regenerates it). The
# .proto files are the contract; nothing generated is ever edited by hand.
set -eu
cd "$(dirname "$0")/.."
rm -rf proto/gen/ts
# The options mirror PROTO_LOADER_OPTIONS in daemon/src/proto.ts.
npx proto-loader-gen-types --longs=String --enums=String --defaults --oneofs \
	--grpcLib=@grpc/grpc-js --outDir=proto/gen/ts proto/ummunotify/v1/ummunotify.proto
# The generator writes extensionless imports, which only CommonJS resolves.
echo '{ "type": "commonjs" }' > proto/gen/ts/package.json
