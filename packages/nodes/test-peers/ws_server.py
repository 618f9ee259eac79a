"""A WebSocket server written with Debian's python3-websockets (10.x), for the WebSocket tests.

Prints one JSON line per event: {"connect": path, "subprotocol", "authorization"}, {"got": text}.
Env: FRAMES=n sends {"n": 1..n} after each connect; DROP_AFTER=k closes the first connection
abruptly after k frames; REPLY=1 answers every frame with "ok:<frame>"; DROP_ON=k closes the
first connection without answering when its k-th frame arrives; WAIT_OPEN=1 sends the frames
only once the client's first frame (its open message) arrived.
"""
import asyncio
import json
import os
import sys

import websockets

FRAMES = int(os.environ.get("FRAMES", "0"))
DROP_AFTER = int(os.environ.get("DROP_AFTER", "0"))
DROP_ON = int(os.environ.get("DROP_ON", "0"))
REPLY = os.environ.get("REPLY") == "1"
WAIT_OPEN = os.environ.get("WAIT_OPEN") == "1"
connections = 0


def say(**fields):
    print(json.dumps(fields), flush=True)


async def handler(ws, path=None):
    global connections
    connections += 1
    first = connections == 1
    say(connect=ws.path, subprotocol=ws.subprotocol, authorization=ws.request_headers.get("authorization"))

    opened = asyncio.Event()

    async def send_frames():
        if WAIT_OPEN:
            await opened.wait()
        for n in range(1, FRAMES + 1):
            await ws.send(json.dumps({"n": n}))
            if first and DROP_AFTER and n >= DROP_AFTER:
                ws.transport.abort()  # a dropped peer, not a clean close
                return

    sender = asyncio.ensure_future(send_frames())
    received = 0
    try:
        async for message in ws:
            received += 1
            say(got=message)
            opened.set()
            if first and DROP_ON and received >= DROP_ON:
                ws.transport.abort()
                return
            if REPLY:
                await ws.send(f"ok:{message}")
    except websockets.ConnectionClosed:
        pass
    finally:
        sender.cancel()


async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), subprotocols=["feed.v1"]):
        say(ready=True)
        await asyncio.Future()


asyncio.run(main())
