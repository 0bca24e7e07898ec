// The WHEP/WHIP client the player and the publish pages share, inlined
// into both where they say SESSION_JS (page.go).
//
// startSession runs a non-trickle session on endpoint ('whep' or 'whip',
// relative to the page): the offer goes out with all our candidates, the
// answer comes back with all the server's. The page's query (a token) goes
// along with every request, and so do the browser's credentials. A lost
// session is tried again every 2 s until the page is left or refused.
//   opts.endpoint     'whep' or 'whip'
//   opts.iceServers   the RTCPeerConnection's ICE servers
//   opts.show(text)   shows a message ('' hides it)
//   opts.state(s)     where it stands: starting, retrying, refused
//   opts.setup(conn)  adds the transceivers and track handlers (may be async)
//   opts.connected()  the connection is up
//   opts.forbidden    the text of a 403
//   opts.notFound     the text of a 404 (retried), or null
// It returns { restart(between) }: stop, run between, start again.
const startSession = (opts) => {
  const query = window.location.search;
  const endpoint = new URL(opts.endpoint + query, window.location.href).toString();
  const state = opts.state || (() => {});
  let pc = null;
  let session = null;
  let retryTimer = null;
  let leaving = false;

  const gathered = (conn) => new Promise((resolve) => {
    if (conn.iceGatheringState === 'complete') {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, 3000);
    conn.addEventListener('icegatheringstatechange', () => {
      if (conn.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });

  const stop = () => {
    if (pc !== null) {
      pc.close();
      pc = null;
    }
    if (session !== null) {
      fetch(session, { method: 'DELETE', credentials: 'include', keepalive: true }).catch(() => {});
      session = null;
    }
  };

  const retry = (text) => {
    stop();
    opts.show(text);
    state('retrying');
    if (!leaving && retryTimer === null) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        start();
      }, 2000);
    }
  };

  const refused = (text) => {
    stop();
    state('refused');
    opts.show(text);
  };

  const start = async () => {
    state('starting');
    const conn = new RTCPeerConnection({ iceServers: opts.iceServers });
    pc = conn;
    try {
      await opts.setup(conn);
      conn.onconnectionstatechange = () => {
        if (conn !== pc) return;
        if (conn.connectionState === 'connected') {
          if (opts.connected) opts.connected();
        } else if (conn.connectionState === 'failed' || conn.connectionState === 'closed') {
          retry('Connection lost, retrying…');
        }
      };
      await conn.setLocalDescription(await conn.createOffer());
      await gathered(conn);
      const res = await fetch(endpoint, {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/sdp' },
        body: conn.localDescription.sdp,
      });
      if (conn !== pc) {
        return;
      }
      switch (res.status) {
        case 201:
          break;
        case 401:
          refused('Authentication required: reload the page and enter your credentials.');
          return;
        case 403:
          refused(opts.forbidden);
          return;
        default:
          if (res.status === 404 && opts.notFound) {
            retry(opts.notFound);
            return;
          }
          retry('Error ' + res.status + ': ' + (await res.text()) + ', retrying…');
          return;
      }
      const location = res.headers.get('Location');
      if (location !== null) {
        session = new URL(location + query, window.location.href).toString();
      }
      await conn.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    } catch (err) {
      if (conn === pc) {
        retry('Error: ' + err + ', retrying…');
      }
    }
  };

  const restart = (between) => {
    if (retryTimer !== null) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    stop();
    if (between) between();
    start();
  };

  window.addEventListener('pagehide', () => {
    leaving = true;
    stop();
  });
  start();
  return { restart };
};
