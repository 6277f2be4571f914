//go:build tools

// Package tools pins what a local node needs beside Kubernetes, built by scripts/install-tools:
// the container registry the kubelet pulls from (distribution) and the cluster DNS (CoreDNS).
package tools

import (
	_ "github.com/coredns/coredns"
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
