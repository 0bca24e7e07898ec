package daemon

import (
	"errors"

	streamgate "github.com/streamgate/streamgate"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/httpapi"
	"github.com/streamgate/streamgate/protocols/stream"
)

// info answers GET /v3/info.
func (d *Daemon) info() httpapi.Info {
	return httpapi.Info{Version: streamgate.Version, Started: d.startedAt}
}

// hlsMuxers lists the running HLS listener's muxers.
func (d *Daemon) hlsMuxers() []conns.HLSMuxer {
	if h := d.hls.Load(); h != nil {
		return h.Muxers()
	}
	return nil
}

// configAPI reads and edits the running configuration for the control
// API. An edit is applied like a reload of the file (Reload) and is not
// written to the file (as MediaMTX); the next reload of the file — it
// changed, or SIGHUP — replaces it (a warning says so).
type configAPI struct{ d *Daemon }

var _ httpapi.ConfigAPI = configAPI{}

func (a configAPI) Global() map[string]any       { return a.d.conf.Load().GlobalRedacted() }
func (a configAPI) PathDefaults() map[string]any { return a.d.conf.Load().PathDefaultsRedacted() }
func (a configAPI) Paths() []map[string]any      { return a.d.conf.Load().PathsRedacted() }

// Apply edits the running configuration and applies the result; a
// refused edit leaves it as it was. An edit that restarts the API
// listener itself is checked, answered, then applied.
func (a configAPI) Apply(e httpapi.ConfigEdit) error {
	d := a.d
	d.editMu.Lock()
	unlock := true
	defer func() {
		if unlock {
			d.editMu.Unlock()
		}
	}()
	c := d.conf.Load()
	var next *config.Conf
	var err error
	switch e.Op {
	case "global":
		next, err = c.PatchGlobal(e.Body)
	case "pathdefaults":
		next, err = c.PatchPathDefaults(e.Body)
	case "add":
		next, err = c.AddPath(e.Name, e.Body)
	case "patch":
		next, err = c.PatchPath(e.Name, e.Body)
	case "replace":
		next, err = c.ReplacePath(e.Name, e.Body)
	case "delete":
		next, err = c.RemovePath(e.Name)
	default:
		err = errors.New("unknown edit")
	}
	if errors.Is(err, config.ErrPathNotFound) {
		return httpapi.ErrPathNotFound
	}
	if err != nil {
		return err
	}
	if listenerSettings(c)["api"] != listenerSettings(next)["api"] {
		// The edit restarts the API listener, which waits for this very
		// request: check it now, answer, then apply it (the lock goes
		// with it, so that the next edit sees its result).
		if _, err := BuildPipeline(next, CheckDeps(), Resources{}); err != nil {
			return err
		}
		unlock = false
		go func() {
			defer d.editMu.Unlock()
			a.reload(e, next)
		}()
		return nil
	}
	return a.reload(e, next)
}

// reload applies an edited configuration and logs the outcome.
func (a configAPI) reload(e httpapi.ConfigEdit, next *config.Conf) error {
	d := a.d
	err := d.Reload(next)
	var partial *ListenerError
	switch {
	case errors.As(err, &partial):
		d.apiEdits.Add(1)
		d.logger.Error("configuration edited through the API, but a listener did not restart", "edit", e.Op, "path", e.Name, "error", err)
		return &httpapi.ApplyError{Err: err}
	case err != nil:
		d.logger.Error("configuration edit through the API not applied", "edit", e.Op, "path", e.Name, "error", err)
		return err
	}
	d.apiEdits.Add(1)
	d.logger.Info("configuration edited through the API", "edit", e.Op, "path", e.Name)
	return nil
}

// pathLister adapts the hub to /v3/paths/list and get: the live paths,
// their readers from the connection registry.
type pathLister struct {
	hub   *stream.Hub
	conns *conns.Registry
}

// readerKinds are the lists whose items read a path, with MediaMTX's
// reader type.
var readerKinds = []struct {
	kind conns.Kind
	typ  string
}{
	{conns.RTSPSessions, "rtspSession"}, {conns.RTSPSSessions, "rtspsSession"},
	{conns.RTMPConns, "rtmpConn"}, {conns.RTMPSConns, "rtmpsConn"},
	{conns.SRTConns, "srtConn"}, {conns.WebRTCSessions, "webRTCSession"}, {conns.HLSSessions, "hlsSession"},
}

// sourceType is MediaMTX's source type of a publisher.
func sourceType(src stream.SourceInfo) string {
	if src.Type != "" {
		return src.Type
	}
	name := src.Listener
	if name == "" {
		name = src.Protocol
	}
	switch name {
	case "rtsp":
		return "rtspSession"
	case "rtsps":
		return "rtspsSession"
	case "rtmp":
		return "rtmpConn"
	case "rtmps":
		return "rtmpsConn"
	case "srt":
		return "srtConn"
	case "webrtc":
		return "webRTCSession"
	}
	return name + "Session"
}

func (l pathLister) readers() map[string][]httpapi.Reader {
	out := map[string][]httpapi.Reader{}
	for _, rk := range readerKinds {
		for _, item := range l.conns.List(rk.kind) {
			id, path, state := itemReadInfo(item)
			if state == "read" {
				out[path] = append(out[path], httpapi.Reader{Type: rk.typ, ID: id})
			}
		}
	}
	return out
}

// itemReadInfo is an item's ID, path and state.
func itemReadInfo(item any) (id, path, state string) {
	switch x := item.(type) {
	case conns.RTSPSession:
		return x.ID, x.Path, x.State
	case conns.RTMPConn:
		return x.ID, x.Path, x.State
	case conns.SRTConn:
		return x.ID, x.Path, x.State
	case conns.WebRTCSession:
		return x.ID, x.Path, x.State
	case conns.HLSSession:
		return x.ID, x.Path, "read"
	}
	return "", "", ""
}

func (l pathLister) ListPaths() []httpapi.PathInfo {
	live := l.hub.List()
	readers := l.readers()
	out := make([]httpapi.PathInfo, len(live))
	for i, p := range live {
		started := p.Started
		tracks := make([]httpapi.Track, len(p.Tracks))
		for j, t := range p.Tracks {
			tracks[j] = httpapi.Track{Codec: t}
		}
		rs := readers[p.Name]
		if rs == nil {
			rs = []httpapi.Reader{}
		}
		out[i] = httpapi.PathInfo{Name: p.Name, ConfName: p.ConfName,
			Source:    &httpapi.Source{Type: sourceType(p.Source), ID: p.Source.ID},
			Available: true, AvailableTime: &started, Online: true, OnlineTime: &started, Ready: true, ReadyTime: &started,
			Tracks: p.Tracks, Tracks2: tracks, InboundBytes: p.BytesReceived, BytesReceived: p.BytesReceived,
			Readers: rs, ReaderCount: p.Readers}
	}
	return out
}
