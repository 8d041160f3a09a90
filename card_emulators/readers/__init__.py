"""Reader simulators = the kit's reference terminal. Each turns a presented medium into an
``ehc.spec.model.MediumRead`` (medium code from ``ehc.spec.codes.CARD_MEDIA``):

* :mod:`.chipcard` - resident health card + PSAM (read-key authentication, issuer SM2 signature);
* :mod:`.qr_scanner` - camera mode (image, bytes, numpy frame -> QR text);
* :mod:`.wedge` - keyboard-wedge scanner output and its fault diagnosis;
* :mod:`.idcard` - 居民身份证 reader output (text block and decoded record);
* :mod:`.sscard` - 社会保障卡 reader record (``|``-separated).

Error codes 3500-3599 live in :mod:`.errors`. Readers never import the reference node.
"""
