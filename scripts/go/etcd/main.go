// Command etcd builds the upstream etcd server from the Go module proxy
// (the same code as etcd's own release binary: server/main.go).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
