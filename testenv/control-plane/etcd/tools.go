//go:build tools

// Package etcd records the etcd server command so that `go mod tidy` keeps its
// dependencies in go.sum. build.sh compiles go.etcd.io/etcd/server/v3 directly.
package etcd

import _ "go.etcd.io/etcd/server/v3"
