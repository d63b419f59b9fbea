//go:build tools

// Package helm records the Helm command so that `go mod tidy` keeps its
// dependencies in go.sum. The control plane's build.sh compiles helm.sh/helm/v4/cmd/helm.
package helm

import _ "helm.sh/helm/v4/cmd/helm"
