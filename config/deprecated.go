package config

import "go.yaml.in/yaml/v3"

// deprecatedOrigins are MediaMTX's deprecated single-origin CORS keys
// (*AllowOrigin: '*'), each read as its list key holding that one origin —
// it replaces the list's default, as in MediaMTX. A file setting both is
// refused: which one it means cannot be told.
var deprecatedOrigins = map[string]string{
	"apiAllowOrigin":     "apiAllowOrigins",
	"metricsAllowOrigin": "metricsAllowOrigins",
	"pprofAllowOrigin":   "pprofAllowOrigins",
	"hlsAllowOrigin":     "hlsAllowOrigins",
	"webrtcAllowOrigin":  "webrtcAllowOrigins",
}

// renameDeprecated rewrites the deprecated keys of the top-level mapping doc
// into their current form before it is decoded; errors about the value
// name the key the file used.
func renameDeprecated(d *decoder, doc *yaml.Node) {
	set := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		set[doc.Content[i].Value] = true
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		kn, vn := doc.Content[i], resolveAlias(doc.Content[i+1])
		list, ok := deprecatedOrigins[kn.Value]
		if !ok {
			continue
		}
		switch {
		case set[list]:
			d.errorf(kn, kn.Value, "deprecated: set %s only (both are set)", list)
			continue
		case vn == nil || vn.Kind != yaml.ScalarNode:
			d.errorf(kn, kn.Value, "want one origin (a string), or use %s for a list", list)
			continue
		}
		d.alias[list] = kn.Value
		renamed := *kn
		renamed.Value = list
		doc.Content[i] = &renamed
		doc.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: vn.Line, Column: vn.Column,
			Content: []*yaml.Node{vn}}
	}
}
