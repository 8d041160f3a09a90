"""Front doors in the envelopes hospitals integrate with (Tencent open platform, provincial
platforms): thin adapters over the node's own services, switched on per node (``--api``)."""

#: envelope name -> module with ``FrontDoor`` factory; ``ehc node serve --api NAME``
PLATFORMS = ("tencent", "qinghai", "sichuan")
#: where each envelope is served under the node's HTTP root (the platform's paths follow it)
BASE_PATHS = {"tencent": "", "qinghai": "/qinghai/RHCMessageServer", "sichuan": "/sichuan/gateway"}


def base_urls(apis: tuple[str, ...], host: str, port: int) -> dict[str, str]:
    """Base URL per served envelope, as a HIS configures it (the platform's paths follow it)."""
    return {name: f"http://{host}:{port}{BASE_PATHS[name]}" for name in apis if name in PLATFORMS}
