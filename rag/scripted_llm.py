"""An OpenAI-compatible chat server that replays scripted completions: for tests and demonstrations of
`mode: generate` where no model weights can be installed. It speaks the real `/v1/chat/completions` protocol,
plain and streamed, so the service talks to it exactly as it would to vLLM or Ollama.

Run: python -m rag.scripted_llm --port 8001 --script script.json

The script is a JSON list of rules; the first whose `when` occurs in the last user message answers:
  {"when": "...", "reply": "text, where {quote:2} is the first full sentence of evidence passage [2]"}
  {"when": "...", "status": 500}          an HTTP error
  {"when": "...", "delay_s": 60}          a hang (before replying)
  {"when": "...", "raw": "{not json"}     a body that is not a chat completion
Every request received is listed at GET /requests, for tests to inspect.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.response import Stream

PASSAGE = re.compile(r"\[(\d+)\] [^\n]*\n(.*)", re.S)
SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\d))+[.!?]")


def quotes(prompt: str) -> dict[int, str]:
    """Each evidence passage's first sentence of eight words or more, by passage number."""
    found = {}
    for block in re.split(r"\n\n(?=\[\d+\] )", prompt):
        if not (passage := PASSAGE.match(block)):
            continue
        number, text = passage.groups()
        full = [s.strip() for s in SENTENCE.findall(text) if len(s.split()) >= 8]
        if full:
            found[int(number)] = full[0]
    return found


def fill(reply: str, prompt: str) -> str:
    known = quotes(prompt)
    return re.sub(r"\{quote:(\d+)\}", lambda m: known.get(int(m[1]), "(no such passage)"), reply)


def completion(text: str, model: str) -> dict[str, Any]:
    return {"id": "scripted", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


async def chunks(text: str, model: str) -> AsyncIterator[bytes]:
    """The reply a few words at a time, as streamed chat completion chunks."""
    words = re.findall(r"\S+\s*", text)
    for i in range(0, len(words), 3):
        chunk = {"id": "scripted", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "delta": {"content": "".join(words[i:i + 3])}, "finish_reason": None}]}
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        await asyncio.sleep(0.005)
    yield b"data: [DONE]\n\n"


def create_app(rules: list[dict[str, Any]]) -> Litestar:
    received: list[dict[str, Any]] = []

    @post("/v1/chat/completions", status_code=200)
    async def chat(request: Request) -> Response[Any]:
        body = await request.json()
        prompt = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        received.append({"body": body, "authorization": request.headers.get("authorization")})
        rule = next((r for r in rules if r.get("when", "") in prompt), {"reply": "I cannot answer that."})
        await asyncio.sleep(float(rule.get("delay_s", 0)))
        if "status" in rule:
            return Response({"error": {"message": "scripted failure"}}, status_code=int(rule["status"]))
        if "raw" in rule:
            return Response(rule["raw"].encode(), media_type="application/json")
        text, model = fill(rule["reply"], prompt), body.get("model", "scripted")
        if body.get("stream"):
            return Stream(chunks(text, model), media_type="text/event-stream")
        return Response(completion(text, model))

    @get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "tests"}]}

    @get("/requests")
    async def requests() -> list[dict[str, Any]]:
        return received

    return Litestar([chat, models, requests])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", type=Path, required=True)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(create_app(json.loads(args.script.read_text())), host="127.0.0.1", port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
