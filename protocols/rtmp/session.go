package rtmp

import (
	"errors"
	"fmt"
	"io"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"
)

// session is the server side of one RTMP connection up to the publish or
// play command. It answers connect and createStream itself (instead of
// gortmplib.ServerConn) so that nothing is acknowledged before the client
// is authenticated, and so that the app name and the stream key stay
// apart: credentials may be in either.
type session struct {
	in *preAuthReader
	bc *bytecounter.ReadWriter
	mr *msgReader
	mw *message.Writer

	app   string // the connect command's app, query included
	key   string // the publish/play stream key, query included
	tcURL string

	publish bool
	cmd     *message.CommandAMF0 // the publish or play command
}

var _ gortmplib.Conn = (*session)(nil)

// errEncrypted: the client asked for RTMPE, which is not served (use RTMPS).
var errEncrypted = errors.New("rtmp: encrypted handshake (RTMPE) is not supported")

// maxCommands bounds the commands a client may send before publish or play.
const maxCommands = 64

// What a client may make the server hold before it is authenticated. A
// handshake is 3 KiB and the commands up to publish or play a few hundred
// bytes each; RTMP clients raise the chunk size to 4 KiB (ffmpeg, OBS,
// GStreamer), this server to 64 KiB. gortmplib allocates a chunk's body
// (up to the chunk size, at most 10 MiB) as soon as its header is read, so
// the chunk size is what one header can make the server allocate.
const (
	maxPreAuthBytes     = 64 << 10
	maxPreAuthChunkSize = 64 << 10
)

var (
	errPreAuthBytes     = fmt.Errorf("rtmp: more than %d bytes before authentication", maxPreAuthBytes)
	errPreAuthChunkSize = fmt.Errorf("rtmp: chunk size over %d bytes before authentication", maxPreAuthChunkSize)
)

// preAuthReader passes at most maxPreAuthBytes until lifted (once the
// client is authenticated).
type preAuthReader struct {
	io.ReadWriter
	left   int
	lifted bool
}

func (r *preAuthReader) Read(p []byte) (int, error) {
	if r.lifted {
		return r.ReadWriter.Read(p)
	}
	if r.left <= 0 {
		return 0, errPreAuthBytes
	}
	n, err := r.ReadWriter.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}

// The stream ID createStream hands out; the only one a connection has.
const streamID = 1

// accept runs the handshake and the command exchange up to publish or play.
func accept(rw io.ReadWriter) (*session, error) {
	s := &session{in: &preAuthReader{ReadWriter: rw, left: maxPreAuthBytes}}
	s.bc = bytecounter.NewReadWriter(s.in)
	keyIn, _, err := handshake.DoServer(s.bc, false)
	if err != nil {
		return nil, fmt.Errorf("rtmp: handshake: %w", err)
	}
	if keyIn != nil {
		return nil, errEncrypted
	}
	s.mw = message.NewWriter(s.bc, s.bc.Writer, false)
	s.mr = newMsgReader(s.bc, s.mw, func() bool { return !s.in.lifted })
	if err := s.connect(); err != nil {
		return nil, err
	}
	for range maxCommands {
		cmd, err := s.readCommand()
		if err != nil {
			return nil, err
		}
		switch cmd.Name {
		case "createStream":
			err = s.mw.Write(&message.CommandAMF0{ChunkStreamID: cmd.ChunkStreamID, Name: "_result",
				CommandID: cmd.CommandID, Arguments: []any{nil, float64(streamID)}})
		case "publish", "play":
			if len(cmd.Arguments) < 2 {
				return nil, fmt.Errorf("rtmp: %s without a stream key", cmd.Name)
			}
			key, ok := cmd.Arguments[1].(string)
			if !ok {
				return nil, fmt.Errorf("rtmp: %s with an invalid stream key", cmd.Name)
			}
			s.key, s.publish, s.cmd = key, cmd.Name == "publish", cmd
			return s, nil
		}
		// releaseStream, FCPublish, getStreamLength, _checkbw …: no answer needed.
		if err != nil {
			return nil, err
		}
	}
	return nil, errors.New("rtmp: too many commands before publish or play")
}

// connect reads the connect command and accepts it. The app may be refused
// later, at publish or play, once the stream key is known.
func (s *session) connect() error {
	cmd, err := s.readCommand()
	if err != nil {
		return err
	}
	if cmd.Name != "connect" || len(cmd.Arguments) < 1 {
		return fmt.Errorf("rtmp: expected connect, got %q", cmd.Name)
	}
	var obj amf0.Object
	switch o := cmd.Arguments[0].(type) {
	case amf0.Object:
		obj = o
	case amf0.ECMAArray:
		obj = amf0.Object(o)
	default:
		return errors.New("rtmp: connect without a command object")
	}
	s.app, _ = obj.GetString("app")
	if s.tcURL, _ = obj.GetString("tcUrl"); s.tcURL == "" {
		s.tcURL, _ = obj.GetString("tcurl")
	}
	for _, m := range []message.Message{
		&message.SetWindowAckSize{Value: 2500000},
		&message.SetPeerBandwidth{Value: 2500000, Type: 2},
		&message.SetChunkSize{Value: 65536},
		&message.CommandAMF0{ChunkStreamID: cmd.ChunkStreamID, Name: "_result", CommandID: cmd.CommandID,
			Arguments: []any{
				amf0.Object{{Key: "fmsVer", Value: "LNX 9,0,124,2"}, {Key: "capabilities", Value: float64(31)}},
				amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"},
					{Key: "description", Value: "Connection succeeded."}, {Key: "objectEncoding", Value: float64(0)}},
			}},
	} {
		if err := s.mw.Write(m); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) readCommand() (*message.CommandAMF0, error) {
	for {
		msg, err := s.mr.Read()
		if err != nil {
			return nil, err
		}
		switch m := msg.(type) {
		case *message.CommandAMF0:
			return m, nil
		case *message.SetChunkSize:
			// Applied to the next chunk: refuse before it is read.
			if m.Value > maxPreAuthChunkSize {
				return nil, errPreAuthChunkSize
			}
		}
	}
}

// onStatus sends a NetStream status to the publish/play command.
func (s *session) onStatus(level, code, description string) error {
	return s.mw.Write(&message.CommandAMF0{
		ChunkStreamID:   5,
		MessageStreamID: 0x1000000,
		Name:            "onStatus",
		CommandID:       s.cmd.CommandID,
		Arguments: []any{nil, amf0.Object{{Key: "level", Value: level}, {Key: "code", Value: code},
			{Key: "description", Value: description}}},
	})
}

// reject answers the publish/play command with an error status. librtmp
// (rtmpdump, VLC) only ends on the NetStream failures it knows
// (NetStream.Failed, NetStream.Play.Failed, NetStream.Play.StreamNotFound):
// NetConnection.Connect.Rejected is followed by NetStream.Failed, which it
// reports as "Closing connection: NetStream.Failed" and stops on at once,
// instead of waiting for the server to hang up. ffmpeg and GStreamer stop at
// the first error status.
func (s *session) reject(r rejection) error {
	if err := s.onStatus("error", r.code, r.description); err != nil || r.code != codeRejected {
		return err
	}
	return s.onStatus("error", "NetStream.Failed", r.description)
}

// startPublish tells the client it may send media.
func (s *session) startPublish() error {
	return s.onStatus("status", "NetStream.Publish.Start", "publish start")
}

// startPlay tells the client media follows.
func (s *session) startPlay() error {
	if err := s.mw.Write(&message.UserControlStreamIsRecorded{StreamID: streamID}); err != nil {
		return err
	}
	if err := s.mw.Write(&message.UserControlStreamBegin{StreamID: streamID}); err != nil {
		return err
	}
	for _, st := range [][2]string{
		{"NetStream.Play.Reset", "play reset"},
		{"NetStream.Play.Start", "play start"},
		{"NetStream.Data.Start", "data start"},
		{"NetStream.Play.PublishNotify", "publish notify"},
	} {
		if err := s.onStatus("status", st[0], st[1]); err != nil {
			return err
		}
	}
	return nil
}

// authenticated lifts the limits on what the client may send before it is
// authenticated (connection goroutine only).
func (s *session) authenticated() { s.in.lifted = true }

// BytesReceived implements gortmplib.Conn.
func (s *session) BytesReceived() uint64 { return s.bc.Reader.Count() }

// BytesSent implements gortmplib.Conn.
func (s *session) BytesSent() uint64 { return s.bc.Writer.Count() }

// Read implements gortmplib.Conn.
func (s *session) Read() (message.Message, error) { return s.mr.Read() }

// Write implements gortmplib.Conn.
func (s *session) Write(m message.Message) error { return s.mw.Write(m) }
