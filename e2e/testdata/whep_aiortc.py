#!/usr/bin/python3
"""A WHEP client on aiortc (Debian python3-aiortc), independent of pion and
of browsers: it offers to receive video and audio, posts the offer with
Basic credentials, applies the answer and counts decoded video frames.

Usage: whep_aiortc.py URL USER PASS FRAMES TIMEOUT_SECONDS
Prints "status N" when the POST is refused, else "frames N".
Only loopback candidates are gathered and no STUN server is asked: nothing
leaves the machine.
"""
import asyncio
import sys

sys.dont_write_bytecode = True  # no __pycache__ in testdata
import aiortc_loopback  # noqa: E402 (before aiortc: loopback candidates only)

from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402


async def main(url, user, password, want, timeout):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    enough = asyncio.get_running_loop().create_future()
    frames = 0

    @pc.on("track")
    def on_track(track):
        if track.kind != "video":
            return

        async def consume():
            nonlocal frames
            while True:
                try:
                    await track.recv()  # a decoded av.VideoFrame
                except Exception:
                    return
                frames += 1
                if frames >= want and not enough.done():
                    enough.set_result(None)

        asyncio.ensure_future(consume())

    if not await aiortc_loopback.negotiate(pc, url, user, password):
        return
    try:
        await asyncio.wait_for(enough, timeout)
    except asyncio.TimeoutError:
        pass
    print(f"frames {frames}", flush=True)
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])))
