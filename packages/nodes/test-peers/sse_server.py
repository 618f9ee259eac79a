"""An SSE server written with FastAPI + uvicorn (Debian packages), for the sse-source tests.

GET /events serves events 1..TOTAL (`id: n`, data {"n": n}), resuming after Last-Event-ID, then
keeps the stream open with comments. Env: TOTAL, END204=1 (answer 204 once everything was served),
STALL=1 (send headers, then nothing), BAD=n (event n's data is not JSON), RETRY (ms sent as retry:), STOP_AFTER (close the stream after
this many events). Prints one JSON line per connection: {"connect": <Last-Event-ID or null>}.
"""
import asyncio
import json
import os
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

TOTAL = int(os.environ.get("TOTAL", "100"))
RETRY = int(os.environ.get("RETRY", "100"))
STOP_AFTER = int(os.environ.get("STOP_AFTER", "0"))
app = FastAPI()


@app.api_route("/events", methods=["GET", "POST"])
async def events(request: Request):
    last = request.headers.get("last-event-id")
    body = (await request.body()).decode() if request.method == "POST" else None
    print(json.dumps({"connect": last, "method": request.method, "body": body}), flush=True)
    start = int(last) + 1 if last else 1
    if os.environ.get("END204") and start > TOTAL:
        return Response(status_code=204)

    async def stream():
        yield f"retry: {RETRY}\n\n"
        if os.environ.get("STALL"):
            await asyncio.sleep(3600)
        sent = 0
        for n in range(start, TOTAL + 1):
            data = "not json" if str(n) == os.environ.get("BAD") else json.dumps({"n": n})
            yield f"id: {n}\nevent: tick\ndata: {data}\n\n"
            sent += 1
            if STOP_AFTER and sent >= STOP_AFTER:
                return
            if n % 20 == 0:
                await asyncio.sleep(0.005)
        if os.environ.get("END204"):
            return
        while True:
            await asyncio.sleep(0.5)
            yield ": still here\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")


class Server(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(json.dumps({"ready": True}), flush=True)


Server(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")).run()
