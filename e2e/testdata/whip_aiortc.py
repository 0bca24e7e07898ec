#!/usr/bin/python3
"""A WHIP publisher on aiortc (Debian python3-aiortc), independent of pion
and of browsers: it offers to send one video track (aiortc's own H.264
encoder, libx264 through PyAV, fed a moving test picture), posts the offer
with Basic credentials, applies the answer and sends for a while.

Usage: whip_aiortc.py URL USER PASS SECONDS
Prints "status N" when the POST is refused, else "connected" once ICE and
DTLS are up, and "sent N" (video frames) when SECONDS have passed.
Only loopback candidates are gathered and no STUN server is asked: nothing
leaves the machine.
"""
import asyncio
import sys

sys.dont_write_bytecode = True  # no __pycache__ in testdata
import aiortc_loopback  # noqa: E402 (before aiortc: loopback candidates only)

import numpy  # noqa: E402
from av import VideoFrame  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, VideoStreamTrack  # noqa: E402


class TestPicture(VideoStreamTrack):
    """320x240 frames at aiortc's 30 fps with a bar that moves each frame."""

    def __init__(self):
        super().__init__()
        self.sent = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = numpy.zeros((240, 320, 3), numpy.uint8)
        img[:, :, 1] = 96
        x = (self.sent * 4) % 320
        img[:, x:x + 16, :] = 255
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


async def main(url, user, password, seconds):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = TestPicture()
    transceiver = pc.addTransceiver(track, direction="sendonly")
    h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    transceiver.setCodecPreferences(h264)
    connected = asyncio.get_running_loop().create_future()

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(None)

    if not await aiortc_loopback.negotiate(pc, url, user, password):
        return
    try:
        await asyncio.wait_for(connected, 20)
    except asyncio.TimeoutError:
        print(f"not connected ({pc.connectionState})", flush=True)
        await pc.close()
        return
    print("connected", flush=True)
    await asyncio.sleep(seconds)
    print(f"sent {track.sent}", flush=True)
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
