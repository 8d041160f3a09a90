"""The reference city node: issuance, cross-domain main index, verification, usage, registry.

Layout (one job per module; docs/node.md is the guide):

  proto/ehc/node/v1/   the gRPC API (package ehc.node.v1) and its committed generated code
  config.py            NodeConfig: every value the public spec leaves open
  hsm.py               the 应用密码机 behind the ``Hsm`` protocol (software implementation)
  store/               SQLite / PostgreSQL access and the migrations
  node.py              the node's state: caches, change feed, verification log, audit
  services/            the operations, shared by gRPC and REST
  auth.py              HMAC-SM3 call signatures, replay window, nonce cache
  server.py            the gRPC server (errors as status + kit code in trailing metadata)
  gateway/             the REST gateway (FastAPI, OpenAPI)
  client.py            signing interceptor and ``NodeClient`` for terminals, tests, load tests
  runtime.py, testing.py, cli.py   starting a node (process, tests, ``ehc node``)
  extensions.py        sub-packages with ``node_extension.py`` (e.g. supervision) plug in here
"""
