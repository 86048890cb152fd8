"""The viewer's FastAPI application: pages, their JSON twins, the cone search and static files.

``create_app(dsn)`` returns the ASGI application (``tkpdb serve`` runs it with uvicorn). Every
page ``/X`` has a JSON twin ``/api/X`` built from the same model (:mod:`tkpdb.viewer.models`);
``/api`` documents them and ``/openapi.json`` is their machine-readable schema. Plotly's
JavaScript is served from the ``plotly`` Python package itself (``/static/vendor/plotly.min.js``):
nothing is loaded from another site, so the viewer works offline.
"""


import contextlib
import html
import importlib.resources
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import graphviz
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.gzip import GZipMiddleware

from . import models as m
from . import queries as q
from . import scs
from .db import ReadOnlyPool, Reader

__all__ = ["create_app"]

_HERE = Path(__file__).resolve().parent
_PLOTLY_JS = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
_ASSOC_TYPES = {2: "fork base point", 3: "one-to-one / many-to-one", 4: "new source",
                6: "copied to a fork", 7: "null-detection forced fit", 8: "first monitoring fit",
                9: "monitoring fit", None: "in no lightcurve"}
_EXTRACT_TYPES = {0: "blind", 1: "forced fit (null detection)", 2: "forced fit (monitoring)"}

Sort = Literal[q.SORT_COLUMNS]  # type: ignore[valid-type]


def create_app(dsn: str | None = None, *, allow_writer: bool = False,
               settings: q.Settings | None = None, pool_size: int = 4) -> FastAPI:
    """The viewer application on the database ``dsn``.

    Raises :class:`~tkpdb.viewer.db.WritableRoleError` when the role can write, unless
    ``allow_writer`` (development mode: a warning is logged instead).
    """
    settings = settings or q.Settings()
    pool = ReadOnlyPool(dsn, size=pool_size, allow_writer=allow_writer)
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(title="tkpdb viewer", version="1", docs_url=None, redoc_url=None,
                  lifespan=lifespan,
                  description="Read-only views of a tkpdb survey database. Every HTML page has a "
                              "JSON twin under /api; units: deg, Jy, Hz, UTC.")
    app.state.pool = pool
    statistics_cache = q.StatisticsCache()
    app.state.settings = settings
    app.add_middleware(GZipMiddleware, minimum_size=2000)
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.globals.update(assoc_types=_ASSOC_TYPES, extract_types=_EXTRACT_TYPES,
                                 writable=pool.writable, sort_columns=q.SORT_COLUMNS)
    templates.env.filters["num"] = _num
    templates.env.globals["with_query"] = _with_query

    def reader() -> Iterator[Reader]:
        with pool.reader() as r:
            yield r

    R = Annotated[Reader, Depends(reader)]
    Filters = Annotated[m.LightcurveFilters, Query()]
    PageNo = Annotated[int, Query(alias="page", ge=1, description="Page number, from 1.")]
    PerPage = Annotated[int | None, Query(ge=1, le=settings.max_per_page, description=(
        f"Rows per page (default {settings.per_page}, at most {settings.max_per_page})."))]
    SortBy = Annotated[Sort, Query(description="Column to sort by.")]

    def render(request: Request, name: str, data: Any, title: str) -> HTMLResponse:
        """The HTML page ``name`` of ``data``, the model its JSON twin returns."""
        return templates.TemplateResponse(request, f"{name}.html", {
            "data": data, "json": data.model_dump(mode="json"), "title": title,
            "root": request.scope.get("root_path", "")})

    # --- datasets -------------------------------------------------------------------------
    @app.get("/api/datasets", response_model=m.DatasetList, tags=["datasets"])
    def api_datasets(r: R) -> m.DatasetList:
        """Every dataset of the database."""
        return q.datasets(r)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def html_datasets(request: Request, r: R) -> HTMLResponse:
        return render(request, "index", q.datasets(r), "Datasets")

    @app.get("/api/datasets/{dataset}", response_model=m.DatasetPage, tags=["datasets"])
    def api_dataset(request: Request, dataset: int, r: R, page_no: PageNo = 1,
                    per_page: PerPage = None) -> m.DatasetPage:
        """A dataset: bands, fields, a page of its images (in time order), its most significant
        transient candidates, its lightcurves on the sky, and where its statistics are."""
        return q.dataset_page(r, dataset, settings, page_no, per_page,
                              request.scope.get("root_path", ""))

    @app.get("/api/datasets/{dataset}/statistics", response_model=m.DatasetStatistics,
             tags=["datasets"])
    def api_statistics(dataset: int, r: R) -> m.DatasetStatistics:
        """The dataset's statistics (view dataset_statistics): measurements made and counted,
        over-counting fraction, association events, transient candidates. They count every
        measurement of the dataset; computed once per state of the database, then cached."""
        return q.dataset_statistics(r, dataset, statistics_cache)

    @app.get("/datasets/{dataset}", response_class=HTMLResponse, include_in_schema=False)
    def html_dataset(request: Request, dataset: int, r: R,
                     page_no: PageNo = 1,
                     per_page: PerPage = None) -> HTMLResponse:
        data = q.dataset_page(r, dataset, settings, page_no, per_page,
                              request.scope.get("root_path", ""))
        return render(request, "dataset", data, f"Dataset {dataset}: {data.dataset.description}")

    # --- candidates -----------------------------------------------------------------------
    @app.get("/api/datasets/{dataset}/candidates", response_model=m.CandidatesPage,
             tags=["lightcurves"])
    def api_candidates(dataset: int, filters: Filters, r: R, sort: SortBy = "eta_int",
                       order: Literal["asc", "desc"] = "desc",
                       page_no: PageNo = 1,
                       per_page: PerPage = None) -> m.CandidatesPage:
        """Candidates and variables: a sorted page of the dataset's lightcurves matching the
        filters, with the eta-V plane of all of them (points, or bins above the point limit)."""
        return q.candidates_page(r, dataset, filters, settings, sort, order, page_no, per_page)

    @app.get("/datasets/{dataset}/candidates", response_class=HTMLResponse,
             include_in_schema=False)
    def html_candidates(request: Request, dataset: int, filters: Filters, r: R,
                        sort: SortBy = "eta_int", order: Literal["asc", "desc"] = "desc",
                        page_no: PageNo = 1,
                        per_page: PerPage = None) -> HTMLResponse:
        data = q.candidates_page(r, dataset, filters, settings, sort, order, page_no, per_page)
        return render(request, "candidates", data, f"Candidates and variables, dataset {dataset}")

    # --- lightcurve -----------------------------------------------------------------------
    @app.get("/api/lightcurves/{runcat}", response_model=m.LightcurvePage, tags=["lightcurves"])
    def api_lightcurve(request: Request, runcat: int, r: R) -> m.LightcurvePage:
        """A lightcurve: its measurements (time order), upper limits, V and eta per band and its
        heritage (the lightcurves it shares measurements with)."""
        return q.lightcurve_page(r, runcat, settings, request.scope.get("root_path", ""))

    @app.get("/lightcurves/{runcat}", response_class=HTMLResponse, include_in_schema=False)
    def html_lightcurve(request: Request, runcat: int, r: R) -> HTMLResponse:
        data = q.lightcurve_page(r, runcat, settings, request.scope.get("root_path", ""))
        return render(request, "lightcurve", data, f"Lightcurve {runcat}")

    @app.get("/lightcurves/{runcat}/heritage.svg", tags=["lightcurves"],
             response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
    def heritage_svg(request: Request, runcat: int, r: R) -> Response:
        """The heritage graph of a lightcurve drawn by GraphViz (SVG, lightcurve boxes linked)."""
        dot, size, _ = q.heritage_dot(r, runcat, request.scope.get("root_path", "") +
                                      "/lightcurves/{}")
        if size > settings.heritage_limit:
            return JSONResponse({"detail": f"heritage of {size} measurements is too large to "
                                           "draw; its DOT text is in /api/lightcurves/"}, 413)
        return Response(graphviz.pipe("dot", "svg", dot.encode()), media_type="image/svg+xml")

    # --- image ----------------------------------------------------------------------------
    @app.get("/api/images/{image}", response_model=m.ImagePage, tags=["images"])
    def api_image(image: int, r: R, page_no: PageNo = 1,
                  per_page: PerPage = None) -> m.ImagePage:
        """An image: metadata, what its association did, a page of its measurements (brightest
        first) and all of them on the sky."""
        return q.image_page(r, image, settings, page_no, per_page)

    @app.get("/images/{image}", response_class=HTMLResponse, include_in_schema=False)
    def html_image(request: Request, image: int, r: R,
                   page_no: PageNo = 1,
                   per_page: PerPage = None) -> HTMLResponse:
        data = q.image_page(r, image, settings, page_no, per_page)
        return render(request, "image", data, f"Image {image}")

    # --- cone search ----------------------------------------------------------------------
    @app.get("/scs/{dataset}", tags=["virtual observatory"], response_class=Response,
             responses={200: {"content": {scs.VOTABLE_MEDIA_TYPE: {}}}})
    def cone_search(request: Request, dataset: str) -> Response:
        """IVOA Simple Cone Search: RA, DEC, SR (deg, ICRS), optional MAXREC; a VOTable of the
        lightcurves in the cone (errors: a VOTable with an INFO named Error)."""
        try:
            if not dataset.isdigit():
                raise scs.ConeSearchError(f"dataset {dataset!r} is not a dataset id")
            ra, dec, sr, maxrec = scs.parse_cone(request.query_params)
            with pool.reader() as r:
                body = scs.cone_votable(r, int(dataset), ra, dec, sr, maxrec)
        except scs.ConeSearchError as exc:
            body = scs.error_votable(str(exc))
        return Response(body, media_type=scs.VOTABLE_MEDIA_TYPE)

    # --- documentation and static files ---------------------------------------------------
    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        spec = app.openapi()
        return templates.TemplateResponse(request, "api.html", {
            "title": "JSON API", "spec": spec, "root": request.scope.get("root_path", ""),
            "max_sr": scs.MAX_SR, "max_records": scs.MAX_RECORDS, "settings": settings})

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(str(_PLOTLY_JS), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    @app.exception_handler(q.NotFound)
    def not_found(request: Request, exc: q.NotFound) -> Response:
        return _error(request, templates, 404, str(exc))

    @app.exception_handler(ValueError)
    def bad_value(request: Request, exc: ValueError) -> Response:
        return _error(request, templates, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": exc.errors()}, 422)
        return _error(request, templates, 422, "; ".join(messages))

    return app


def _error(request: Request, templates: Jinja2Templates, status: int, message: str) -> Response:
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": message}, status)
    return templates.TemplateResponse(request, "error.html", {
        "title": f"Error {status}", "message": message, "status": status,
        "root": request.scope.get("root_path", "")}, status_code=status)


def _with_query(request: Request, **changes: Any) -> str:
    """A relative link to this page with some query parameters changed (works behind a proxy)."""
    params = dict(request.query_params)
    params.update({key: str(value) for key, value in changes.items()})
    return "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v != ""})


def _num(value: Any, digits: int = 4) -> str:
    """A number for a table cell: ``digits`` significant digits, an en dash for None."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return html.escape(f"{value:.{digits}g}")
    return html.escape(str(value))
