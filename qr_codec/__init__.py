"""QR codec of the electronic health card (电子健康卡).

* :mod:`qr_codec.ehcid`   EHCID derivation and recovery (DIGEST §1.2, national algorithm)
* :mod:`qr_codec.text`    static/dynamic QR text, validity cipher, parse pipeline, opaque tokens
* :mod:`qr_codec.image`   PNG/SVG/terminal rendering (segno) and reading (zxing-cpp)
* :mod:`qr_codec.degrade` seeded, named degraded-image sets for reader acceptance tests
* :mod:`qr_codec.errors`  error codes 2xxx
* :mod:`qr_codec.cli`     ``ehc qr``

Submodules are imported on demand: ``import qr_codec.text`` does not load segno or zxing-cpp.
"""
