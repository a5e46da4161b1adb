"""Mini Foundry's question endpoint: a question in plain language, answered with numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from binelek.foundry import nlq
from binelek.foundry.schemas import QuestionIn, QuestionOut
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/modules/mini-foundry", tags=["mini-foundry"])
Reader = Annotated[Principal, Depends(require("foundry:read"))]
State = Annotated[AppState, Depends(get_state)]


@router.post("/query", response_model=QuestionOut)
async def ask_question(
    body: QuestionIn, principal: Reader, session: TenantSession, state: State
) -> QuestionOut:
    """Answer a question such as "revenue by category last quarter": what was computed, the SQL that
    ran, the rows, a chart and one sentence with the key number; or, when it can't, questions it can."""
    return await nlq.ask(state, session, principal, body)
