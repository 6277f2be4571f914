// Command kstatus prints what kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, the library
// Flux's health checks and `kubectl wait`-like tools use) computes for each object it reads:
// one JSON line per object, in input order.
//
//	kstatus [FILE ...]   (none, or "-": standard input)
//
// Each input is JSON or YAML, one object per document (YAML documents split by ---, or JSON
// values one after another). Exits 1 if an input cannot be read or an object cannot be computed.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type line struct {
	Source    string `json:"source"`
	Index     int    `json:"index"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	files := os.Args[1:]
	if len(files) == 0 {
		files = []string{"-"}
	}
	out := json.NewEncoder(os.Stdout)
	for _, f := range files {
		if err := computeAll(f, out); err != nil {
			fmt.Fprintf(os.Stderr, "kstatus: %s: %v\n", f, err)
			os.Exit(1)
		}
	}
}

func computeAll(file string, out *json.Encoder) error {
	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(in, 4096)
	for i := 0; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("document %d: %w", i, err)
		}
		// as client-go decodes an API answer: whole numbers as int64 (kstatus reads generations with NestedInt64)
		var obj map[string]interface{}
		if err := utiljson.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		if obj == nil { // an empty YAML document
			i--
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		res, err := status.Compute(u)
		if err != nil {
			return fmt.Errorf("document %d (%s %s): %w", i, u.GetKind(), u.GetName(), err)
		}
		l := line{Source: file, Index: i, Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Status: res.Status.String(), Message: res.Message}
		if err := out.Encode(l); err != nil {
			return err
		}
	}
}
