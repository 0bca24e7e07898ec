package stream

// PathOptions are what the hub and the listeners need of the path
// configuration a name gets (internal/daemon maps the configuration onto
// them). They hold no secret: SRT passphrases and source URLs stay with
// the packages that use them.
type PathOptions struct {
	// ConfName is the configuration key that matched: a name, "~regex" or
	// all_others.
	ConfName string
	// Publisher is true when clients may publish the path (source:
	// publisher); a pulled or redirected path is published by its source only.
	Publisher bool
	// Redirect, when set, is where RTSP readers are sent (source: redirect).
	Redirect string
	// MaxReaders caps the readers (0: no cap).
	MaxReaders int
	// OverridePublisher lets a new publisher replace the current one.
	OverridePublisher bool
	// Savant sends the path's video to the Savant output.
	Savant bool
	// SavantSourceID is the Savant source id ("": the path name).
	SavantSourceID string
	// SavantLabels are the routing labels of the path's Savant messages.
	SavantLabels []string
}

// PathFinder returns the options of the path configuration name gets; ok is
// false when no path configuration matches it. It is asked at each publish
// and read, so that it follows reloads.
type PathFinder func(name string) (opts *PathOptions, ok bool)
