"""Load tests for city nodes: Locust actors, percentiles within 0.1 %, SLO gating, reports.

Modules, by the side of the process boundary they live on:

* CLI side (plain Python, never gevent): ``cli`` (``ehc load``), ``orchestrate`` (one run),
  ``targets`` (echo server / reference node processes), ``seeding`` + ``dataset`` +
  ``population`` + ``messages`` (test data through the node's API), ``analysis`` + ``report`` (Jinja2
  templates in ``templates/``, charts by the vendored Chart.js) + ``slo`` + ``compare`` (figures,
  outputs, verdicts), ``histogram`` + ``recorder``.
* Locust side (``python -m load_tests.runner``, gevent-patched): ``runner`` (local / master /
  worker), ``interceptor`` + ``grpc_user`` (gRPC plumbing), ``node_client`` (the node
  operations), ``actors`` + ``rest_user`` (simulated clients), ``scenarios`` (the mixes),
  ``context`` (per-process run state).

See docs/load.md.
"""
