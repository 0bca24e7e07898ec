package srt

import (
	"sync"
	"time"

	gosrt "github.com/datarhei/gosrt"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// sessionAPI is a caller's state for the control API (/v3/srtconns).
type sessionAPI struct {
	created time.Time

	mu       sync.Mutex
	activity conns.Activity
	who      conns.Who
	conn     gosrt.Conn
	kicked   bool
}

// register lists the caller in the control API until the returned
// function runs; a kick closes its connection.
func (s *Server) register(ss *session) (remove func()) {
	ss.api.created, ss.api.activity.State = time.Now(), "idle"
	remote := ss.req.RemoteAddr().String()
	return s.cfg.Conns.Add(conns.SRTConns, ss.id, func() any { return ss.api.describe(ss.id, remote) }, ss.api.kick)
}

// noteAuth records who the caller is and what it does.
func (a *sessionAPI) noteAuth(ss *session, id *authn.Identity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.activity.Authenticated(ss.sid.Mode == ModePublish, ss.sid.Path, ss.sid.Query)
	a.who = conns.Who{User: id.User, AuthBackend: id.Backend}
}

// setConn records the accepted connection; one kicked before it was
// accepted is closed at once.
func (a *sessionAPI) setConn(c gosrt.Conn) {
	a.mu.Lock()
	a.conn = c
	kicked := a.kicked
	a.mu.Unlock()
	if kicked {
		_ = c.Close()
	}
}

func (a *sessionAPI) kick() {
	a.mu.Lock()
	a.kicked = true
	c := a.conn
	a.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

func (a *sessionAPI) describe(id, remote string) any {
	a.mu.Lock()
	item := conns.SRTConn{Entry: conns.Entry{ID: id, Created: a.created, RemoteAddr: remote},
		Activity: a.activity, Who: a.who}
	c := a.conn
	a.mu.Unlock()
	if c != nil {
		var st gosrt.Statistics
		c.Stats(&st)
		a, i := st.Accumulated, st.Instantaneous
		item.SRTStats = conns.SRTStats{
			PacketsSent:                   a.PktSent,
			PacketsReceived:               a.PktRecv,
			PacketsSentUnique:             a.PktSentUnique,
			PacketsReceivedUnique:         a.PktRecvUnique,
			PacketsSendLoss:               a.PktSendLoss,
			PacketsReceivedLoss:           a.PktRecvLoss,
			PacketsRetrans:                a.PktRetrans,
			PacketsReceivedRetrans:        a.PktRecvRetrans,
			PacketsSentACK:                a.PktSentACK,
			PacketsReceivedACK:            a.PktRecvACK,
			PacketsSentNAK:                a.PktSentNAK,
			PacketsReceivedNAK:            a.PktRecvNAK,
			PacketsSentKM:                 a.PktSentKM,
			PacketsReceivedKM:             a.PktRecvKM,
			UsSndDuration:                 a.UsSndDuration,
			PacketsReceivedBelated:        a.PktRecvBelated,
			PacketsSendDrop:               a.PktSendDrop,
			PacketsReceivedDrop:           a.PktRecvDrop,
			PacketsReceivedUndecrypt:      a.PktRecvUndecrypt,
			BytesSent:                     a.ByteSent,
			BytesReceived:                 a.ByteRecv,
			BytesSentUnique:               a.ByteSentUnique,
			BytesReceivedUnique:           a.ByteRecvUnique,
			BytesReceivedLoss:             a.ByteRecvLoss,
			BytesRetrans:                  a.ByteRetrans,
			BytesReceivedRetrans:          a.ByteRecvRetrans,
			BytesReceivedBelated:          a.ByteRecvBelated,
			BytesSendDrop:                 a.ByteSendDrop,
			BytesReceivedDrop:             a.ByteRecvDrop,
			BytesReceivedUndecrypt:        a.ByteRecvUndecrypt,
			UsPacketsSendPeriod:           i.UsPktSendPeriod,
			PacketsFlowWindow:             i.PktFlowWindow,
			PacketsFlightSize:             i.PktFlightSize,
			MsRTT:                         i.MsRTT,
			MbpsSendRate:                  i.MbpsSentRate,
			MbpsReceiveRate:               i.MbpsRecvRate,
			MbpsLinkCapacity:              i.MbpsLinkCapacity,
			BytesAvailSendBuf:             i.ByteAvailSendBuf,
			BytesAvailReceiveBuf:          i.ByteAvailRecvBuf,
			MbpsMaxBW:                     i.MbpsMaxBW,
			ByteMSS:                       i.ByteMSS,
			PacketsSendBuf:                i.PktSendBuf,
			BytesSendBuf:                  i.ByteSendBuf,
			MsSendBuf:                     i.MsSendBuf,
			MsSendTsbPdDelay:              i.MsSendTsbPdDelay,
			PacketsReceiveBuf:             i.PktRecvBuf,
			BytesReceiveBuf:               i.ByteRecvBuf,
			MsReceiveBuf:                  i.MsRecvBuf,
			MsReceiveTsbPdDelay:           i.MsRecvTsbPdDelay,
			PacketsReorderTolerance:       i.PktReorderTolerance,
			PacketsReceivedAvgBelatedTime: i.PktRecvAvgBelatedTime,
			PacketsSendLossRate:           i.PktSendLossRate,
			PacketsReceivedLossRate:       i.PktRecvLossRate,
		}
	}
	return item
}
