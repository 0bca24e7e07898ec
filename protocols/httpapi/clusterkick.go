package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxKickBody bounds POST /v3/cluster/kick's body.
const maxKickBody = 64 << 10

// clusterKick answers POST /v3/cluster/kick, body {"user": "<name>"}: the
// user's sessions end on every instance of the cluster. 200 with the
// number ended here ({"status": "ok", "kicked": n}); 400 for a bad body;
// 503 when the cluster is off or etcd did not take the kick (nothing was
// ended then).
func (e *Env) clusterKick(w http.ResponseWriter, r *http.Request) {
	if e.ClusterKick == nil {
		writeError(w, http.StatusServiceUnavailable, "the cluster is not enabled")
		return
	}
	var body struct {
		User *string `json:"user"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxKickBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || dec.More() {
		writeError(w, http.StatusBadRequest, "invalid body: want {\"user\": \"<name>\"}")
		return
	}
	if body.User == nil || strings.TrimSpace(*body.User) == "" {
		writeError(w, http.StatusBadRequest, "invalid body: user must be a non-empty name")
		return
	}
	n, err := e.ClusterKick(r.Context(), *body.User)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the kick could not reach the cluster (etcd unavailable); no session was ended")
		return
	}
	if e.Logger != nil {
		e.Logger.Info("cluster-wide kick through the control API", "sessions", n)
	}
	writeJSON(w, map[string]any{"status": "ok", "kicked": n})
}
