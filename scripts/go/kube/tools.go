//go:build tools

// Package tools pins the Kubernetes control-plane commands built by
// scripts/install-tools; the build tag keeps it out of every build.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
