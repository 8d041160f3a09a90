"""Mutants of the ``codec`` role, one module each: QR text codecs as a careless vendor would write
them from the public documents (own regexes, own SM4 glue, own clock handling). Each module
defines ``MUTANT`` with ``mutant_name``, ``description``, ``defect_class`` and ``catches``."""
