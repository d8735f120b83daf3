"""`codesift serve`: the HTTP service over the pipeline.

- `service.Service`: jobs in the store, a bounded queue, a worker pool with one lock per model;
- `app.create_app` / `app.guarded`: REST jobs, Server-Sent Events, errors as one-line JSON, token and limits;
- `chat`: the OpenAI-compatible facade; `ask`: questions about uploaded data; `web`: the page at ``/``.
"""
