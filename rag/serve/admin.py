"""Admin routes that change the corpus: PUT and DELETE /admin/documents/{id}, each answered once the rebuilt
index serves, and nothing changed when they fail."""

from __future__ import annotations

from typing import Annotated

import anyio
from litestar import Request, delete, put
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Parameter

from ..changes import Change
from ..corpus import ID_SHAPE
from ..engine import Engine
from ..errors import UnknownDocumentError
from .app import _authorise, _check_id, _service, _summary
from .models import ID_SCHEMA_PATTERN, DocumentChanged, DocumentSummary, Embedding, error_responses

MARKDOWN_TYPES = ("text/markdown", "text/plain")
DocId = Annotated[str, Parameter(pattern=ID_SCHEMA_PATTERN, description=ID_SHAPE.capitalize())]


@put("/admin/documents/{doc_id:str}", status_code=200, responses=error_responses(400, 401, 403, 409, 413, 415, 429, 500),
     summary="Add or replace a document (Markdown with front matter) and rebuild; answers once the new index serves")
async def put_document(doc_id: DocId, request: Request, state: State) -> DocumentChanged:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    _check_id("doc_id", doc_id)
    media_type = request.content_type[0]
    if media_type not in MARKDOWN_TYPES:
        raise HTTPException(status_code=415, detail=f"the body must be the document's Markdown with its front matter, "
                                                    f"sent as text/markdown or text/plain, not {media_type or 'untyped'}")
    raw = await request.body()
    # Not under the request timeout: a build takes as long as it takes, and stopping halfway helps nobody.
    change, engine = await anyio.to_thread.run_sync(lambda: service.put_document(doc_id, raw))
    action = "replaced" if doc_id in change.replaced else "created"
    summary = DocumentSummary(**_summary(engine.index.documents[doc_id], engine))
    return _answer(action, doc_id, change, engine, summary)


@delete("/admin/documents/{doc_id:str}", status_code=200, responses=error_responses(400, 401, 403, 404, 409, 429, 500),
        summary="Remove a document and rebuild; answers once the new index serves")
async def delete_document(doc_id: DocId, request: Request, state: State) -> DocumentChanged:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    _check_id("doc_id", doc_id)
    try:
        change, engine = await anyio.to_thread.run_sync(lambda: service.delete_document(doc_id))
    except UnknownDocumentError:
        raise NotFoundException(detail=f"the corpus has no document with the id {doc_id!r}; GET /documents lists "
                                       "the ids there are") from None
    return _answer("removed", doc_id, change, engine)


def _answer(action: str, doc_id: str, change: Change, engine: Engine,
            summary: DocumentSummary | None = None) -> DocumentChanged:
    used = engine.index.manifest.get("embedding")
    embedding = Embedding(used["vectors"], used["reused"], used["embedded"]) if used else None
    return DocumentChanged(action, doc_id, change.build.name, embedding, summary)


document_routes = [put_document, delete_document]
