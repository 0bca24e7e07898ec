package config

import "time"

// PathHooks are a path's MediaMTX hooks: command lines run when something
// happens on the path, split as MediaMTX splits them (shell quoting, $VAR
// expanded, no shell), with MediaMTX's environment (MTX_PATH, MTX_QUERY,
// MTX_SOURCE_TYPE, …) and never a secret. A hook's process group is
// interrupted when what started it ends (internal/hooks).
type PathHooks struct {
	// RunOnInit runs when the path is configured (at start or reload).
	RunOnInit string `yaml:"runOnInit"`
	// RunOnInitRestart restarts RunOnInit when it exits.
	RunOnInitRestart bool `yaml:"runOnInitRestart"`
	// RunOnDemand runs when a reader asks for the path and nothing publishes
	// it; it is expected to publish.
	RunOnDemand string `yaml:"runOnDemand"`
	// RunOnDemandRestart restarts RunOnDemand when it exits.
	RunOnDemandRestart bool `yaml:"runOnDemandRestart"`
	// RunOnDemandStartTimeout bounds how long readers wait for RunOnDemand's stream.
	RunOnDemandStartTimeout time.Duration `yaml:"runOnDemandStartTimeout"`
	// RunOnDemandCloseAfter is how long RunOnDemand lives after its last reader left.
	RunOnDemandCloseAfter time.Duration `yaml:"runOnDemandCloseAfter"`
	// RunOnUnDemand runs when the last reader of an on-demand path left.
	RunOnUnDemand string `yaml:"runOnUnDemand"`
	// RunOnReady runs while the path has a stream (published or pulled).
	RunOnReady string `yaml:"runOnReady"`
	// RunOnReadyRestart restarts RunOnReady when it exits.
	RunOnReadyRestart bool `yaml:"runOnReadyRestart"`
	// RunOnNotReady runs when the path's stream ends.
	RunOnNotReady string `yaml:"runOnNotReady"`
	// RunOnRead runs while a client reads the path.
	RunOnRead string `yaml:"runOnRead"`
	// RunOnReadRestart restarts RunOnRead when it exits.
	RunOnReadRestart bool `yaml:"runOnReadRestart"`
	// RunOnUnread runs when a client stops reading the path.
	RunOnUnread string `yaml:"runOnUnread"`
	// RunOnRecordSegmentCreate runs when a recording segment is created.
	RunOnRecordSegmentCreate string `yaml:"runOnRecordSegmentCreate"`
	// RunOnRecordSegmentComplete runs when a recording segment is complete.
	RunOnRecordSegmentComplete string `yaml:"runOnRecordSegmentComplete"`
}

// GlobalHooks are MediaMTX's connection hooks.
type GlobalHooks struct {
	// RunOnConnect runs while a client is connected (any protocol).
	RunOnConnect string `yaml:"runOnConnect"`
	// RunOnConnectRestart restarts RunOnConnect when it exits.
	RunOnConnectRestart bool `yaml:"runOnConnectRestart"`
	// RunOnDisconnect runs when a client disconnects.
	RunOnDisconnect string `yaml:"runOnDisconnect"`
}
