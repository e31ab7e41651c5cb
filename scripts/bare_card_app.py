"""The baseline of scripts/bench_http.py: a minimal Starlette app doing exactly the view
queries of GET /v1/cards/{id} and GET /v1/practices/{ura}/cards, nothing else (no login,
no dependencies, no validation), served by the same server (uvicorn) as `zorgid serve`.

    python scripts/bare_card_app.py VIEWS_FILE PORT
"""

from __future__ import annotations

import datetime as dt
import sys
import threading

from benchlib import ROOT  # noqa: F401  (puts the project on the path)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from projections import cards as cards_view
from projections.runner import open_views

local = threading.local()


def db():  # type: ignore[no-untyped-def]
    if not hasattr(local, "db"):
        local.db = open_views(sys.argv[1])
    return local.db


def card(request: Request) -> JSONResponse:
    return JSONResponse(cards_view.card(db(), request.path_params["card_id"],
                                        dt.datetime.now(dt.UTC)))


def practice_cards(request: Request) -> JSONResponse:
    return JSONResponse(cards_view.cards_of_practice(db(), request.path_params["ura"],
                                                     dt.datetime.now(dt.UTC)))


app = Starlette(routes=[Route("/v1/cards/{card_id}", card),
                        Route("/v1/practices/{ura}/cards", practice_cards)])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="info",
                proxy_headers=False)  # as zorgid serve runs it
