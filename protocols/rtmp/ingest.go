package rtmp

import (
	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortsplib/v5/pkg/description"

	"github.com/streamgate/streamgate/protocols/stream"
)

// Ingest maps the tracks of r (initialized) to a session description, as
// for an RTMP publisher, and returns the function that routes r's data to
// the publication once there is one: pulled RTMP sources use it. The
// description is empty when no track has a supported codec.
func Ingest(r *gortmplib.Reader) (*description.Session, func(*stream.Publication)) {
	in := &ingest{}
	desc := in.describe(r.Tracks())
	return desc, func(p *stream.Publication) { in.attach(r, p) }
}
