"""The web page: submit a problem, watch a job live, settle its clusters' disagreement by hand, and
read benchmark runs (the `codesift report` page with its pass@k, selection and cost plots).

Server-rendered jinja2 pages plus one small script (static/job.js) that reads the job's event stream
and posts feedback: no build step, nothing fetched from the internet.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from codesift.errors import UsageError
from codesift.serve.app import COOKIE
from codesift.serve.service import JobNotFound, Service

_ENV = Environment(loader=PackageLoader("codesift.serve", "templates"), autoescape=select_autoescape(["html"]))
_STATIC = files("codesift.serve") / "static"


def bench_runs(root: Path | None) -> dict[str, Path]:
    """Results files under `root` by name: run dirs of `codesift bench` and results files kept as ``NAME.json``."""
    from codesift.bench.run import RESULTS

    if root is None or not root.is_dir():
        return {}
    found = {}
    for child in sorted(root.iterdir()):
        if child.is_dir() and (child / RESULTS).is_file():
            found[child.name] = child / RESULTS
        elif child.is_file() and child.suffix == ".json":
            found[child.name] = child
    return found


def mount(app: FastAPI, service: Service) -> None:
    def page(name: str, **context: object) -> HTMLResponse:
        return HTMLResponse(_ENV.get_template(name).render(**context))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> Response:
        if "token" in request.query_params:  # the login link: the token goes to a same-site cookie, off the URL
            redirect = RedirectResponse("/", status_code=303)
            redirect.set_cookie(COOKIE, request.query_params["token"], httponly=True, samesite="strict")
            return redirect
        return page(
            "index.html", jobs=service.jobs(50).jobs, models=service.config.offered_models(),
            default_model=service.config.model, isolation=service.isolation, runs=bench_runs(service.config.runs),
        )  # fmt: skip

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job(job_id: str) -> HTMLResponse:
        view = service.view(job_id)
        problem = service.store.jobs.get(job_id)
        return page("job.html", job=view, problem=problem.problem if problem else None)

    @app.get("/runs/{name}", response_class=HTMLResponse, include_in_schema=False)
    def run(name: str) -> HTMLResponse:
        """A benchmark run as `codesift report` renders it (plots inline)."""
        from codesift.bench.report import render
        from codesift.bench.run import RunResults

        path = bench_runs(service.config.runs).get(name)
        if path is None:
            raise JobNotFound(f"no benchmark run {name!r} under --runs {service.config.runs}")
        try:
            return HTMLResponse(render(RunResults.model_validate_json(path.read_text())))
        except ValidationError:
            raise UsageError(f"{name}: not the results of a `codesift bench` run") from None

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        resource = _STATIC / name
        if "/" in name or not resource.is_file():
            return Response(status_code=404)
        return Response(resource.read_bytes(), media_type="text/javascript" if name.endswith(".js") else "text/css")
