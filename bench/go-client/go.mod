module github.com/k1s0/scheduler-client/bench/go-client

go 1.24.0

require (
	github.com/k1s0/scheduler-client/test/grpc-go/server v0.0.0
	google.golang.org/grpc v1.76.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/net v0.42.0 // indirect
	golang.org/x/sys v0.34.0 // indirect
	golang.org/x/text v0.27.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20250804133106-a7a43d27e69b // indirect
)

// The generated Go code of the contract lives with the grpc-go test server (regenerated there by
// scripts/go-scheduler-server.sh generate); the bench client uses the same package.
replace github.com/k1s0/scheduler-client/test/grpc-go/server => ../../test/grpc-go/server
