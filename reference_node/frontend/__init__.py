"""The hospital-side front-end server (前置服务器): a relay that terminals and the HIS call instead
of the city node. It speaks the node's own gRPC API ``ehc.node.v1``, authenticates terminals with
its own HMAC-SM3 credentials, signs upstream with the hospital's credential, answers static-code
verifications from a bounded cache while the node is unreachable, and stores usage reports durably
and forwards them exactly once, in order. See docs/frontend.md.
"""
