"""Many WebSocket clients at once (Debian's python3-websockets), for the server-role tests.

python3 ws_clients.py <url> <clients> <frames each>: every client connects, sends its frames
{"client": c, "i": i} as fast as it can, and counts the replies it gets. Prints
{"client": c, "replies": [..]} per client, then {"done": true}.
"""
import asyncio
import json
import sys

import websockets

URL, CLIENTS, FRAMES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


async def client(c):
    async with websockets.connect(URL, open_timeout=60, max_queue=None) as ws:
        for i in range(FRAMES):
            await ws.send(json.dumps({"client": c, "i": i}))
        replies = []
        while len(replies) < FRAMES:
            replies.append(await asyncio.wait_for(ws.recv(), timeout=120))
        print(json.dumps({"client": c, "replies": replies}), flush=True)


async def main():
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.gather(*(client(c) for c in range(CLIENTS)))
    print(json.dumps({"done": True}), flush=True)


asyncio.run(main())
