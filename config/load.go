package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
		return nil, Errors{yamlSyntaxError(name, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: name, Line: extra.Line, Msg: "more than one YAML document"}}
	}
	return &root, nil
}

// yamlSyntaxError turns "yaml: line 3: found …" into a located Error.
func yamlSyntaxError(name string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	if slices.Contains(yamlParserProblems, msg) {
		// yaml.v3 reports the parser's (not the scanner's) marks 0-based,
		// and leaves out "line 0": the line is one more than it says.
		line++
	}
	// A problem found at the end of the stream is reported on the line
	// after the last; name the last line instead.
	line = min(line, yamlLines(data))
	return &Error{File: name, Line: line, Msg: "syntax error: " + msg}
}

// yamlLines counts lines as YAML does (\n, \r and \r\n end a line); a final
// line break does not start another line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1 + strings.Count(s, "\n") + strings.Count(s, "\r")
	if strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\r") {
		n--
	}
	return max(n, 1)
}

// yamlParserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports; see yaml_parser_set_parser_error* in parserc.go.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
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
	src := &source{name: name, doc: copyTree(doc), env: env}
	applyEnv(d, doc, reflect.ValueOf(base).Elem(), env)
	if d.alias == nil {
		d.alias = map[string]string{}
	}
	d.decode(doc, reflect.ValueOf(base).Elem(), "")
	base.Paths.finish(d, base.PathDefaults)
	d.checkUnsupported(topKeys(doc))
	if len(d.errs) == 0 {
		validate(d, base)
	}
	if d.dropped > 0 {
		d.errs = append(d.errs, &Error{File: name, Msg: fmt.Sprintf("… and %d more problems", d.dropped)})
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	base.src = src
	base.Warnings = d.envs.warnings
	return base, nil
}

// topKeys are the keys the top-level mapping sets.
func topKeys(doc *yaml.Node) map[string]bool {
	set := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		set[doc.Content[i].Value] = true
	}
	return set
}
