package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a configuration file.
const MaxFileSize = 16 << 20

// Load reads, decodes, compiles and validates a configuration file. A ".json"
// file is read in the Savant Media Gateway server dialect, anything else as
// MediaMTX YAML. env is the environment to take MTX_* / STREAMGATE_*
// overrides from (normally os.Environ()).
func Load(path string, env []string) (*Conf, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return ParseGatewayJSON(path, data, env)
	}
	return Parse(path, data, env)
}

// Parse decodes MediaMTX-dialect YAML named name (used in error messages).
func Parse(name string, data []byte, env []string) (*Conf, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	return decodeConf(name, root, Default(), env)
}

func parseYAML(name string, data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err.Error() != "EOF" {
		return nil, Errors{yamlSyntaxError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: name, Line: extra.Line, Msg: "more than one YAML document"}}
	}
	return &root, nil
}

// yamlSyntaxError turns "yaml: line 3: found …" into a located Error.
func yamlSyntaxError(name string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &Error{File: name, Line: line, Msg: "syntax error: " + msg}
}

// decodeConf decodes root over base, applies env overrides, compiles paths
// and validates. It is shared by both dialects.
func decodeConf(name string, root *yaml.Node, base *Conf, env []string) (*Conf, error) {
	d := &decoder{file: name, env: map[*yaml.Node]string{}, lines: map[string]*yaml.Node{}}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if isNull(doc) {
		doc = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}
	}
	if doc.Kind != yaml.MappingNode {
		d.errorf(doc, "", "the file must be a mapping of keys, got %s", nodeKind(doc))
		return nil, d.errs
	}
	applyEnv(d, doc, env)
	d.decode(doc, reflect.ValueOf(base).Elem(), "")
	base.Paths.finish(d, base.PathDefaults)
	if len(d.errs) == 0 {
		validate(d, base)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return base, nil
}
