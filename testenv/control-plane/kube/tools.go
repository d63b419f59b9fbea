//go:build tools

// Package kube records the Kubernetes commands the local control plane needs, so
// that `go mod tidy` keeps their dependencies in go.sum. build.sh compiles them
// with `go build k8s.io/kubernetes/cmd/...`; this file is never built itself.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
