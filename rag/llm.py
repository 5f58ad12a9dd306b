"""A chat model behind any OpenAI-compatible endpoint (vLLM, llama.cpp's server, Ollama, OpenAI), through the
official client. Failures come back as one error type whose message is safe to show: never the key, never the
endpoint's own error body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import openai

from .settings import LlmSettings

# Role and content per message, as the chat completions API takes them.
Messages = list[Any]


class LlmError(Exception):
    """The model could not answer: unreachable, timed out, refused, or answered something unreadable."""


class Llm:
    def __init__(self, settings: LlmSettings) -> None:
        if settings.url is None:
            raise ValueError("no model endpoint is configured (RAG_LLM_URL)")
        self.settings = settings
        # Retries would multiply the wait past the request timeout; a failed call falls back instead.
        self.client = openai.AsyncOpenAI(base_url=settings.url, api_key=settings.api_key or "none",
                                         timeout=settings.timeout_s, max_retries=0)
        self._model = settings.model

    async def model(self) -> str:
        """The configured model, else the first the endpoint lists (vLLM and llama.cpp serve exactly one)."""
        if self._model is None:
            async with _plain_errors(self.settings):
                listed = await self.client.models.list()
            if not listed.data:
                raise LlmError("the model endpoint lists no models; set RAG_LLM_MODEL")
            self._model = listed.data[0].id
        return self._model

    async def complete(self, messages: Messages) -> str:
        async with _plain_errors(self.settings):
            reply = await self.client.chat.completions.create(
                model=await self.model(), messages=messages,
                temperature=self.settings.temperature, max_tokens=self.settings.max_tokens)
            content = reply.choices[0].message.content if reply.choices else None
        if not content:
            raise LlmError("the model answered with no text")
        return content

    async def stream(self, messages: Messages) -> AsyncIterator[str]:
        """The reply's text as it arrives."""
        async with _plain_errors(self.settings):
            chunks: openai.AsyncStream[Any] = await self.client.chat.completions.create(
                model=await self.model(), messages=messages,
                temperature=self.settings.temperature, max_tokens=self.settings.max_tokens, stream=True)
            async for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    async def close(self) -> None:
        await self.client.close()


@asynccontextmanager
async def _plain_errors(settings: LlmSettings) -> AsyncIterator[None]:
    """Turns the client's exceptions into LlmError with a reason a user can act on."""
    try:
        yield
    except openai.APITimeoutError:
        raise LlmError(f"the model did not answer within {settings.timeout_s:g} s") from None
    except openai.APIConnectionError:
        raise LlmError("the model endpoint could not be reached") from None
    except openai.APIStatusError as err:
        raise LlmError(f"the model endpoint answered HTTP {err.status_code}") from None
    except (openai.APIError, ValueError, KeyError, IndexError, AttributeError):
        raise LlmError("the model endpoint answered something that is not a chat completion") from None
