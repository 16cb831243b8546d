// Package modelfile is the format of apimodel's embedded outputs.json.gz:
// the generator (modelgen) writes it and apimodel reads it, so both see
// one definition.
package modelfile

// File is the whole file.
type File struct {
	Source   string              `json:"source"`
	Services map[string]*Service `json:"services"`
}

// Service is one botocore service: its model version, each operation's
// output shape name, and every shape those outputs reach.
type Service struct {
	Version string            `json:"version"`
	Ops     map[string]string `json:"ops"`
	Shapes  map[string]Shape  `json:"shapes"`
}

// Shape is a botocore shape reduced to what output validation needs;
// short keys keep the embedded file small.
type Shape struct {
	T   string            `json:"t"`             // type ("document" for a document structure)
	M   map[string]string `json:"m,omitempty"`   // structure: member -> shape
	R   []string          `json:"r,omitempty"`   // structure: required members
	L   string            `json:"l,omitempty"`   // list: member shape
	V   string            `json:"v,omitempty"`   // map: value shape
	E   []string          `json:"e,omitempty"`   // enum values
	Min *float64          `json:"min,omitempty"` // length or value bounds
	Max *float64          `json:"max,omitempty"`
}
