#!/usr/bin/python3
"""Independent Savant reader for streamgate's end-to-end tests.

Uses Debian's python3-zmq and python3-protobuf with code that protoc generates
from protocols/savant/pb/savant.proto (PYTHONPATH must hold savant_pb2.py).

    savant_reader.py TYPE ENDPOINT COUNT TIMEOUT_S [--bind] [--reply WORD]

TYPE is sub, rep or router. Prints "ready" once the socket is set up, then one
JSON line per received message: the raw frames (hex) and the decoded Message
(as protobuf JSON). rep answers every message with b"OK"; router answers an
EndOfStream with [identity, b"OK"]; --reply WORD answers WORD instead of OK.
Exits after COUNT messages or TIMEOUT_S.
"""
import json
import sys
import time

import zmq
from google.protobuf import json_format

import savant_pb2


def main():
    kind, endpoint, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    bind = "--bind" in sys.argv[5:]
    reply = b"OK"
    if "--reply" in sys.argv[5:]:
        reply = sys.argv[sys.argv.index("--reply") + 1].encode()
    ctx = zmq.Context()
    sock = ctx.socket({"sub": zmq.SUB, "rep": zmq.REP, "router": zmq.ROUTER}[kind])
    sock.setsockopt(zmq.LINGER, 0)
    if kind == "sub":
        sock.setsockopt(zmq.SUBSCRIBE, b"")
    (sock.bind if bind else sock.connect)(endpoint)
    print("ready", flush=True)
    deadline = time.time() + timeout
    got = 0
    while got < count and time.time() < deadline:
        if not sock.poll(100):
            continue
        frames = sock.recv_multipart()
        ident = None
        if kind == "router":
            ident, frames = frames[0], frames[1:]
        msg = savant_pb2.Message()
        msg.ParseFromString(frames[1])
        out = {
            "frames": [f.hex() for f in frames],
            "message": json_format.MessageToDict(msg, preserving_proto_field_name=True),
            "content": msg.WhichOneof("content"),
        }
        print(json.dumps(out), flush=True)
        if kind == "rep":
            sock.send(reply)
        elif kind == "router" and out["content"] == "end_of_stream":
            sock.send_multipart([ident, reply])
        got += 1
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
