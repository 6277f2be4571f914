//go:build tools

// Package tools pins helm-docs (github.com/norwoodj/helm-docs), which writes the chart's
// README.md from values.yaml's `# --` comments; scripts/install-tools builds it, and the build
// tag keeps this file out of every build.
package tools

import _ "github.com/norwoodj/helm-docs/cmd/helm-docs"
