"""What the aiortc WHIP and WHEP scripts share: host candidates on loopback
only (import this module before aiortc) and the non-trickle offer/answer
exchange with Basic credentials.
"""
import base64
import urllib.error
import urllib.request

import aioice.ice

# aioice leaves 127.0.0.1 out of its host candidates; the daemon under test
# listens on loopback only.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]

from aiortc import RTCSessionDescription  # noqa: E402


async def negotiate(pc, url, user, password):
    """Posts pc's offer to url (a WHIP or WHEP endpoint) and applies the
    answer. When the POST is refused it prints "status N", closes pc and
    returns False."""
    await pc.setLocalDescription(await pc.createOffer())
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    req = urllib.request.Request(url, data=pc.localDescription.sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp", "Authorization": "Basic " + auth})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            answer = res.read().decode()
    except urllib.error.HTTPError as e:
        print(f"status {e.code}", flush=True)
        await pc.close()
        return False
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return True
