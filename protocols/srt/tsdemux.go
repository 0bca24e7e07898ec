package srt

import (
	"io"

	"github.com/bluenviron/gortsplib/v5/pkg/description"

	"github.com/streamgate/streamgate/protocols/stream"
)

// TSDemuxer is the MPEG-TS demuxer of SRT publishers, for the pulled
// sources that carry MPEG-TS (srt://, udp://): same tracks, same units.
type TSDemuxer struct{ d *demuxer }

// NewTSDemuxer reads r until the program's tracks are known; onError is
// called for each decode error (the stream goes on). The error is
// ErrNoTracks when no track has a supported codec.
func NewTSDemuxer(r io.Reader, onError func(error)) (*TSDemuxer, error) {
	d, err := newDemuxer(r, onError)
	if err != nil {
		return nil, err
	}
	return &TSDemuxer{d: d}, nil
}

// Desc is the session description of the tracks.
func (t *TSDemuxer) Desc() *description.Session { return t.d.desc }

// Run demuxes until r fails, handing every unit to write.
func (t *TSDemuxer) Run(write func(*stream.Unit)) error {
	t.d.write = write
	for {
		if err := t.d.Read(); err != nil {
			return err
		}
	}
}
