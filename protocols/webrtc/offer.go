package webrtc

import (
	"net/http"
	"strings"

	"github.com/pion/webrtc/v4"
)

// offerAccepts reports which of our kinds of track an offer can receive:
// an m-line of the kind that is not rejected (port 0 without bundle-only),
// not sendonly or inactive, and lists videoCodec (H264 with
// packetization-mode=1, VP8, VP9, AV1) or Opus (audio). An offer that does
// not parse is a 400.
func offerAccepts(offer, videoCodec string) (video, audio bool, err error) {
	parsed, err := (&webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}).Unmarshal()
	if err != nil {
		return false, false, refuse(http.StatusBadRequest, "invalid offer: %v", err)
	}
	if len(parsed.MediaDescriptions) == 0 {
		return false, false, refuse(http.StatusBadRequest, "invalid offer: no media")
	}
	for _, md := range parsed.MediaDescriptions {
		_, bundleOnly := md.Attribute("bundle-only")
		_, sendonly := md.Attribute("sendonly")
		_, inactive := md.Attribute("inactive")
		if (md.MediaName.Port.Value == 0 && !bundleOnly) || sendonly || inactive {
			continue
		}
		var rtpmaps, fmtps []string
		for _, a := range md.Attributes {
			switch a.Key {
			case "rtpmap":
				rtpmaps = append(rtpmaps, a.Value)
			case "fmtp":
				fmtps = append(fmtps, a.Value)
			}
		}
		switch md.MediaName.Media {
		case "video":
			video = video || offersVideo(rtpmaps, fmtps, videoCodec)
		case "audio":
			audio = audio || offersCodec(rtpmaps, "opus/48000") != nil
		}
	}
	return video, audio, nil
}

// offersCodec returns the payload types of rtpmap values ("96 H264/90000")
// whose encoding starts with name (case-insensitive).
func offersCodec(rtpmaps []string, name string) []string {
	var pts []string
	for _, v := range rtpmaps {
		pt, enc, ok := strings.Cut(v, " ")
		if ok && len(enc) >= len(name) && strings.EqualFold(enc[:len(name)], name) {
			pts = append(pts, pt)
		}
	}
	return pts
}

// offersVideo reports whether the rtpmaps offer codec (an encoding name).
func offersVideo(rtpmaps, fmtps []string, codec string) bool {
	switch codec {
	case "":
		return false
	case "H264":
		return offersH264(rtpmaps, fmtps)
	}
	return offersCodec(rtpmaps, codec+"/90000") != nil
}

// offersH264 reports whether an H264 payload type has packetization-mode=1.
func offersH264(rtpmaps, fmtps []string) bool {
	for _, pt := range offersCodec(rtpmaps, "h264/90000") {
		for _, f := range fmtps {
			if p, params, ok := strings.Cut(f, " "); ok && p == pt && strings.Contains(params, "packetization-mode=1") {
				return true
			}
		}
	}
	return false
}
