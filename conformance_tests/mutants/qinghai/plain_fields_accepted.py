"""A platform that encrypts its answers but, "to be tolerant", takes a sensitive field that does
not decrypt as plain text: under encryption=1 the ID number may still travel in clear."""

from ._proxy import ProxyPlatform


class PlainFieldsAccepted(ProxyPlatform):
    mutant_name = "plain-fields-accepted"
    description = "accepts plain sensitive fields in a message announced as encrypted"
    defect_class = "encryption flag not enforced on requests"
    catches = ("QINGHAI-008",)
    plain_when_undecryptable = True


MUTANT = PlainFieldsAccepted
