package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/streamgate/streamgate/protocols/conns"
)

// ConfigAPI reads and edits the running configuration for
// /v3/config/…; every map it returns has its secrets redacted.
type ConfigAPI interface {
	// Global is every global key (not paths, not pathDefaults).
	Global() map[string]any
	// PathDefaults is pathDefaults.
	PathDefaults() map[string]any
	// Paths are the configured paths, sorted by name, each with "name".
	Paths() []map[string]any
	// Apply applies an edit like a reload. Errors: ErrPathNotFound (404),
	// *ApplyError (500: applied, but a listener did not restart), any
	// other (400: refused, the running configuration is kept).
	Apply(e ConfigEdit) error
}

// ConfigEdit is one edit of the configuration.
type ConfigEdit struct {
	// Op is global, pathdefaults, add, patch, replace or delete.
	Op string
	// Name is the path's name (add, patch, replace, delete).
	Name string
	// Body is the JSON object sent, numbers as json.Number.
	Body map[string]any
}

// ErrPathNotFound: the edit names a path that is not configured (404).
var ErrPathNotFound = errors.New("path configuration not found")

// ApplyError: the edit was applied, but a listener it changed did not
// restart (500).
type ApplyError struct{ Err error }

func (e *ApplyError) Error() string { return e.Err.Error() }

func (e *ApplyError) Unwrap() error { return e.Err }

// Info is GET /v3/info.
type Info struct {
	Version string    `json:"version"`
	Started time.Time `json:"started"`
}

// maxConfigBody bounds a configuration edit's body (MediaMTX: 10 MiB).
const maxConfigBody = 10 << 20

// v3 registers MediaMTX's v3 endpoints on mux.
func (e *Env) v3(mux *http.ServeMux) {
	mux.HandleFunc("GET /v3/info", e.info)
	mux.HandleFunc("GET /v3/paths/list", e.pathsList)
	mux.HandleFunc("GET /v3/paths/get/{name...}", e.pathsGet)
	mux.HandleFunc("GET /v3/config/global/get", e.configRead(func(c ConfigAPI) any { return c.Global() }))
	mux.HandleFunc("PATCH /v3/config/global/patch", e.configEdit("global"))
	mux.HandleFunc("GET /v3/config/pathdefaults/get", e.configRead(func(c ConfigAPI) any { return c.PathDefaults() }))
	mux.HandleFunc("PATCH /v3/config/pathdefaults/patch", e.configEdit("pathdefaults"))
	mux.HandleFunc("GET /v3/config/paths/list", e.configPathsList)
	mux.HandleFunc("GET /v3/config/paths/get/{name...}", e.configPathsGet)
	mux.HandleFunc("POST /v3/config/paths/add/{name...}", e.configEdit("add"))
	mux.HandleFunc("PATCH /v3/config/paths/patch/{name...}", e.configEdit("patch"))
	mux.HandleFunc("POST /v3/config/paths/replace/{name...}", e.configEdit("replace"))
	mux.HandleFunc("DELETE /v3/config/paths/delete/{name...}", e.configEdit("delete"))
	for _, k := range []conns.Kind{conns.RTSPConns, conns.RTSPSessions, conns.RTSPSConns, conns.RTSPSSessions,
		conns.RTMPConns, conns.RTMPSConns, conns.SRTConns, conns.WebRTCSessions, conns.HLSSessions} {
		mux.HandleFunc("GET /v3/"+string(k)+"/list", e.connsList(k))
		mux.HandleFunc("GET /v3/"+string(k)+"/get/{id}", e.connsGet(k))
		if k.Kickable() {
			mux.HandleFunc("POST /v3/"+string(k)+"/kick/{id}", e.connsKick(k))
		}
	}
	mux.HandleFunc("GET /v3/hlsmuxers/list", e.hlsMuxersList)
	mux.HandleFunc("GET /v3/hlsmuxers/get/{name...}", e.hlsMuxersGet)
	mux.HandleFunc("GET /v3/cluster/list", e.clusterList)
}

// clusterList answers GET /v3/cluster/list: 503 when the cluster is off or
// its registry unreachable.
func (e *Env) clusterList(w http.ResponseWriter, r *http.Request) {
	if e.Cluster == nil {
		writeError(w, http.StatusServiceUnavailable, "the cluster is not enabled (cluster.enabled)")
		return
	}
	items, err := e.Cluster()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the cluster registry (etcd) is unreachable")
		return
	}
	writeList(w, r, items)
}

func (e *Env) info(w http.ResponseWriter, _ *http.Request) {
	var i Info
	if e.Info != nil {
		i = e.Info()
	}
	writeJSON(w, i)
}

// writeList writes MediaMTX's paginated list: ?itemsPerPage (default 100)
// and ?page (from 0) select the items; itemCount counts them all.
func writeList[T any](w http.ResponseWriter, r *http.Request, items []T) {
	perPage, page := 100, 0
	if s := r.URL.Query().Get("itemsPerPage"); s != "" {
		n, err := strconv.ParseUint(s, 10, 31)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, "invalid items per page")
			return
		}
		perPage = int(n)
	}
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.ParseUint(s, 10, 31)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid page")
			return
		}
		page = int(n)
	}
	total := len(items)
	pages := (total + perPage - 1) / perPage
	lo, hi := min(page*perPage, total), min((page+1)*perPage, total)
	if items == nil {
		items = []T{}
	}
	writeJSON(w, map[string]any{"itemCount": total, "pageCount": pages, "items": items[lo:hi]})
}

func (e *Env) pathsList(w http.ResponseWriter, r *http.Request) {
	var items []PathInfo
	if e.Paths != nil {
		items = e.Paths.ListPaths()
	}
	writeList(w, r, items)
}

func (e *Env) pathsGet(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if e.Paths != nil {
		for _, p := range e.Paths.ListPaths() {
			if p.Name == name {
				writeJSON(w, p)
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "path not found")
}

// configRead answers a GET of the configuration; 500 without one.
func (e *Env) configRead(get func(ConfigAPI) any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if e.ConfigAPI == nil {
			writeError(w, http.StatusInternalServerError, "configuration not available")
			return
		}
		writeJSON(w, get(e.ConfigAPI))
	}
}

func (e *Env) configPathsList(w http.ResponseWriter, r *http.Request) {
	if e.ConfigAPI == nil {
		writeError(w, http.StatusInternalServerError, "configuration not available")
		return
	}
	writeList(w, r, e.ConfigAPI.Paths())
}

func (e *Env) configPathsGet(w http.ResponseWriter, r *http.Request) {
	if e.ConfigAPI == nil {
		writeError(w, http.StatusInternalServerError, "configuration not available")
		return
	}
	name := r.PathValue("name")
	if name == "" {
		writeError(w, http.StatusBadRequest, "invalid name")
		return
	}
	for _, p := range e.ConfigAPI.Paths() {
		if p["name"] == name {
			writeJSON(w, p)
			return
		}
	}
	writeError(w, http.StatusNotFound, ErrPathNotFound.Error())
}

// configEdit applies an edit: 200 {"status":"ok"}, 400 with the error
// (the running configuration is kept), 404 for an unknown path.
func (e *Env) configEdit(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e.ConfigAPI == nil {
			writeError(w, http.StatusInternalServerError, "configuration not available")
			return
		}
		edit := ConfigEdit{Op: op, Name: r.PathValue("name")}
		if (op != "global" && op != "pathdefaults") && edit.Name == "" {
			writeError(w, http.StatusBadRequest, "invalid name")
			return
		}
		if op != "delete" {
			body, err := readObject(w, r)
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			edit.Body = body
		}
		err := e.ConfigAPI.Apply(edit)
		var applied *ApplyError
		switch {
		case err == nil:
			writeOK(w)
		case errors.Is(err, ErrPathNotFound):
			writeError(w, http.StatusNotFound, err.Error())
		case errors.As(err, &applied):
			writeError(w, http.StatusInternalServerError, err.Error())
		default:
			writeError(w, http.StatusBadRequest, err.Error())
		}
	}
}

// readObject reads a JSON object body, numbers kept as written.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxConfigBody))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON body: more than one value")
	}
	if body == nil {
		body = map[string]any{}
	}
	return body, nil
}

func (e *Env) connsList(k conns.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var items []any
		if e.Conns != nil {
			items = e.Conns.List(k)
		}
		writeList(w, r, items)
	}
}

func (e *Env) connsGet(k conns.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e.Conns != nil {
			if item, ok := e.Conns.Get(k, r.PathValue("id")); ok {
				writeJSON(w, item)
				return
			}
		}
		writeError(w, http.StatusNotFound, notFound(k))
	}
}

func (e *Env) connsKick(k conns.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e.Conns == nil || !e.Conns.Kick(k, r.PathValue("id")) {
			writeError(w, http.StatusNotFound, notFound(k))
			return
		}
		if e.Logger != nil {
			e.Logger.Info("kicked through the control API", "kind", string(k), "id", r.PathValue("id"))
		}
		writeOK(w)
	}
}

// notFound is MediaMTX's message for a missing connection or session.
func notFound(k conns.Kind) string {
	switch k {
	case conns.RTSPConns, conns.RTSPSConns, conns.RTMPConns, conns.RTMPSConns, conns.SRTConns:
		return "connection not found"
	}
	return "session not found"
}

func (e *Env) hlsMuxersList(w http.ResponseWriter, r *http.Request) {
	var items []conns.HLSMuxer
	if e.HLSMuxers != nil {
		items = e.HLSMuxers()
	}
	writeList(w, r, items)
}

func (e *Env) hlsMuxersGet(w http.ResponseWriter, r *http.Request) {
	if e.HLSMuxers != nil {
		for _, m := range e.HLSMuxers() {
			if m.Path == r.PathValue("name") {
				writeJSON(w, m)
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "muxer not found")
}

// writeOK writes MediaMTX's success body, {"status": "ok"}.
func writeOK(w http.ResponseWriter) {
	writeJSON(w, map[string]string{"status": "ok"})
}
