//go:build tools

// Package tools pins promtool (github.com/prometheus/prometheus/cmd/promtool), built by
// scripts/install-tools: the chart's alerting rules are checked and unit-tested with it.
// The build tag keeps it out of every build.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
