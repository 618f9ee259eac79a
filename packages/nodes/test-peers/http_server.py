"""An HTTP server written with FastAPI + uvicorn (Debian packages), for the http-request tests.

POST/PUT /ingest records the body ({"body": …} line) and answers 200; the first FAIL_FIRST
requests get 503 instead. POST /reject answers 422 with a JSON detail. POST /hang never answers
in time (sleeps 30 s).
"""
import asyncio
import json
import os
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

FAIL_FIRST = int(os.environ.get("FAIL_FIRST", "0"))
app = FastAPI()
seen = 0


@app.api_route("/ingest", methods=["POST", "PUT"])
async def ingest(request: Request):
    global seen
    seen += 1
    body = (await request.body()).decode()
    if seen <= FAIL_FIRST:
        print(json.dumps({"refused": body}), flush=True)
        return JSONResponse({"detail": "busy"}, status_code=503)
    print(json.dumps({"body": body, "type": request.headers.get("content-type")}), flush=True)
    return {"ok": True}


@app.post("/reject")
async def reject():
    return JSONResponse({"detail": "field 'sku' is required"}, status_code=422)


@app.post("/hang")
async def hang():
    await asyncio.sleep(30)
    return {"ok": True}


class Server(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(json.dumps({"ready": True}), flush=True)


Server(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")).run()
